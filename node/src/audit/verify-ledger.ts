/**
 * `gnc audit verify`: the whole ledger checked by someone who trusts only the channel's root
 * certificates, read from the genesis block and followed through every later config block.
 *
 * Per block: the hash chain and data hash (the {@link newChainVerifier} rules and Fabric's
 * wording, so Fabric's sample reports still come out), the orderer signatures (or the embedded
 * node's) against the Orderer group's BlockValidation policy, the last-config index the signers
 * vouch for. Per transaction: decodes, channel, transaction id = SHA-256(nonce || creator), no
 * duplicate id, creator from a channel MSP and valid at the transaction time, creator signature,
 * every endorsement signature, endorsements bound to this proposal (proposal hash), the endorsement
 * policy of every namespace written, MVCC of its public reads against the replayed state; then
 * the validation flag the peer recorded must agree. The writes of valid transactions are replayed
 * into a fresh state which is compared, key by key, with the live state when one is given.
 *
 * Signatures are checked on libuv's thread pool, a block's worth at a time.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { blockHeaderBytes } from '../fabric/block-hash';
import { readBlockfiles } from '../fabric/blockfile-reader';
import { checkSignatureAsync as verifySignatureAsync } from './signature-check';
import {
  type ChannelTrust,
  type ValidIdentity,
  channelTrustFromConfigEnvelope,
  consenterIdentity,
} from './channel-trust';
import {
  type Policy,
  decodeSignaturePolicy,
  describeSignaturePolicy,
  evaluateSignaturePolicy,
  parseSignaturePolicy,
} from './policy';
import { type DecodedAction, type DecodedTransaction, TxDecodeError, decodeTransaction } from './tx-decoder';
import { type BlockFault, type ChainTail, newChainVerifier } from './verify-chain';
import { wireBytes } from './wire-util';

const V = peer.TxValidationCode;
const CODE_NAMES = new Map<number, string>(Object.entries(V).map(([name, code]) => [code as number, name]));
/** Codes whose cause these checks would find, so a transaction flagged so must fail one of them. */
const CHECKED_CODES = new Set<number>([
  V.BAD_PAYLOAD,
  V.BAD_CREATOR_SIGNATURE,
  V.BAD_PROPOSAL_TXID,
  V.DUPLICATE_TXID,
  V.ENDORSEMENT_POLICY_FAILURE,
]);
const SYSTEM_NAMESPACES = new Set(['lscc', 'qscc', 'cscc', 'escc', 'vscc']);
const LIFECYCLE = '_lifecycle';

export function validationCodeName(code: number): string {
  return CODE_NAMES.get(code) ?? `CODE_${code}`;
}

/** The live world state to compare the replayed one with. */
export interface LiveState {
  /** E.g. `embedded LevelDB state of /data/ledger` or `peer0.customsA through the gateway`. */
  readonly description: string;
  /** Namespaces this source covers (the others are replayed but not compared). */
  readonly namespaces: readonly string[];
  /** Only keys this accepts are compared (e.g. record keys, when indexes cannot be listed). */
  readonly covers?: (namespace: string, key: string) => boolean;
  /** Every key of the namespace with its value. */
  entries(namespace: string): AsyncIterable<{ key: string; value: Uint8Array }>;
}

export interface LedgerAuditOptions {
  readonly onProgress?: (progress: AuditProgress) => void;
  /** Blocks between progress reports (default 50). */
  readonly progressInterval?: number;
  /**
   * Endorsement policies by namespace in Fabric's policy language, overriding what the chain
   * defines (`--endorsement-policy gnc=AND('CustomsAMSP.peer','CustomsBMSP.peer')`).
   */
  readonly endorsementPolicies?: Readonly<Record<string, string>>;
  /** Root certificates (PEM) the auditor pins: every MSP root of the genesis config must be one of them. */
  readonly trustedRoots?: readonly string[];
  /** Compare the replayed state with this one at the end. */
  readonly liveState?: LiveState;
  /** Why no state comparison is possible (reported when `liveState` is absent). */
  readonly noLiveStateReason?: string;
  readonly signal?: AbortSignal;
}

