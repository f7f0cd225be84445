/**
 * The contract every security scheme passes (adapters/security/security-scheme.ts). A scheme that
 * authenticates runs all of it; `none` declares `authenticates: false` and runs only the round
 * trip and the garbage parts: the trust tests are not defined for it at all, so they are neither
 * run nor counted as passing.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { SecurityError } from '../../adapters/security/errors';
import type { PartnerKeys, SecurityScheme } from '../../adapters/security/security-scheme';

/** Schemes and keys for one run of the suite: sender A, receiver B. */
export interface SecuritySuiteFixtures {
  /** A's scheme (seals for B). */
  readonly sender: SecurityScheme;
  /** B's scheme (opens what A sealed). */
  readonly receiver: SecurityScheme;
  /** What A's agreement says about B (B's encryption certificate, if any). */
  readonly receiverAsPartner: PartnerKeys;
  /** What B's agreement says about A (A's trust anchors). */
  readonly senderAsPartner: PartnerKeys;
  /** Required when the scheme authenticates. */
  readonly trust?: {
    /** Same scheme as A, but its certificate comes from a CA that B does not trust. */
    readonly foreignSender: SecurityScheme;
    /** Same scheme and CA as A, with a certificate that has already expired. */
    readonly expiredSender: SecurityScheme;
    /** Serial number (lower-case hex) of A's signing certificate. */
    readonly senderSerial: string;
    /** A's certificate validity, to open at instants outside it. */
    readonly senderValidity: { notBefore: Date; notAfter: Date };
    /**
     * Same scheme, with a certificate whose subject and issuer name are those of A's, issued by
     * another CA of the same name (another key) that B does not trust: an impostor a cache keyed
     * by names would take for A.
     */
    readonly lookalikeSender: SecurityScheme;
  };
}

export interface SecuritySuiteSetup {
  /** Names the configuration when a scheme runs the suite more than once (key type, options). */
  readonly label?: string;
  /** False only for `none`: the trust tests are then not defined. */
  readonly authenticates: boolean;
  /** Codes a tampered message may be refused with beyond BAD_SIGNATURE and MALFORMED (e.g. DECRYPT_FAILED). */
  readonly extraTamperCodes?: readonly string[];
  create(): Promise<SecuritySuiteFixtures>;
}

const TYPED = /^GNC_SECURITY_[A-Z_]+$/;

