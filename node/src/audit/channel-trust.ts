/**
 * What a channel's config block tells an auditor to trust: each organisation's MSP (root and
 * intermediate CA certificates, admins, whether NodeOUs classify identities), which
 * organisations order and which transact, the policies of the Orderer and Application groups and
 * of each organisation, and (Fabric v3 BFT) the consenters. Nothing else is trusted: an identity
 * is valid only if it chains to a root certificate named here.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import { parseWireFields } from '../fabric/wire';
import { decodeIdentity, decodeTransaction } from './tx-decoder';
import { type Policy, type PolicySigner, decodePolicy, evaluateSignaturePolicy, signerId } from './policy';

/** One organisation's MSP as the config states it. */
export interface MspTrust {
  readonly mspId: string;
  readonly rootCertificatesPem: string[];
  readonly intermediateCertificatesPem: string[];
  readonly nodeOUs: boolean;
  readonly section: 'application' | 'orderer' | 'both';
}

/** An identity that chains to a root of its MSP. */
export interface ValidIdentity extends PolicySigner {
  readonly subject: string;
  readonly publicKey: KeyObject;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface Consenter {
  readonly id: number;
  readonly mspId: string;
  readonly identity: Uint8Array;
}

/** The trust and policies of one channel configuration. */
export interface ChannelTrust {
  readonly channelId: string;
  readonly sequence: number;
  readonly msps: ReadonlyMap<string, MspTrust>;
  readonly applicationOrgs: readonly string[];
  readonly ordererOrgs: readonly string[];
  /** Policies by path, e.g. `/Channel/Orderer/BlockValidation`, `/Channel/Application/CustomsAMSP/Endorsement`. */
  readonly policies: ReadonlyMap<string, Policy>;
  readonly consenters: readonly Consenter[];
  /** Validates an identity against the MSPs of this config; the reason when it does not. */
  validate(mspId: string, idBytes: Uint8Array): ValidIdentity | string;
  /** Evaluates the policy at `path` (implicit-meta policies recurse into the group's organisations). */
  evaluate(path: string, signers: readonly ValidIdentity[]): { ok: boolean; reason?: string };
  /** SHA-256 (hex) of each root certificate's DER, by MSP: what `--trust` pins. */
  rootFingerprints(): Map<string, string[]>;
}

/** Reads the ChannelTrust of a config block (genesis or later CONFIG block). @throws Error */
export function channelTrustFromConfigEnvelope(envelope: Uint8Array): ChannelTrust {
  const tx = decodeTransaction(envelope);
  if (tx.type !== common.HeaderType.CONFIG) throw new Error(`transaction type ${tx.type} is not CONFIG`);
  const configEnvelope = common.ConfigEnvelope.deserializeBinary(tx.data);
  const config = configEnvelope.getConfig();
  const channel = config?.getChannelGroup();
  if (!config || !channel) throw new Error('config envelope has no channel group');
  return buildTrust(tx.channelId, config.getSequence(), channel);
}

function buildTrust(channelId: string, sequence: number, channel: common.ConfigGroup): ChannelTrust {
  const msps = new Map<string, MspTrust>();
  const policies = new Map<string, Policy>();
  const groupOrgs = new Map<string, string[]>();
  const readPolicies = (path: string, group: common.ConfigGroup) => {
    group.getPoliciesMap().forEach((configPolicy: common.ConfigPolicy, name: string) => {
      const policy = configPolicy.getPolicy();
      if (policy) policies.set(`${path}/${name}`, decodePolicy(policy));
    });
  };
  readPolicies('/Channel', channel);
  const sections: Array<['application' | 'orderer', string]> = [
    ['application', 'Application'],
    ['orderer', 'Orderer'],
  ];
  let consenters: Consenter[] = [];
  for (const [section, name] of sections) {
    const group = channel.getGroupsMap().get(name);
    if (!group) continue;
    readPolicies(`/Channel/${name}`, group);
    const orgs: string[] = [];
    group.getGroupsMap().forEach((orgGroup: common.ConfigGroup, orgName: string) => {
      readPolicies(`/Channel/${name}/${orgName}`, orgGroup);
      const mspValue = orgGroup.getValuesMap().get('MSP');
      if (!mspValue) return;
      const mspConfig = msp.MSPConfig.deserializeBinary(mspValue.getValue_asU8());
      const fabric = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
      const mspId = fabric.getName();
      orgs.push(orgName);
      const existing = msps.get(mspId);
      const pem = (list: Uint8Array[]) => list.map((b) => Buffer.from(b).toString('utf8'));
      msps.set(mspId, {
        mspId,
        rootCertificatesPem: pem(fabric.getRootCertsList_asU8()),
        intermediateCertificatesPem: pem(fabric.getIntermediateCertsList_asU8()),
        nodeOUs: fabric.getFabricNodeOus()?.getEnable() ?? false,
        section: existing && existing.section !== section ? 'both' : section,
      });
      // The policies of an org group are addressed by group name; keep MSP ids for lookups too.
      if (orgName !== mspId) readPolicies(`/Channel/${name}/${mspId}`, orgGroup);
    });
    groupOrgs.set(name, orgs);
    if (section === 'orderer') {
      const orderers = group.getValuesMap().get('Orderers');
      if (orderers) {
        consenters = decodeConsenters(orderers.getValue_asU8());
      }
    }
  }
  const ordererMspIds = mspIdsOf(channel, 'Orderer');
  const applicationMspIds = mspIdsOf(channel, 'Application');
  const trust = new TrustImpl(channelId, sequence, msps, applicationMspIds, ordererMspIds, policies, consenters);
  trust.groupOrgs = groupOrgs;
  return trust;
}

function mspIdsOf(channel: common.ConfigGroup, groupName: string): string[] {
  const group = channel.getGroupsMap().get(groupName);
  const ids: string[] = [];
  group?.getGroupsMap().forEach((orgGroup: common.ConfigGroup) => {
    const value = orgGroup.getValuesMap().get('MSP');
    if (!value) return;
    const config = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
    ids.push(msp.FabricMSPConfig.deserializeBinary(config.getConfig_asU8()).getName());
  });
  return ids.sort();
}

interface ParsedMsp {
  readonly roots: X509Certificate[];
  readonly intermediates: X509Certificate[];
}

class TrustImpl implements ChannelTrust {
  groupOrgs = new Map<string, string[]>();
  private readonly parsed = new Map<string, ParsedMsp>();
  private readonly cache = new Map<string, ValidIdentity | string>();