export interface AuditProgress {
  readonly blocks: number;
  readonly transactions: number;
  readonly lastBlock: number;
  readonly elapsedMs: number;
}

export interface StateComparison {
  readonly compared: boolean;
  readonly message: string;
  readonly keysCompared: number;
  readonly mismatches: Array<{ namespace: string; key: string; problem: string }>;
}

export interface LedgerAuditReport {
  readonly intact: boolean;
  readonly blocksChecked: number;
  readonly firstBlock: number | undefined;
  readonly lastBlock: number | undefined;
  readonly transactions: { total: number; valid: number; invalid: number };
  readonly signaturesChecked: number;
  readonly faults: BlockFault[];
  readonly tail?: ChainTail;
  readonly trust: {
    /** Header hash (hex) of the first block: the anchor an auditor compares out of band. */
    readonly genesisHeaderHash: string | undefined;
    readonly configBlocks: Array<{ block: number; sequence: number; orgs: string[] }>;
    readonly rootFingerprints: Record<string, string[]>;
    readonly pinned: boolean;
  };
  readonly endorsementPolicies: Record<string, { policy: string; source: string }>;
  readonly state: StateComparison;
  readonly elapsedMs: number;
  readonly blocksPerSecond: number;
  readonly transactionsPerSecond: number;
}

/** A block, or the torn end of a blockfile. */
export type AuditItem = common.Block | ChainTail;

/** Audits the blocks of a Fabric blockfile or channel folder of blockfiles. */
export async function auditBlockfile(pathOrDir: string, options: LedgerAuditOptions = {}): Promise<LedgerAuditReport> {
  async function* items(): AsyncGenerator<AuditItem> {
    for await (const item of readBlockfiles(pathOrDir, options.signal ? { signal: options.signal } : {})) {
      if (item.kind === 'block') yield item.block;
      else yield { file: item.file, offset: item.offset, reason: item.reason, truncated: item.truncated };
    }
  }
  return auditBlocks(items(), options);
}

/** Audits a sequence of blocks from genesis, in order. Never throws for a bad block. */
export async function auditBlocks(
  blocks: AsyncIterable<AuditItem> | Iterable<AuditItem>,
  options: LedgerAuditOptions = {},
): Promise<LedgerAuditReport> {
  const auditor = new LedgerAuditor(options);
  for await (const item of blocks) {
    options.signal?.throwIfAborted();
    if ('reason' in item) auditor.tail(item);
    else await auditor.block(item);
  }
  return auditor.finish();
}

interface StateEntry {
  value: Uint8Array;
  block: number;
  tx: number;
}

interface TxCheck {
  index: number;
  tx: DecodedTransaction | undefined;
  /** The first problem found: expected validation code and why. */
  problem: { code: number; reason: string } | undefined;
  pending: Array<Promise<void>>;
}

interface NamespacePolicy {
  policy: Policy | { type: 'reference'; path: string };
  text: string;
  source: string;
}

class LedgerAuditor {
  private readonly chain = newChainVerifier({ progressInterval: Number.MAX_SAFE_INTEGER });
  private readonly faults = new Map<number, BlockFault>();
  private readonly started = performance.now();
  private trust: ChannelTrust | undefined;
  private lastConfigBlock = 0;
  private readonly configBlocks: LedgerAuditReport['trust']['configBlocks'] = [];
  private readonly state = new Map<string, Map<string, StateEntry>>();
  private readonly txIds = new Set<string>();
  private readonly policies = new Map<string, NamespacePolicy>();
  private blocks = 0;
  private firstBlock: number | undefined;
  private lastBlock: number | undefined;
  private txTotal = 0;
  private txValid = 0;
  private signatures = 0;
  private genesisHash: string | undefined;
  private readonly progressInterval: number;
  private tailSeen: ChainTail | undefined;
  private pinned = false;

  constructor(private readonly options: LedgerAuditOptions) {
    this.progressInterval = Math.max(1, options.progressInterval ?? 50);
    for (const [ns, text] of Object.entries(options.endorsementPolicies ?? {})) {
      this.policies.set(ns, { policy: parseSignaturePolicy(text), text, source: 'given by the auditor (option)' });
    }
  }

