/**
 * Fabric policies as the auditor evaluates them: signature policies (`cauthdsl`: n-out-of over
 * MSP principals, each signer used once), implicit-meta policies (ANY/ALL/MAJORITY of a
 * sub-policy over the organisations of a config group), and v3's implicit-orderer policy (a BFT
 * quorum of the consenters). Also reads the policy language people write, e.g.
 * `AND('CustomsAMSP.peer','CustomsBMSP.peer')` or `OutOf(2,'A.member','B.member','C.member')`.
 */
import { createHash } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';

/** The id a validated signer carries: SHA-256 (hex) of MSP id and certificate bytes. */
export function signerId(mspId: string, idBytes: Uint8Array): string {
  return createHash('sha256').update(mspId).update(idBytes).digest('hex');
}

/** MSPRole.MSPRoleType names: what a principal requires of a signer. */
export type PrincipalRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

export interface Principal {
  readonly mspId: string;
  readonly role: PrincipalRole;
  /** IDENTITY principals (BFT BlockValidation): the signer's id ({@link PolicySigner.id}) it requires. */
  readonly identity?: string;
}

export type SignatureRule = { readonly signedBy: number } | { readonly n: number; readonly rules: SignatureRule[] };

export type Policy =
  | { readonly type: 'signature'; readonly rule: SignatureRule; readonly principals: Principal[] }
  | { readonly type: 'implicit-meta'; readonly subPolicy: string; readonly rule: 'ANY' | 'ALL' | 'MAJORITY' }
  | { readonly type: 'implicit-orderer'; readonly rule: string }
  | { readonly type: 'unsupported'; readonly what: string };

/** A signer that passed MSP validation, as policies see it. */
export interface PolicySigner {
  readonly mspId: string;
  /** The NodeOU role of the certificate, when it has one. */
  readonly ou: string | undefined;
  readonly isAdmin: boolean;
  /** Identifies the signer for de-duplication (serialized identity, hex or latin1). */
  readonly id: string;
}

const ROLE_NAMES: Record<number, PrincipalRole> = { 0: 'member', 1: 'admin', 2: 'client', 3: 'peer', 4: 'orderer' };
const ROLE_NUMBERS: Record<PrincipalRole, number> = { member: 0, admin: 1, client: 2, peer: 3, orderer: 4 };

/** Decodes a common.Policy (as found in a config group). */
export function decodePolicy(policy: common.Policy): Policy {
  const value = policy.getValue_asU8();
  switch (policy.getType()) {
    case common.Policy.PolicyType.SIGNATURE:
      return decodeSignaturePolicy(common.SignaturePolicyEnvelope.deserializeBinary(value));
    case common.Policy.PolicyType.IMPLICIT_META: {
      const meta = common.ImplicitMetaPolicy.deserializeBinary(value);
      const rule = (['ANY', 'ALL', 'MAJORITY'] as const)[meta.getRule()] ?? 'ANY';
      return { type: 'implicit-meta', subPolicy: meta.getSubPolicy(), rule };
    }
    case 4: // IMPLICIT_ORDERER (Fabric v3, BFT): not in this fabric-protos release's enum
      return { type: 'implicit-orderer', rule: Buffer.from(value).toString('utf8') || 'SMARTBFT' };
    default:
      return { type: 'unsupported', what: `policy type ${policy.getType()}` };
  }
}

/** Decodes a SignaturePolicyEnvelope. Principals other than MSP roles count as unmatched. */
export function decodeSignaturePolicy(envelope: common.SignaturePolicyEnvelope): Policy {
  const principals: Principal[] = envelope.getIdentitiesList().map((p) => {
    if (p.getPrincipalClassification() === msp.MSPPrincipal.Classification.IDENTITY) {
      const id = msp.SerializedIdentity.deserializeBinary(p.getPrincipal_asU8());
      return {
        mspId: id.getMspid(),
        role: 'member' as const,
        identity: signerId(id.getMspid(), id.getIdBytes_asU8()),
      };
    }
    if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) {
      return { mspId: '\u0000unsupported principal', role: 'member' as const };
    }
    const role = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8());
    return { mspId: role.getMspIdentifier(), role: ROLE_NAMES[role.getRole()] ?? 'member' };
  });
  const toRule = (rule: common.SignaturePolicy | undefined): SignatureRule => {
    if (!rule) return { n: 1, rules: [] };
    if (rule.hasNOutOf()) {
      const nOutOf = rule.getNOutOf();
      return { n: nOutOf?.getN() ?? 0, rules: (nOutOf?.getRulesList() ?? []).map(toRule) };
    }
    return { signedBy: rule.getSignedBy() };
  };
  return { type: 'signature', rule: toRule(envelope.getRule()), principals };
}

/** Encodes a signature policy back into Fabric's SignaturePolicyEnvelope (for proofs and tests). */
export function encodeSignaturePolicy(policy: Extract<Policy, { type: 'signature' }>): Uint8Array {
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  const toProto = (rule: SignatureRule): common.SignaturePolicy => {
    const out = new common.SignaturePolicy();
    if ('signedBy' in rule) out.setSignedBy(rule.signedBy);
    else {
      const nOutOf = new common.SignaturePolicy.NOutOf();
      nOutOf.setN(rule.n);
      nOutOf.setRulesList(rule.rules.map(toProto));
      out.setNOutOf(nOutOf);
    }
    return out;
  };
  envelope.setRule(toProto(policy.rule));
  envelope.setIdentitiesList(
    policy.principals.map((p) => {
      const role = new msp.MSPRole();
      role.setMspIdentifier(p.mspId);
      role.setRole(ROLE_NUMBERS[p.role] as Parameters<msp.MSPRole['setRole']>[0]);
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
      principal.setPrincipal(role.serializeBinary());
      return principal;
    }),
  );
  return envelope.serializeBinary();
}

