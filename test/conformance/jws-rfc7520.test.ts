/**
 * Conformance with the RFC 7520 JOSE cookbook (files and provenance in
 * $GNC_CONFORMANCE_DIR/jws/rfc7520_cookbook/, never copied here): every signature example whose
 * algorithm `jose` supports is verified with the cookbook's keys (RS256, PS384, ES512, HS256,
 * EdDSA, detached content, unprotected headers, multiple signatures), and for the deterministic
 * algorithms (RS256, HS256, EdDSA) our compact serialization must equal the cookbook's byte for byte.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { CompactSign, compactVerify, flattenedVerify, importJWK, type FlattenedJWSInput, type JWK } from 'jose';
import { conformanceDir } from '../support/conformance-dir';

const CONFORMANCE_DIR = conformanceDir();
const DIR = path.join(CONFORMANCE_DIR, 'jws', 'rfc7520_cookbook');

interface Example {
  title: string;
  reproducible?: boolean;
  input: { payload: string; key: JWK | JWK[]; alg: string | string[] };
  signing: { protected?: Record<string, unknown> } | Array<{ protected?: Record<string, unknown> }>;
  output: {
    compact?: string;
    json: {
      payload?: string;
      signatures: Array<{ protected?: string; header?: Record<string, unknown>; signature: string }>;
    };
  };
}

const load = (file: string): Example => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Example;
const publicJwk = (jwk: JWK): JWK => {
  // Public parts only for verification, so a private component can never be what makes it pass.
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
};

/** Every JWS example file of the cookbook with a signature in it. */
const FILES = readdirSync(DIR).filter((f) => /^(jws_|curve25519_jws|rfc7797_).*\.json$/.test(f));

/** Algorithms the examples use; every one is supported by jose, so every example must verify. */
const EXPECTED_ALGS = ['RS256', 'PS384', 'ES512', 'HS256', 'EdDSA'];

describe('JWS conformance: RFC 7520 cookbook', () => {
  it('finds the signature examples', () => {
    assert.ok(FILES.length >= 10, `only ${FILES.length} files in ${DIR}`);
  });

  for (const file of FILES) {
    const ex = load(file);
    const keys = Array.isArray(ex.input.key) ? ex.input.key : [ex.input.key];
    const algs = Array.isArray(ex.input.alg) ? ex.input.alg : [ex.input.alg];
    const payload = Buffer.from(ex.input.payload, 'utf8');

    it(`${file} (${ex.title}, ${algs.join(' + ')}): every signature verifies`, async () => {
      for (const alg of algs) assert.ok(EXPECTED_ALGS.includes(alg), `unexpected alg ${alg}`);
      const sigs = ex.output.json.signatures;
      assert.equal(sigs.length, algs.length);
      for (const [i, sig] of sigs.entries()) {
        const key = await importJWK(publicJwk(keys[i]!), algs[i]);
        const protectedHeader = sig.protected
          ? (JSON.parse(Buffer.from(sig.protected, 'base64url').toString()) as Record<string, unknown>)
          : {};
        const unencoded = protectedHeader.b64 === false;
        // Detached content (4.5) is supplied by the verifier; unencoded payloads (RFC 7797) travel as is.
        const jws: FlattenedJWSInput = {
          payload: ex.output.json.payload ?? (unencoded ? ex.input.payload : payload.toString('base64url')),
          signature: sig.signature,
          ...(sig.protected ? { protected: sig.protected } : {}),
          ...(sig.header ? { header: sig.header } : {}),
        };
        if (unencoded && !Array.isArray(protectedHeader.crit)) {
          // This file's protected header is {"alg":"HS256","b64":false} without "crit":["b64"]
          // (RFC 7797 section 6 requires it, and the RFC's own example has it), so a conforming
          // verifier treats b64 as absent and the payload "$.02" is not base64url: refused, typed.
          await assert.rejects(
            flattenedVerify(jws, key),
            (err: unknown) => err instanceof Error && 'code' in err && /^ERR_JW/.test(String(err.code)),
          );
          // The MAC itself is right over the RFC 7797 signing input, checked directly.
          const mac = createHmac('sha256', Buffer.from(String(keys[i]!.k), 'base64url'))
            .update(`${sig.protected}.${ex.input.payload}`)
            .digest('base64url');
          assert.equal(mac, sig.signature);
          continue;
        }
        const result = await flattenedVerify(jws, key);
        assert.ok(Buffer.from(result.payload).equals(payload));
      }
      if (ex.output.compact) {
        const key = await importJWK(publicJwk(keys[0]!), algs[0]);
        const { payload: p } = await compactVerify(ex.output.compact, key).catch(async () =>
          // 4.5's compact form is detached ("header..signature"): verify it with the payload put back.
          compactVerify(ex.output.compact!.replace('..', `.${payload.toString('base64url')}.`), key),
        );
        assert.ok(Buffer.from(p).equals(payload));
      }
    });

    if (
      ex.reproducible &&
      ex.output.compact &&
      !Array.isArray(ex.signing) &&
      ex.signing.protected &&
      ['RS256', 'HS256', 'EdDSA'].includes(algs[0]!)
    ) {
      it(`${file}: our compact serialization (${algs[0]}) equals the cookbook byte for byte`, async () => {
        const key = await importJWK(keys[0]!, algs[0]);
        const ours = await new CompactSign(payload)
          .setProtectedHeader((ex.signing as { protected: { alg: string } }).protected)
          .sign(key);
        const expected = ex.output.compact!.includes('..')
          ? ex.output.compact!.replace('..', `.${payload.toString('base64url')}.`)
          : ex.output.compact!;
        assert.equal(ours, expected);
      });
    }
  }

  it('checks byte for byte at least RS256, HS256 and EdDSA', () => {
    const checked = FILES.map(load).filter(
      (ex) => ex.reproducible && ex.output.compact && !Array.isArray(ex.input.alg),
    );
    const algs = new Set(checked.map((ex) => ex.input.alg as string));
    for (const alg of ['RS256', 'HS256', 'EdDSA']) assert.ok(algs.has(alg), alg);
  });
});