  private fault(blockNum: number, error: string): void {
    let fault = this.faults.get(blockNum);
    if (!fault) {
      fault = { blockNum, valid: false, errors: [] };
      this.faults.set(blockNum, fault);
    }
    fault.errors.push(error);
  }

  tail(tail: ChainTail): void {
    this.tailSeen = tail;
    const fault = this.chain.addTail(tail);
    for (const error of fault.errors) this.fault(fault.blockNum, error);
  }

  async block(block: common.Block): Promise<void> {
    const chainFault = this.chain.check(block);
    const header = block.getHeader();
    const number = header?.getNumber() ?? this.lastBlock ?? 0;
    if (chainFault) for (const error of chainFault.errors) this.fault(chainFault.blockNum, error);
    this.blocks++;
    this.firstBlock ??= number;
    this.lastBlock = number;
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    const metadata = block.getMetadata()?.getMetadataList_asU8() ?? [];
    if (this.blocks === 1 && header) {
      this.genesisHash = createHash('sha256')
        .update(blockHeaderBytes(BigInt(number), header.getPreviousHash_asU8(), header.getDataHash_asU8()))
        .digest('hex');
    }

    // A config block changes trust for what follows; its own signatures are checked with the
    // config it replaces (the genesis block, having none before it, with its own).
    let newTrust: ChannelTrust | undefined;
    const first = envelopes[0];
    if (envelopes.length === 1 && first && isConfig(first)) {
      try {
        newTrust = channelTrustFromConfigEnvelope(first);
      } catch (error) {
        this.fault(number, `config transaction does not decode: ${(error as Error).message}`);
      }
    }
    if (!this.trust) {
      if (!newTrust) {
        this.fault(number, 'the first block is not a config block: there are no trust roots to check against');
      } else {
        this.trust = newTrust;
        this.pinned = this.checkPinnedRoots(number, newTrust);
      }
    }
    const trust = this.trust;
    const pending: Array<Promise<void>> = [];
    if (trust) pending.push(this.checkBlockSignatures(block, number, metadata, trust, this.blocks === 1));

    const flags = metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
    if (flags.length !== envelopes.length) {
      this.fault(number, `the block holds ${envelopes.length} transactions but ${flags.length} validation flags`);
    }
    const checks: TxCheck[] = envelopes.map((envelope, index) => this.checkTransaction(envelope, index, number, trust));
    for (const check of checks) pending.push(...check.pending);
    await Promise.all(pending);

    // Sequential part: duplicates, MVCC against the replayed state, flags, replay.
    for (const check of checks) this.finishTransaction(check, number, flags[check.index] ?? V.VALID);

    if (newTrust && this.blocks > 1) {
      this.trust = newTrust;
      this.lastConfigBlock = number;
    }
    if (newTrust) {
      this.configBlocks.push({
        block: number,
        sequence: newTrust.sequence,
        orgs: [...newTrust.msps.keys()].sort(),
      });
    }
    if (this.blocks % this.progressInterval === 0) this.progress();
  }

  private checkPinnedRoots(number: number, trust: ChannelTrust): boolean {
    const pins = this.options.trustedRoots;
    if (!pins || pins.length === 0) return false;
    const pinned = new Set<string>();
    for (const pem of pins) {
      try {
        pinned.add(new X509Certificate(pem).fingerprint256);
      } catch {
        this.fault(number, 'a pinned trust root does not parse');
      }
    }
    for (const [mspId, prints] of trust.rootFingerprints()) {
      for (const print of prints) {
        if (!pinned.has(print))
          this.fault(number, `root certificate ${print} of ${mspId} is not among the pinned roots`);
      }
    }
    return true;
  }

