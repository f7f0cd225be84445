/**
 * `npm run bench -- crypto`: what the security schemes cost on one core, next to the raw
 * node:crypto operations and `openssl speed rsa2048` (when openssl is installed), so the CMS and
 * JWS overheads over the arithmetic are visible. Sequential awaits: one operation at a time.
 * Prints `<name>: <value> ops/s`. Optional argument: seconds per figure (default 2).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { cmsScheme } from '../adapters/security/cms';
import { jwsScheme } from '../adapters/security/jws';
import type { PartnerKeys, SecurityScheme } from '../adapters/security/security-scheme';
import { createTestCa } from '../test/unit/adapters/security/pki';

async function rate(seconds: number, op: () => unknown): Promise<number> {
  // Warm up (JIT, caches), then count whole operations in the window.
  for (let i = 0; i < 50; i++) await op();
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    await op();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

function print(name: string, value: number): void {
  console.log(`${name}: ${Math.round(value)} ops/s`);
}

/** Parses `openssl speed -seconds N rsa2048` for the sign/s figure; undefined without openssl. */
function opensslRsaSign(seconds: number): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', String(Math.max(1, Math.round(seconds))), 'rsa2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const line = out.split('\n').find((l) => /^rsa\s+2048 bits/.test(l.trim()));
    const cols = line?.trim().split(/\s+/);
    const value = cols ? Number(cols[cols.length - 2]) : NaN;
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function schemePair(
  factory: typeof cmsScheme,
  kind: 'rsa' | 'ec',
): Promise<{ a: SecurityScheme; b: SecurityScheme; toB: PartnerKeys; fromA: PartnerKeys }> {
  const ca = await createTestCa('Bench');
  const [ia, ib] = await Promise.all([ca.issue({ commonName: 'a', kind }), ca.issue({ commonName: 'b', kind })]);
  const partner = (id: string): PartnerKeys => ({ partnerId: id, trustAnchorsPem: [ca.certificatePem] });
  return { a: factory({})({ keys: ia }), b: factory({})({ keys: ib }), toB: partner('B'), fromA: partner('A') };
}

/** Runs the crypto benchmark. */
export async function cryptoBenchmark(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2) || 2;
  const payload = randomBytes(1024);

  const cmsRsa = await schemePair(cmsScheme, 'rsa');
  const sealedRsa = await cmsRsa.a.seal(payload, cmsRsa.toB);
  print('cms sign rsa2048 (1 KB)', await rate(seconds, () => cmsRsa.a.seal(payload, cmsRsa.toB)));
  print('cms verify rsa2048 (1 KB)', await rate(seconds, () => cmsRsa.b.open(sealedRsa, cmsRsa.fromA)));

  const cmsEc = await schemePair(cmsScheme, 'ec');
  const sealedEc = await cmsEc.a.seal(payload, cmsEc.toB);
  print('cms sign p256 (1 KB)', await rate(seconds, () => cmsEc.a.seal(payload, cmsEc.toB)));
  print('cms verify p256 (1 KB)', await rate(seconds, () => cmsEc.b.open(sealedEc, cmsEc.fromA)));

  const jws = await schemePair(jwsScheme, 'ec');
  const token = await jws.a.seal(payload, jws.toB);
  print('jws sign es256 (1 KB)', await rate(seconds, () => jws.a.seal(payload, jws.toB)));
  print('jws verify es256 (1 KB)', await rate(seconds, () => jws.b.open(token, jws.fromA)));

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecKey = createPrivateKey(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const ecPub = createPublicKey(ecKey);
  const ecSig = sign('sha256', payload, ecKey);
  print('node:crypto p256 sign', await rate(seconds, () => sign('sha256', payload, ecKey)));
  print('node:crypto p256 verify', await rate(seconds, () => verify('sha256', payload, ecPub, ecSig)));

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  print('node:crypto rsa2048 sign', await rate(seconds, () => sign('sha256', payload, rsa.privateKey)));

  const openssl = opensslRsaSign(seconds);
  if (openssl !== undefined) print('openssl speed rsa2048 sign', openssl);
  else console.log('# openssl not found: no `openssl speed rsa2048` figure');
}