  constructor(
    readonly channelId: string,
    readonly sequence: number,
    readonly msps: ReadonlyMap<string, MspTrust>,
    readonly applicationOrgs: readonly string[],
    readonly ordererOrgs: readonly string[],
    readonly policies: ReadonlyMap<string, Policy>,
    readonly consenters: readonly Consenter[],
  ) {
    for (const [mspId, trust] of msps) {
      const parse = (pems: string[]) =>
        pems.flatMap((pem) => {
          try {
            return [new X509Certificate(pem)];
          } catch {
            return [];
          }
        });
      this.parsed.set(mspId, {
        roots: parse(trust.rootCertificatesPem),
        intermediates: parse(trust.intermediateCertificatesPem),
      });
    }
  }

  validate(mspId: string, idBytes: Uint8Array): ValidIdentity | string {
    const key = `${mspId}\u0000${Buffer.from(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength).toString('latin1')}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.check(mspId, idBytes);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, found);
    }
    return found;
  }

  private check(mspId: string, idBytes: Uint8Array): ValidIdentity | string {
    const parsedMsp = this.parsed.get(mspId);
    if (!parsedMsp) return `MSP ${mspId} is not an organisation of the channel`;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(idBytes));
    } catch {
      return `the certificate of the ${mspId} identity does not parse`;
    }
    const subject = cert.subject.replace(/\n/g, ', ');
    if (cert.ca) return `${subject} is a CA certificate, not an identity`;
    const issuedBy = (issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    let chained = parsedMsp.roots.some(issuedBy);
    if (!chained) {
      // One intermediate level, as Fabric MSPs are usually set up.
      chained = parsedMsp.intermediates.some(
        (inter) =>
          issuedBy(inter) && parsedMsp.roots.some((root) => inter.checkIssued(root) && inter.verify(root.publicKey)),
      );
    }
    if (!chained) return `${subject} is not issued by a root CA of ${mspId} in the channel config`;
    const ous = cert.subject
      .split(/\n| \+ /)
      .filter((line) => line.startsWith('OU='))
      .map((line) => line.slice(3).toLowerCase())
      .filter((ou) => ['client', 'peer', 'orderer', 'admin'].includes(ou));
    const trust = this.msps.get(mspId);
    if (trust?.nodeOUs && ous.length !== 1) {
      return `${subject} must have exactly one NodeOU (client, peer, orderer, admin) in ${mspId}, has ${ous.length}`;
    }
    return {
      mspId,
      ou: ous[0],
      isAdmin: ous[0] === 'admin',
      id: signerId(mspId, idBytes),
      subject,
      publicKey: cert.publicKey,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
    };
  }

  evaluate(path: string, signers: readonly ValidIdentity[]): { ok: boolean; reason?: string } {
    const policy = this.policies.get(path);
    if (!policy) return { ok: false, reason: `the channel config has no policy ${path}` };
    switch (policy.type) {
      case 'signature':
        return evaluateSignaturePolicy(policy, dedupe(signers))
          ? { ok: true }
          : { ok: false, reason: `${path} (a signature policy) is not satisfied` };
      case 'implicit-meta': {
        const groupPath = path.slice(0, path.lastIndexOf('/'));
        const groupName = groupPath.slice(groupPath.lastIndexOf('/') + 1);
        const orgs = this.groupOrgs.get(groupName) ?? [];
        let satisfied = 0;
        for (const org of orgs) if (this.evaluate(`${groupPath}/${org}/${policy.subPolicy}`, signers).ok) satisfied++;
        const needed =
          policy.rule === 'ANY' ? 1 : policy.rule === 'ALL' ? orgs.length : Math.floor(orgs.length / 2) + 1;
        return satisfied >= needed && orgs.length > 0
          ? { ok: true }
          : {
              ok: false,
              reason: `${path} (${policy.rule} ${policy.subPolicy}) needs ${needed} of ${orgs.length} organisations, ${satisfied} satisfied`,
            };
      }
      case 'implicit-orderer': {
        const n = this.consenters.length;
        const f = Math.floor((n - 1) / 3);
        const quorum = Math.ceil((n + f + 1) / 2);
        const distinct = new Set(
          dedupe(signers)
            .filter((s) => this.ordererOrgs.includes(s.mspId))
            .map((s) => s.id),
        );
        return n > 0 && distinct.size >= quorum
          ? { ok: true }
          : {
              ok: false,
              reason: `${path} (BFT quorum) needs ${quorum} of ${n} consenters, ${distinct.size} signed`,
            };
      }
      default:
        return { ok: false, reason: `${path} is a ${policy.what}, which the auditor cannot evaluate` };
    }
  }

  rootFingerprints(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [mspId, parsed] of this.parsed)
      out.set(
        mspId,
        parsed.roots.map((c) => c.fingerprint256),
      );
    return out;
  }
}

function dedupe(signers: readonly ValidIdentity[]): ValidIdentity[] {
  const seen = new Set<string>();
  return signers.filter((s) => !seen.has(s.id) && (seen.add(s.id), true));
}

/** The consenter a BFT block signature names by id, as an identity to validate. */
export function consenterIdentity(trust: ChannelTrust, id: number): { mspId: string; idBytes: Uint8Array } | undefined {
  const consenter = trust.consenters.find((c) => c.id === id);
  if (!consenter) return undefined;
  // The consenter identity is a SerializedIdentity in v3; fall back to raw PEM bytes.
  try {
    const decoded = decodeIdentity(consenter.identity);
    if (decoded.idBytes.length > 0) return { mspId: decoded.mspId || consenter.mspId, idBytes: decoded.idBytes };
  } catch {
    // raw certificate
  }
  return { mspId: consenter.mspId, idBytes: consenter.identity };
}

/** The v3 `Orderers` config value (not in this fabric-protos release): ConsenterMapping id (1), msp_id (4), identity (5). */
function decodeConsenters(bytes: Uint8Array): Consenter[] {
  const out: Consenter[] = [];
  for (const f of parseWireFields(bytes) ?? []) {
    if (f.number !== 1 || f.wireType !== 2) continue;
    const c = bytes.subarray(f.valueStart, f.end);
    let id = 0;
    let mspId = '';
    let identity: Uint8Array = new Uint8Array(0);
    for (const g of parseWireFields(c) ?? []) {
      if (g.number === 1 && g.wireType === 0) id = g.int32 >>> 0;
      else if (g.number === 4 && g.wireType === 2)
        mspId = Buffer.from(c.subarray(g.valueStart, g.end)).toString('utf8');
      else if (g.number === 5 && g.wireType === 2) identity = c.subarray(g.valueStart, g.end);
    }
    out.push({ id, mspId, identity });
  }
  return out;
}