  private checkBlockSignatures(
    block: common.Block,
    number: number,
    metadata: Uint8Array[],
    trust: ChannelTrust,
    isFirst: boolean,
  ): Promise<void> {
    const header = block.getHeader();
    const raw = metadata[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array();
    let signatures: common.MetadataSignature[];
    let value: Uint8Array;
    try {
      const md = common.Metadata.deserializeBinary(raw);
      signatures = md.getSignaturesList();
      value = md.getValue_asU8();
    } catch {
      this.fault(number, 'the signatures metadata does not decode');
      return Promise.resolve();
    }
    if (signatures.length === 0) {
      // Fabric's genesis block is made by configtxgen and carries no signature: it is the anchor.
      if (!isFirst) this.fault(number, 'the block carries no orderer signature');
      return Promise.resolve();
    }
    if (!header) return Promise.resolve();
    const headerBytes = blockHeaderBytes(BigInt(number), header.getPreviousHash_asU8(), header.getDataHash_asU8());
    if (!isFirst && value.length > 0) {
      try {
        const lastConfig = common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig()?.getIndex() ?? 0;
        const expected = isConfigBlockData(block) ? number : this.lastConfigBlock;
        if (lastConfig !== expected) {
          this.fault(number, `the signed last-config index is ${lastConfig}, but the last config block is ${expected}`);
        }
      } catch {
        this.fault(number, 'the signed orderer metadata does not decode');
      }
    }
    const signers: ValidIdentity[] = [];
    const problems: string[] = [];
    const checks = signatures.map(async (signature, i) => {
      const identifier = signature.getIdentifierHeader_asU8();
      let who: { mspId: string; idBytes: Uint8Array } | undefined;
      let signedHeader: Uint8Array;
      if (identifier.length > 0) {
        const id = common.IdentifierHeader.deserializeBinary(identifier).getIdentifier();
        who = consenterIdentity(trust, id);
        signedHeader = identifier;
        if (!who) {
          problems.push(`block signature ${i} names consenter ${id}, who is not in the channel config`);
          return;
        }
      } else {
        signedHeader = signature.getSignatureHeader_asU8();
        try {
          const creator = common.SignatureHeader.deserializeBinary(signedHeader).getCreator_asU8();
          const { mspId, idBytes } = identityOf(creator);
          who = { mspId, idBytes };
        } catch {
          problems.push(`block signature ${i} has an unreadable signature header`);
          return;
        }
      }
      const identity = trust.validate(who.mspId, who.idBytes);
      if (typeof identity === 'string') {
        problems.push(`block signature ${i}: ${identity}`);
        return;
      }
      if (!trust.ordererOrgs.includes(identity.mspId)) {
        problems.push(`block signature ${i} is by ${identity.mspId}, not an orderer organisation`);
        return;
      }
      this.signatures++;
      const ok = await verifySignatureAsync(
        identity.publicKey,
        Buffer.concat([value, signedHeader, headerBytes]),
        signature.getSignature_asU8(),
      );
      if (ok) signers.push(identity);
      else problems.push(`block signature ${i} by ${identity.subject} (${identity.mspId}) does not verify`);
    });
    return Promise.all(checks).then(() => {
      for (const problem of problems) this.fault(number, problem);
      const path = '/Channel/Orderer/BlockValidation';
      if (trust.policies.has(path)) {
        const verdict = trust.evaluate(path, signers);
        if (!verdict.ok) this.fault(number, `block signatures do not satisfy ${verdict.reason ?? path}`);
      } else if (signers.length === 0) {
        // The embedded node's channel has no policies: its own organisation signs every block.
        this.fault(number, 'no valid block signature by an orderer organisation (the embedded node)');
      }
    });
  }

  private checkTransaction(
    envelope: Uint8Array,
    index: number,
    blockNumber: number,
    trust: ChannelTrust | undefined,
  ): TxCheck {
    const check: TxCheck = { index, tx: undefined, problem: undefined, pending: [] };
    const fail = (code: number, reason: string) => {
      check.problem ??= { code, reason };
    };
    let tx: DecodedTransaction;
    try {
      tx = decodeTransaction(envelope);
    } catch (error) {
      fail(V.BAD_PAYLOAD, error instanceof TxDecodeError ? error.message : String(error));
      return check;
    }
    check.tx = tx;
    if (!trust) return check;
    if (tx.channelId !== trust.channelId) {
      fail(V.TARGET_CHAIN_NOT_FOUND, `channel '${tx.channelId}' is not '${trust.channelId}'`);
    }
    if (tx.type === common.HeaderType.CONFIG && tx.creator.idBytes.length === 0 && this.blocks === 1) {
      // configtxgen's genesis block: an unsigned config, trusted as the anchor of the chain.
      return check;
    }
    const creator = trust.validate(tx.creator.mspId, tx.creator.idBytes);
    if (typeof creator === 'string') {
      fail(V.BAD_CREATOR_SIGNATURE, `creator: ${creator}`);
    } else {
      const t = tx.timestamp.getTime();
      if (tx.type === common.HeaderType.ENDORSER_TRANSACTION && (t < creator.notBefore || t > creator.notAfter)) {
        fail(V.BAD_CREATOR_SIGNATURE, `creator ${creator.subject} was not valid at ${tx.timestamp.toISOString()}`);
      }
      this.signatures++;
      check.pending.push(
        verifySignatureAsync(creator.publicKey, tx.payload, tx.signature).then((ok) => {
          if (!ok) fail(V.BAD_CREATOR_SIGNATURE, `the creator signature of ${creator.subject} does not verify`);
        }),
      );
    }
    if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION) return check;

    const expectedTxId = createHash('sha256').update(tx.nonce).update(tx.creator.bytes).digest('hex');
    if (expectedTxId !== tx.txId) fail(V.BAD_PROPOSAL_TXID, `transaction id is not SHA-256(nonce || creator)`);
    if (tx.actions.length === 0) fail(V.NIL_TXACTION, 'endorser transaction without actions');
    for (const [a, action] of tx.actions.entries()) {
      const proposalHash = createHash('sha256')
        .update(tx.channelHeader)
        .update(tx.signatureHeader)
        .update(action.chaincodeProposalPayload)
        .digest();
      if (!proposalHash.equals(action.proposalHash)) {
        fail(V.ENDORSEMENT_POLICY_FAILURE, `action ${a}: the endorsements are for another proposal (proposal hash)`);
      }
      if (!Buffer.from(action.signatureHeader).equals(tx.signatureHeader)) {
        fail(V.BAD_CREATOR_SIGNATURE, `action ${a}: its signature header is not the transaction's`);
      }
      const endorsers: ValidIdentity[] = [];
      const endorsementChecks = action.endorsements.map((endorsement, e) => {
        const identity = trust.validate(endorsement.endorser.mspId, endorsement.endorser.idBytes);
        if (typeof identity === 'string') {
          fail(V.ENDORSEMENT_POLICY_FAILURE, `endorsement ${e}: ${identity}`);
          return Promise.resolve();
        }
        this.signatures++;
        return verifySignatureAsync(
          identity.publicKey,
          Buffer.concat([action.proposalResponsePayload, endorsement.endorser.bytes]),
          endorsement.signature,
        ).then((ok) => {
          if (ok) endorsers.push(identity);
          else fail(V.ENDORSEMENT_POLICY_FAILURE, `endorsement ${e} by ${identity.subject} does not verify`);
        });
      });
      check.pending.push(
        Promise.all(endorsementChecks).then(() => {
          for (const verdict of this.endorsementVerdicts(action, trust, endorsers)) {
            fail(V.ENDORSEMENT_POLICY_FAILURE, verdict);
          }
        }),
      );
    }
    void blockNumber;
    return check;
  }