/** Whether `signer` satisfies `principal`. */
export function matchesPrincipal(signer: PolicySigner, principal: Principal): boolean {
  if (signer.mspId !== principal.mspId) return false;
  if (principal.identity !== undefined) return signer.id === principal.identity;
  switch (principal.role) {
    case 'member':
      return true;
    case 'admin':
      return signer.isAdmin || signer.ou === 'admin';
    default:
      return signer.ou === principal.role;
  }
}

/**
 * Evaluates a signature policy as Fabric's cauthdsl does: rules are tried in order, and a signer
 * used to satisfy one `signedBy` cannot satisfy another.
 */
export function evaluateSignaturePolicy(
  policy: Extract<Policy, { type: 'signature' }>,
  signers: readonly PolicySigner[],
): boolean {
  const used = new Array<boolean>(signers.length).fill(false);
  const evaluate = (rule: SignatureRule, usedNow: boolean[]): boolean => {
    if ('signedBy' in rule) {
      const principal = policy.principals[rule.signedBy];
      if (!principal) return false;
      for (let i = 0; i < signers.length; i++) {
        if (usedNow[i]) continue;
        if (matchesPrincipal(signers[i] as PolicySigner, principal)) {
          usedNow[i] = true;
          return true;
        }
      }
      return false;
    }
    let satisfied = 0;
    for (const inner of rule.rules) {
      const attempt = [...usedNow];
      if (evaluate(inner, attempt)) {
        satisfied++;
        for (let i = 0; i < attempt.length; i++) usedNow[i] = attempt[i] as boolean;
      }
    }
    return satisfied >= rule.n;
  };
  return evaluate(policy.rule, used);
}

/** Human-readable form of a signature policy, in Fabric's policy language. */
export function describeSignaturePolicy(policy: Extract<Policy, { type: 'signature' }>): string {
  const show = (rule: SignatureRule): string => {
    if ('signedBy' in rule) {
      const p = policy.principals[rule.signedBy];
      return p ? `'${p.mspId}.${p.role}'` : `'?${rule.signedBy}'`;
    }
    const inner = rule.rules.map(show).join(',');
    if (rule.n === rule.rules.length && rule.n > 1) return `AND(${inner})`;
    if (rule.n === 1 && rule.rules.length > 1) return `OR(${inner})`;
    if (rule.n === 1 && rule.rules.length === 1) return inner;
    return `OutOf(${rule.n},${inner})`;
  };
  return show(policy.rule);
}

/**
 * Parses Fabric's policy language: `AND(...)`, `OR(...)`, `OutOf(n, ...)` over `'MSP.role'`
 * principals. @throws Error naming the position of what does not parse.
 */
export function parseSignaturePolicy(text: string): Extract<Policy, { type: 'signature' }> {
  const principals: Principal[] = [];
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const expect = (ch: string) => {
    skip();
    if (text[pos] !== ch) throw new Error(`policy: expected '${ch}' at ${pos} in ${text}`);
    pos++;
  };
  const parseRule = (): SignatureRule => {
    skip();
    const quote = text[pos];
    if (quote === "'" || quote === '"') {
      const end = text.indexOf(quote, pos + 1);
      if (end < 0) throw new Error(`policy: unterminated principal at ${pos} in ${text}`);
      const body = text.slice(pos + 1, end);
      pos = end + 1;
      const dot = body.lastIndexOf('.');
      const role = body.slice(dot + 1).toLowerCase();
      if (dot <= 0 || !(role in ROLE_NUMBERS)) throw new Error(`policy: '${body}' is not 'MSP.role'`);
      principals.push({ mspId: body.slice(0, dot), role: role as PrincipalRole });
      return { signedBy: principals.length - 1 };
    }
    const match = /^(AND|OR|OutOf)\s*\(/i.exec(text.slice(pos));
    if (!match?.[1]) throw new Error(`policy: expected AND, OR, OutOf or a principal at ${pos} in ${text}`);
    pos += match[0].length;
    const op = match[1].toUpperCase();
    let n = -1;
    if (op === 'OUTOF') {
      skip();
      const num = /^\d+/.exec(text.slice(pos));
      if (!num) throw new Error(`policy: OutOf needs a number at ${pos}`);
      n = Number(num[0]);
      pos += num[0].length;
      expect(',');
    }
    const rules: SignatureRule[] = [parseRule()];
    skip();
    while (text[pos] === ',') {
      pos++;
      rules.push(parseRule());
      skip();
    }
    expect(')');
    return { n: op === 'AND' ? rules.length : op === 'OR' ? 1 : n, rules };
  };
  const rule = parseRule();
  skip();
  if (pos !== text.length) throw new Error(`policy: unexpected '${text.slice(pos)}' in ${text}`);
  return { type: 'signature', rule, principals };
}