async function rejectsWith(promise: Promise<unknown>, codes: readonly string[], what: string): Promise<SecurityError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SecurityError, `${what}: expected a SecurityError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `${what}: expected ${codes.join(' or ')}, got ${err.code}: ${err.message}`);
    assert.ok([400, 401, 403].includes(err.httpStatus), `${what}: httpStatus ${err.httpStatus}`);
    return err;
  }
  assert.fail(`${what}: expected a rejection with ${codes.join(' or ')}, but it was accepted`);
}

/** Opens `bytes`; resolves only when it fails with a typed GNC_SECURITY_* error or yields `expected`. */
async function typedOrAuthentic(
  scheme: SecurityScheme,
  bytes: Uint8Array,
  from: PartnerKeys,
  expected: Uint8Array | undefined,
  what: string,
): Promise<'accepted' | 'rejected'> {
  try {
    const opened = await scheme.open(bytes, from);
    // An unsigned field that the scheme ignores (a version number, a digest algorithm list) may
    // change without harm; what must never happen is a different payload coming out as verified.
    if (expected !== undefined) {
      assert.ok(Buffer.from(opened.payload).equals(expected), `${what}: accepted with a different payload`);
    }
    return 'accepted';
  } catch (err) {
    assert.ok(err instanceof SecurityError && TYPED.test(err.code), `${what}: untyped error ${String(err)}`);
    return 'rejected';
  }
}

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle);
}

/** Runs the security scheme contract for `name`. */
export function runSecuritySuite(name: string, setup: SecuritySuiteSetup): void {
  describe(`SecurityScheme compliance: ${name}${setup.label ? ` (${setup.label})` : ''}`, function () {
    this.timeout(120_000);
    let f: SecuritySuiteFixtures;
    const payload = Buffer.from(
      JSON.stringify({
        messageId: '0f5c2a3e-6b1d-4c8e-9a57-2d4e1b6f8c90',
        goods: 'Smartphones, 120 PCE',
        pad: 'x'.repeat(900),
      }),
    );

    before(async () => {
      f = await setup.create();
      assert.equal(f.sender.name, name);
      assert.equal(f.sender.authenticates, setup.authenticates);
      if (setup.authenticates) assert.ok(f.trust, 'an authenticating scheme must provide the trust fixtures');
    });

    describe('round trip', () => {
      it('opens what it sealed, with the payload unchanged', async () => {
        const sealed = await f.sender.seal(payload, f.receiverAsPartner);
        const opened = await f.receiver.open(sealed, f.senderAsPartner);
        assert.ok(Buffer.from(opened.payload).equals(payload));
        if (setup.authenticates) {
          assert.ok(opened.signer.subject.length > 0, 'names the signer');
          assert.equal(opened.signer.serialNumber, f.trust?.senderSerial);
          assert.match(opened.signer.certificatePem, /BEGIN CERTIFICATE/);
        } else {
          assert.equal(opened.signer.subject, '', 'an unauthenticated scheme names no signer');
        }
      });

      it('carries an empty payload and a 256 KiB binary payload', async () => {
        for (const p of [Buffer.alloc(0), randomBytes(256 * 1024)]) {
          const opened = await f.receiver.open(await f.sender.seal(p, f.receiverAsPartner), f.senderAsPartner);
          assert.ok(Buffer.from(opened.payload).equals(p), `${p.length} bytes`);
        }
      });

      it('seals the same payload differently or identically, but always opens it', async () => {
        const [a, b] = await Promise.all([
          f.sender.seal(payload, f.receiverAsPartner),
          f.sender.seal(payload, f.receiverAsPartner),
        ]);
        for (const s of [a, b])
          assert.ok(Buffer.from((await f.receiver.open(s, f.senderAsPartner)).payload).equals(payload));
      });
    });

    if (setup.authenticates) {
      const tamperCodes = ['GNC_SECURITY_BAD_SIGNATURE', 'GNC_SECURITY_MALFORMED', ...(setup.extraTamperCodes ?? [])];

      describe('tampering', () => {
        it('refuses a message whose payload bytes were changed', async () => {
          const sealed = Buffer.from(await f.sender.seal(payload, f.receiverAsPartner));
          // The payload appears as is (CMS) or base64url (JWS) unless the scheme encrypts.
          let at = findBytes(sealed, payload);
          if (at < 0) at = findBytes(sealed, Buffer.from(payload.toString('base64url'), 'latin1'));
          const codes = at >= 0 ? ['GNC_SECURITY_BAD_SIGNATURE'] : tamperCodes;
          const pos = at >= 0 ? at + 100 : Math.floor(sealed.length / 2);
          // A letter for a letter: still valid base64url, so only the signature can object.
          sealed[pos] = sealed[pos] === 0x41 ? 0x42 : 0x41;
          await rejectsWith(f.receiver.open(sealed, f.senderAsPartner), codes, 'payload byte changed');
        });

        it('never yields a different payload when any byte is changed (sweep)', async () => {
          const sealed = Buffer.from(await f.sender.seal(payload, f.receiverAsPartner));
          const step = Math.max(1, Math.floor(sealed.length / 400));
          let rejected = 0;
          for (let i = 0; i < sealed.length; i += step) {
            const copy = Buffer.from(sealed);
            copy[i] = copy[i]! ^ 0x5a;
            if ((await typedOrAuthentic(f.receiver, copy, f.senderAsPartner, payload, `byte ${i}`)) === 'rejected')
              rejected++;
          }
          assert.ok(rejected > 0);
        });
      });

      describe('trust', () => {
        it('refuses a signer whose certificate comes from another CA (UNTRUSTED)', async () => {
          const sealed = await f.trust!.foreignSender.seal(payload, f.receiverAsPartner);
          await rejectsWith(
            f.receiver.open(sealed, f.senderAsPartner),
            ['GNC_SECURITY_UNTRUSTED_CERTIFICATE'],
            'foreign CA',
          );
        });

        it('refuses a partner with no trust anchors (UNTRUSTED)', async () => {
          const sealed = await f.sender.seal(payload, f.receiverAsPartner);
          const none: PartnerKeys = { ...f.senderAsPartner, trustAnchorsPem: [] };
          await rejectsWith(f.receiver.open(sealed, none), ['GNC_SECURITY_UNTRUSTED_CERTIFICATE'], 'no anchors');
        });

        it('refuses an expired signer certificate (EXPIRED)', async () => {
          const sealed = await f.trust!.expiredSender.seal(payload, f.receiverAsPartner);
          await rejectsWith(
            f.receiver.open(sealed, f.senderAsPartner),
            ['GNC_SECURITY_CERTIFICATE_EXPIRED'],
            'expired',
          );
        });

        it('checks validity at the time asked: after notAfter EXPIRED, before notBefore NOT_YET_VALID', async () => {
          const sealed = await f.sender.seal(payload, f.receiverAsPartner);
          const { notBefore, notAfter } = f.trust!.senderValidity;
          await rejectsWith(
            f.receiver.open(sealed, f.senderAsPartner, new Date(notAfter.getTime() + 1000)),
            ['GNC_SECURITY_CERTIFICATE_EXPIRED'],
            'after notAfter',
          );
          await rejectsWith(
            f.receiver.open(sealed, f.senderAsPartner, new Date(notBefore.getTime() - 1000)),
            ['GNC_SECURITY_CERTIFICATE_NOT_YET_VALID'],
            'before notBefore',
          );
          const inside = new Date((notBefore.getTime() + notAfter.getTime()) / 2);
          assert.ok(Buffer.from((await f.receiver.open(sealed, f.senderAsPartner, inside)).payload).equals(payload));
        });

        it('refuses a revoked signer certificate (REVOKED, 403)', async () => {
          const sealed = await f.sender.seal(payload, f.receiverAsPartner);
          const revoked: PartnerKeys = { ...f.senderAsPartner, revokedSerials: new Set([f.trust!.senderSerial]) };
          const err = await rejectsWith(
            f.receiver.open(sealed, revoked),
            ['GNC_SECURITY_CERTIFICATE_REVOKED'],
            'revoked',
          );
          assert.equal(err.httpStatus, 403);
        });

        it('sees a revocation added to the same set later', async () => {
          const sealed = await f.sender.seal(payload, f.receiverAsPartner);
          const serials = new Set<string>();
          const partner: PartnerKeys = { ...f.senderAsPartner, revokedSerials: serials };
          await f.receiver.open(sealed, partner);
          serials.add(f.trust!.senderSerial);
          await rejectsWith(f.receiver.open(sealed, partner), ['GNC_SECURITY_CERTIFICATE_REVOKED'], 'revoked later');
        });

        // A scheme may keep what it learnt of a certificate (parsed, chained to an anchor) from one
        // message to the next; the time and the revocation set must still be checked on each.
        describe('after the certificate was verified on earlier messages', () => {
          it('refuses the next message once a CRL refresh replaces the agreement with one that revokes it', async () => {
            const sealed = await f.sender.seal(payload, f.receiverAsPartner);
            const before: PartnerKeys = { ...f.senderAsPartner, revokedSerials: new Set() };
            await f.receiver.open(sealed, before);
            await f.receiver.open(await f.sender.seal(payload, f.receiverAsPartner), before);
            const refreshed: PartnerKeys = { ...before, revokedSerials: new Set([f.trust!.senderSerial]) };
            await rejectsWith(
              f.receiver.open(await f.sender.seal(payload, f.receiverAsPartner), refreshed),
              ['GNC_SECURITY_CERTIFICATE_REVOKED'],
              'revoked by a refreshed agreement',
            );
            // Padded forms of the serial as CRL tools print them are the same serial.
            const padded: PartnerKeys = { ...before, revokedSerials: new Set([`00${f.trust!.senderSerial}`]) };
            await rejectsWith(f.receiver.open(sealed, padded), ['GNC_SECURITY_CERTIFICATE_REVOKED'], 'padded serial');
          });

          it('refuses it once it has expired, and accepts it again at a time inside its validity', async () => {
            const sealed = await f.sender.seal(payload, f.receiverAsPartner);
            const { notBefore, notAfter } = f.trust!.senderValidity;
            const inside = new Date((notBefore.getTime() + notAfter.getTime()) / 2);
            await f.receiver.open(sealed, f.senderAsPartner, inside);
            await f.receiver.open(sealed, f.senderAsPartner);
            await rejectsWith(
              f.receiver.open(sealed, f.senderAsPartner, new Date(notAfter.getTime() + 1)),
              ['GNC_SECURITY_CERTIFICATE_EXPIRED'],
              'expired after a cached verification',
            );
            assert.ok(Buffer.from((await f.receiver.open(sealed, f.senderAsPartner, inside)).payload).equals(payload));
          });

          it('does not take a certificate with the same subject and issuer name from an untrusted CA for it', async () => {
            const genuine = await f.receiver.open(await f.sender.seal(payload, f.receiverAsPartner), f.senderAsPartner);
            const lookalike = await f.trust!.lookalikeSender.seal(payload, f.receiverAsPartner);
            await rejectsWith(
              f.receiver.open(lookalike, f.senderAsPartner),
              ['GNC_SECURITY_UNTRUSTED_CERTIFICATE', 'GNC_SECURITY_BAD_SIGNATURE'],
              'same subject, other CA',
            );
            // And the genuine signer is still accepted, its identity unchanged.
            const again = await f.receiver.open(await f.sender.seal(payload, f.receiverAsPartner), f.senderAsPartner);
            assert.deepEqual(again.signer, genuine.signer);
          });
        });
      });
    }

    describe('garbage', () => {
      const check = async (bytes: Uint8Array, what: string): Promise<void> => {
        const outcome = await typedOrAuthentic(
          f.receiver,
          bytes,
          f.senderAsPartner,
          setup.authenticates ? new Uint8Array(0) : bytes,
          what,
        );
        if (setup.authenticates) assert.equal(outcome, 'rejected', `${what} was accepted`);
      };

      it('answers empty, text, random and deeply nested input with a typed error, never a crash', async () => {
        await check(new Uint8Array(0), 'empty');
        await check(Buffer.from('hello, customs'), 'text');
        await check(Buffer.from('a.b.c'), 'three dots');
        await check(Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30.AAAA'), 'compact JWS without x5c');
        await check(Buffer.concat([Buffer.alloc(5000, 0x30).fill(0x80, 1, 2), Buffer.alloc(10)]), 'nested indefinite');
        await check(Buffer.concat(Array.from({ length: 2000 }, () => Buffer.from([0x30, 0x80]))), 'deep nesting');
        await check(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'huge length');
        for (let i = 0; i < 50; i++) await check(randomBytes(1 + ((i * 37) % 2000)), `random ${i}`);
      });

      it('answers every truncation of a sealed message with a typed error', async () => {
        const sealed = Buffer.from(await f.sender.seal(payload, f.receiverAsPartner));
        const step = Math.max(1, Math.floor(sealed.length / 300));
        for (let cut = 0; cut < sealed.length; cut += step) await check(sealed.subarray(0, cut), `cut at ${cut}`);
      });

      it('survives a bounded random mutation fuzz (~1 s)', async () => {
        const sealed = Buffer.from(await f.sender.seal(payload, f.receiverAsPartner));
        const deadline = Date.now() + 1000;
        let runs = 0;
        while (Date.now() < deadline) {
          const copy = Buffer.from(sealed);
          const edits = 1 + (runs % 8);
          for (let e = 0; e < edits; e++)
            copy[Math.floor(Math.random() * copy.length)] = Math.floor(Math.random() * 256);
          const cut = runs % 5 === 0 ? Math.floor(Math.random() * copy.length) : copy.length;
          await typedOrAuthentic(
            f.receiver,
            copy.subarray(0, cut),
            f.senderAsPartner,
            setup.authenticates ? payload : undefined,
            `fuzz ${runs}`,
          );
          runs++;
        }
        assert.ok(runs > 10);
      });
    });
  });
}