  /**
   * The endorsement checks of one action, as Fabric's v2 validator makes them: writes to an
   * organisation's implicit collection of _lifecycle need that organisation's Endorsement policy;
   * any other write, or no write at all in the invoked chaincode, needs the namespace's policy.
   */
  private endorsementVerdicts(action: DecodedAction, trust: ChannelTrust, endorsers: ValidIdentity[]): string[] {
    const verdicts: string[] = [];
    const seen = new Set<string>();
    for (const rw of action.rwsets) {
      if (SYSTEM_NAMESPACES.has(rw.namespace)) continue;
      seen.add(rw.namespace);
      let needsNamespacePolicy = rw.writes.length > 0;
      let checked = false;
      for (const collection of rw.hashedCollections) {
        if (collection.writes === 0) continue;
        const implicit = /^_implicit_org_(.+)$/.exec(collection.name);
        if (rw.namespace === LIFECYCLE && implicit?.[1]) {
          checked = true;
          const path = `/Channel/Application/${implicit[1]}/Endorsement`;
          const verdict = trust.evaluate(path, endorsers);
          if (!verdict.ok) verdicts.push(`collection ${collection.name}: ${verdict.reason ?? path}`);
        } else {
          needsNamespacePolicy = true;
        }
      }
      if (needsNamespacePolicy || (!checked && rw.namespace === action.chaincodeName)) {
        const verdict = this.endorsementVerdict(rw.namespace, trust, endorsers);
        if (verdict) verdicts.push(`namespace ${rw.namespace}: ${verdict}`);
      }
    }
    if (!seen.has(action.chaincodeName) && !SYSTEM_NAMESPACES.has(action.chaincodeName)) {
      const verdict = this.endorsementVerdict(action.chaincodeName, trust, endorsers);
      if (verdict) verdicts.push(`namespace ${action.chaincodeName}: ${verdict}`);
    }
    return verdicts;
  }

  /** `undefined` when the endorsers satisfy the namespace's policy, else why not. */
  private endorsementVerdict(ns: string, trust: ChannelTrust, endorsers: ValidIdentity[]): string | undefined {
    const known = this.policies.get(ns) ?? this.defaultPolicy(ns, trust);
    const policy = known.policy;
    if (policy.type === 'reference') {
      const verdict = trust.evaluate(policy.path, endorsers);
      return verdict.ok ? undefined : `endorsement policy ${known.text} not satisfied (${verdict.reason ?? ''})`;
    }
    if (policy.type === 'signature') {
      return evaluateSignaturePolicy(policy, endorsers)
        ? undefined
        : `endorsement policy ${known.text} not satisfied by ${endorsers.length} valid endorsement(s)${endorsers.length ? ` (${endorsers.map((e) => `${e.mspId}.${e.ou ?? 'member'}`).join(', ')})` : ''}`;
    }
    return `endorsement policy ${known.text} cannot be evaluated`;
  }

  /** Fabric's defaults; the embedded node's channel has no policies: one endorsement by its own organisation. */
  private defaultPolicy(ns: string, trust: ChannelTrust): NamespacePolicy {
    let found: NamespacePolicy;
    if (ns === LIFECYCLE && trust.policies.has('/Channel/Application/LifecycleEndorsement')) {
      found = {
        policy: { type: 'reference', path: '/Channel/Application/LifecycleEndorsement' },
        text: '/Channel/Application/LifecycleEndorsement',
        source: 'channel config (Fabric default for _lifecycle)',
      };
    } else if (trust.policies.has('/Channel/Application/Endorsement')) {
      found = {
        policy: { type: 'reference', path: '/Channel/Application/Endorsement' },
        text: '/Channel/Application/Endorsement',
        source: 'channel config (Fabric default: no chaincode definition seen)',
      };
    } else {
      const nodeOrg = trust.ordererOrgs[0] ?? '?';
      const text = `OR('${nodeOrg}.peer')`;
      found = {
        policy: parseSignaturePolicy(text),
        text,
        source: "embedded ledger: one endorsement by the node's organisation (the channel's orderer organisation)",
      };
    }
    this.policies.set(ns, found);
    return found;
  }

  private finishTransaction(check: TxCheck, blockNumber: number, flag: number): void {
    this.txTotal++;
    const tx = check.tx;
    const where = `transaction ${check.index}${tx?.txId ? ` (${tx.txId.slice(0, 16)})` : ''}`;
    if (tx && tx.type === common.HeaderType.ENDORSER_TRANSACTION && !check.problem) {
      if (this.txIds.has(tx.txId)) check.problem = { code: V.DUPLICATE_TXID, reason: 'duplicate transaction id' };
    }
    if (tx && tx.type === common.HeaderType.ENDORSER_TRANSACTION && !check.problem) {
      // MVCC of the public reads against the replayed state (private hashed reads are not replayed).
      outer: for (const action of tx.actions) {
        for (const rw of action.rwsets) {
          for (const read of rw.reads) {
            const current = this.state.get(rw.namespace)?.get(read.key);
            const same = current
              ? read.version !== undefined && read.version.block === current.block && read.version.tx === current.tx
              : read.version === undefined;
            if (!same) {
              check.problem = { code: V.MVCC_READ_CONFLICT, reason: `read of ${printable(read.key)} is stale` };
              break outer;
            }
          }
        }
      }
    }
    if (tx?.txId && flag !== V.DUPLICATE_TXID) this.txIds.add(tx.txId);
    const found = check.problem;
    if (flag === V.VALID) {
      if (found) this.fault(blockNumber, `${where} is flagged VALID but ${found.reason}`);
    } else if (!found && CHECKED_CODES.has(flag)) {
      this.fault(blockNumber, `${where} is flagged ${validationCodeName(flag)} but passes every check`);
    } else if (!found && flag === V.MVCC_READ_CONFLICT && tx && !hasPrivateReads(tx)) {
      this.fault(blockNumber, `${where} is flagged MVCC_READ_CONFLICT but its reads are current`);
    }
    if (flag !== V.VALID || found || !tx) return;
    this.txValid++;
    if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION) return;
    for (const action of tx.actions) {
      for (const rw of action.rwsets) {
        let ns = this.state.get(rw.namespace);
        if (!ns) {
          ns = new Map();
          this.state.set(rw.namespace, ns);
        }
        for (const write of rw.writes) {
          if (write.value === null) ns.delete(write.key);
          else ns.set(write.key, { value: write.value, block: blockNumber, tx: check.index });
          if (rw.namespace === LIFECYCLE && write.value !== null) {
            this.followLifecycle(write.key, write.value, blockNumber, check.index);
          }
        }
      }
    }
  }

  /** A chaincode definition committed through _lifecycle: its endorsement policy applies from now on. */
  private followLifecycle(key: string, value: Uint8Array, block: number, tx: number): void {
    const match = /^namespaces\/fields\/([^/]+)\/ValidationInfo$/.exec(key);
    if (!match?.[1]) return;
    const ns = match[1];
    if (this.options.endorsementPolicies?.[ns]) return;
    try {
      // StateData.Bytes (2) -> ChaincodeValidationInfo.validation_parameter (2) -> ApplicationPolicy
      const info = wireBytes(value, 2);
      const parameter = wireBytes(info, 2);
      const application = peer.ApplicationPolicy.deserializeBinary(parameter);
      const source = `chaincode definition committed in block ${block} transaction ${tx} (_lifecycle)`;
      if (application.hasSignaturePolicy()) {
        const policy = decodeSignaturePolicy(application.getSignaturePolicy() as common.SignaturePolicyEnvelope);
        if (policy.type === 'signature') {
          this.policies.set(ns, { policy, text: describeSignaturePolicy(policy), source });
        }
      } else {
        const ref = application.getChannelConfigPolicyReference();
        const path = ref.startsWith('/') ? ref : `/Channel/Application/${ref}`;
        this.policies.set(ns, { policy: { type: 'reference', path }, text: path, source });
      }
    } catch {
      this.fault(block, `transaction ${tx}: the chaincode definition of ${ns} does not decode`);
    }
  }

  private progress(): void {
    this.options.onProgress?.({
      blocks: this.blocks,
      transactions: this.txTotal,
      lastBlock: this.lastBlock ?? 0,
      elapsedMs: performance.now() - this.started,
    });
  }

  async finish(): Promise<LedgerAuditReport> {
    this.progress();
    const state = await this.compareState();
    const elapsedMs = performance.now() - this.started;
    const faults = [...this.faults.values()].sort((a, b) => a.blockNum - b.blockNum);
    const endorsementPolicies: LedgerAuditReport['endorsementPolicies'] = {};
    for (const [ns, p] of this.policies) endorsementPolicies[ns] = { policy: p.text, source: p.source };
    const fingerprints: Record<string, string[]> = {};
    const firstTrust = this.trust;
    if (firstTrust) for (const [mspId, prints] of firstTrust.rootFingerprints()) fingerprints[mspId] = prints;
    return {
      intact: faults.length === 0 && state.mismatches.length === 0,
      blocksChecked: this.blocks,
      firstBlock: this.firstBlock,
      lastBlock: this.lastBlock,
      transactions: { total: this.txTotal, valid: this.txValid, invalid: this.txTotal - this.txValid },
      signaturesChecked: this.signatures,
      faults,
      ...(this.tailSeen ? { tail: this.tailSeen } : {}),
      trust: {
        genesisHeaderHash: this.genesisHash,
        configBlocks: this.configBlocks,
        rootFingerprints: fingerprints,
        pinned: this.pinned,
      },
      endorsementPolicies,
      state,
      elapsedMs,
      blocksPerSecond: elapsedMs > 0 ? (this.blocks * 1000) / elapsedMs : 0,
      transactionsPerSecond: elapsedMs > 0 ? (this.txTotal * 1000) / elapsedMs : 0,
    };
  }

  private async compareState(): Promise<StateComparison> {
    const live = this.options.liveState;
    if (!live) {
      return {
        compared: false,
        message: this.options.noLiveStateReason ?? 'no live state given: the replayed state was not compared',
        keysCompared: 0,
        mismatches: [],
      };
    }
    const mismatches: StateComparison['mismatches'] = [];
    let compared = 0;
    for (const ns of live.namespaces) {
      const replayed = new Map(this.state.get(ns) ?? []);
      for await (const { key, value } of live.entries(ns)) {
        if (live.covers && !live.covers(ns, key)) continue;
        compared++;
        const mine = replayed.get(key);
        replayed.delete(key);
        if (!mine)
          mismatches.push({ namespace: ns, key: printable(key), problem: 'in the live state, not in the replay' });
        else if (!Buffer.from(mine.value).equals(Buffer.from(value))) {
          mismatches.push({
            namespace: ns,
            key: printable(key),
            problem: `live value differs from the value written in block ${mine.block} transaction ${mine.tx}`,
          });
        }
      }
      for (const [key, entry] of replayed) {
        if (live.covers && !live.covers(ns, key)) continue;
        mismatches.push({
          namespace: ns,
          key: printable(key),
          problem: `written in block ${entry.block} transaction ${entry.tx}, missing from the live state`,
        });
      }
    }
    return {
      compared: true,
      message: `replayed state compared with ${live.description}: ${compared} keys, ${mismatches.length} mismatches`,
      keysCompared: compared,
      mismatches,
    };
  }
}

function identityOf(serialized: Uint8Array): { mspId: string; idBytes: Uint8Array } {
  const fields = wireBytes(serialized, 2);
  const mspId = Buffer.from(wireBytes(serialized, 1)).toString('utf8');
  return { mspId, idBytes: fields };
}

function isConfig(envelope: Uint8Array): boolean {
  try {
    return decodeTransaction(envelope).type === common.HeaderType.CONFIG;
  } catch {
    return false;
  }
}

function isConfigBlockData(block: common.Block): boolean {
  const envelopes = block.getData()?.getDataList_asU8() ?? [];
  return envelopes.length === 1 && isConfig(envelopes[0] as Uint8Array);
}

function hasPrivateReads(tx: DecodedTransaction): boolean {
  return tx.actions.some((a) =>
    a.rwsets.some((rw) => rw.hashedCollections.some((c) => c.reads > 0) || rw.rangeQueries > 0),
  );
}

/** Composite keys as type/attr/..., other keys as they are. */
export function printable(key: string): string {
  if (!key.startsWith('\u0000')) return key;
  return key
    .slice(1, key.endsWith('\u0000') ? -1 : undefined)
    .split('\u0000')
    .join('/');
}
