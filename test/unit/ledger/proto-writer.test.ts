import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { ProtoWriter } from '../../../node/src/fabric/proto-writer';
import { keyModificationBytes } from '../../../node/src/ledger/embedded/embedded-ledger';
import {
  buildProposal,
  buildTransactionEnvelope,
  chaincodeEventBytes,
  endorse,
  endorseTransaction,
  newNonce,
  proposalHash,
  serializeIdentity,
  type BuiltProposal,
} from '../../../node/src/ledger/embedded/transaction-builder';
import { decodePrivateWrites, decodeTxEffects } from '../../../node/src/ledger/embedded/tx-effects';
import {
  compareKeys,
  sha256,
  TxSimulator,
  type RecordedRangeQuery,
  type StateReader,
  type Version,
} from '../../../node/src/ledger/embedded/tx-simulator';
import {
  createCertificateAuthority,
  createSigningIdentity,
  verifySignature,
  type SigningIdentity,
} from '../../../node/src/identity';

/**
 * The hand-written protobuf encoding of the embedded ledger's per-transaction messages must give
 * the same bytes as the generated @hyperledger/fabric-protos (google-protobuf) code. The
 * references below build each message the generated way, object by object.
 */

const kv = ledger.rwset.kvrwset;

function refVersion(version: Version): ledger.rwset.kvrwset.Version {
  const v = new kv.Version();
  v.setBlockNum(version.block);
  v.setTxNum(version.tx);
  return v;
}

function refKvWrite(key: string, value: Buffer | null): ledger.rwset.kvrwset.KVWrite {
  const write = new kv.KVWrite();
  write.setKey(key);
  if (value === null) write.setIsDelete(true);
  else write.setValue(value);
  return write;
}

function sortedEntries<T>(map: ReadonlyMap<string, T>): Array<[string, T]> {
  return [...map.keys()].sort(compareKeys).map((key) => [key, map.get(key) as T]);
}

/** TxReadWriteSet and TxPvtReadWriteSet of a simulation, built with the generated classes. */
function referenceRwSet(sim: TxSimulator, namespace: string): { bytes: Uint8Array; privateRwSet?: Uint8Array } {
  const set = new kv.KVRWSet();
  set.setReadsList(
    sortedEntries(sim.reads).map(([key, version]) => {
      const read = new kv.KVRead();
      read.setKey(key);
      if (version) read.setVersion(refVersion(version));
      return read;
    }),
  );
  set.setRangeQueriesInfoList(
    sim.rangeQueries.map((query) => {
      const info = new kv.RangeQueryInfo();
      info.setStartKey(query.start);
      info.setEndKey(query.end);
      info.setItrExhausted(query.exhausted);
      const raw = new kv.QueryReads();
      raw.setKvReadsList(
        query.reads.map((r) => {
          const read = new kv.KVRead();
          read.setKey(r.key);
          read.setVersion(refVersion(r.version));
          return read;
        }),
      );
      info.setRawReads(raw);
      return info;
    }),
  );
  set.setWritesList(sortedEntries(sim.writes).map(([key, value]) => refKvWrite(key, value)));
  const ns = new ledger.rwset.NsReadWriteSet();
  ns.setNamespace(namespace);
  ns.setRwset(set.serializeBinary());
  const pvtNs = new ledger.rwset.NsPvtReadWriteSet();
  pvtNs.setNamespace(namespace);
  const hashedSets: ledger.rwset.CollectionHashedReadWriteSet[] = [];
  const pvtSets: ledger.rwset.CollectionPvtReadWriteSet[] = [];
  for (const [name, collection] of sortedEntries(sim.collections)) {
    const hashed = new kv.HashedRWSet();
    hashed.setHashedReadsList(
      sortedEntries(collection.reads).map(([key, version]) => {
        const read = new kv.KVReadHash();
        read.setKeyHash(sha256(Buffer.from(key, 'utf8')));
        if (version) read.setVersion(refVersion(version));
        return read;
      }),
    );
    const writes = sortedEntries(collection.writes);
    hashed.setHashedWritesList(
      writes.map(([key, value]) => {
        const write = new kv.KVWriteHash();
        write.setKeyHash(sha256(Buffer.from(key, 'utf8')));
        if (value === null) write.setIsDelete(true);
        else write.setValueHash(sha256(value));
        return write;
      }),
    );
    const hashedSet = new ledger.rwset.CollectionHashedReadWriteSet();
    hashedSet.setCollectionName(name);
    hashedSet.setHashedRwset(hashed.serializeBinary());
    if (writes.length > 0) {
      const pvtKv = new kv.KVRWSet();
      pvtKv.setWritesList(writes.map(([key, value]) => refKvWrite(key, value)));
      const pvtBytes = pvtKv.serializeBinary();
      hashedSet.setPvtRwsetHash(sha256(pvtBytes));
      const pvtSet = new ledger.rwset.CollectionPvtReadWriteSet();
      pvtSet.setCollectionName(name);
      pvtSet.setRwset(pvtBytes);
      pvtSets.push(pvtSet);
    }
    hashedSets.push(hashedSet);
  }
  ns.setCollectionHashedRwsetList(hashedSets);
  const tx = new ledger.rwset.TxReadWriteSet();
  tx.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
  tx.setNsRwsetList([ns]);
  if (pvtSets.length === 0) return { bytes: tx.serializeBinary() };
  pvtNs.setCollectionPvtRwsetList(pvtSets);
  const pvt = new ledger.rwset.TxPvtReadWriteSet();
  pvt.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
  pvt.setNsPvtRwsetList([pvtNs]);
  return { bytes: tx.serializeBinary(), privateRwSet: pvt.serializeBinary() };
}

interface EndorsementCase {
  results: Uint8Array;
  events: Uint8Array | undefined;
  status: number;
  message: string;
  payload: Uint8Array;
}

/** ProposalResponsePayload, endorsement and envelope, built with the generated classes. */
function referenceEnvelope(
  built: BuiltProposal,
  c: EndorsementCase,
  endorser: SigningIdentity,
  creator: SigningIdentity,
  /** Signatures to put in instead of signing (ECDSA signatures differ on every call). */
  signatures?: { endorsement: Uint8Array; envelope: Uint8Array },
): { proposalResponsePayload: Uint8Array; envelope: Uint8Array } {
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName('gnc');
  chaincodeId.setVersion('1.0');
  const response = new peer.Response();
  response.setStatus(c.status);
  response.setMessage(c.message);
  response.setPayload(c.payload);
  const action = new peer.ChaincodeAction();
  action.setResults(c.results);
  if (c.events) action.setEvents(c.events);
  action.setResponse(response);
  action.setChaincodeId(chaincodeId);
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setProposalHash(proposalHash(built));
  responsePayload.setExtension$(action.serializeBinary());
  const proposalResponsePayload = responsePayload.serializeBinary();

  const endorsement = new peer.Endorsement();
  const endorserBytes = serializeIdentity(endorser);
  endorsement.setEndorser(endorserBytes);
  endorsement.setSignature(
    signatures?.endorsement ?? endorser.sign(Buffer.concat([proposalResponsePayload, endorserBytes])),
  );
  const endorsedAction = new peer.ChaincodeEndorsedAction();
  endorsedAction.setProposalResponsePayload(proposalResponsePayload);
  endorsedAction.setEndorsementsList([endorsement]);
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(built.proposalPayloadForBlockBytes);
  actionPayload.setAction(endorsedAction);
  const transactionAction = new peer.TransactionAction();
  transactionAction.setHeader(built.signatureHeaderBytes);
  transactionAction.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([transactionAction]);
  const header = new common.Header();
  header.setChannelHeader(built.channelHeaderBytes);
  header.setSignatureHeader(built.signatureHeaderBytes);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(signatures?.envelope ?? creator.sign(payloadBytes));
  return { proposalResponsePayload, envelope: envelope.serializeBinary() };
}

/** Signs deterministically (a digest, not ECDSA) so two encodings of one transaction can be compared. */
function fakeIdentity(mspId: string): SigningIdentity {
  const sign = (message: Uint8Array) => createHash('sha512').update(mspId).update(message).digest();
  return Object.freeze({
    mspId,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${mspId}\n-----END CERTIFICATE-----\n`,
    sign,
    signAsync: (message: Uint8Array) => Promise.resolve(sign(message)),
  });
}

const noState: StateReader = new Proxy({} as StateReader, {
  get: () => () => Promise.reject(new Error('the simulations of this test read nothing')),
});

function simulator(): TxSimulator {
  return new TxSimulator(noState, 'gnc', 'CustomsAMSP', () => undefined, false);
}

function chaincodeEvent(name: string, payload: Uint8Array): Uint8Array {
  const event = new peer.ChaincodeEvent();
  event.setChaincodeId('gnc');
  event.setTxId('tx');
  event.setEventName(name);
  event.setPayload(payload);
  return event.serializeBinary();
}

const large = Buffer.alloc(300_000, 0xab);
const range = (start: string, end: string, exhausted: boolean, reads: RecordedRangeQuery['reads']) => ({
  start,
  end,
  exhausted,
  reads,
});

/** A variety of simulations: each fills a fresh simulator. */
const SIMULATIONS: ReadonlyArray<readonly [string, (sim: TxSimulator) => void]> = [
  ['nothing read or written', () => undefined],
  [
    'public writes and reads',
    (sim) => {
      sim.reads.set('DEC-2', { block: 4, tx: 17 });
      sim.reads.set('DEC-1', null);
      sim.reads.set('genesis', { block: 0, tx: 0 });
      sim.writes.set('DEC-2', Buffer.from('{"status":"lodged"}'));
      sim.writes.set('DEC-1', Buffer.from('{"id":"DEC-1"}'));
    },
  ],
  [
    'deletes and empty values',
    (sim) => {
      sim.writes.set('gone', null);
      sim.writes.set('empty', Buffer.alloc(0));
      sim.writes.set('', Buffer.from('empty key'));
    },
  ],
  [
    'non-ASCII keys in byte order',
    (sim) => {
      sim.writes.set('zé', Buffer.from('1'));
      sim.writes.set('中文', Buffer.from('2'));
      sim.writes.set('\u{1f600}', Buffer.from('3'));
      sim.reads.set('Ω', { block: 1, tx: 1 });
    },
  ],
  [
    'large values and versions',
    (sim) => {
      sim.writes.set('big', large);
      sim.writes.set('medium', Buffer.alloc(200, 1));
      sim.reads.set('far', { block: 2 ** 40 + 3, tx: 70_000 });
    },
  ],
  [
    'range queries',
    (sim) => {
      sim.rangeQueries.push(range('a', 'b', true, []));
      sim.rangeQueries.push(
        range('DEC-', 'DEC.', false, [
          { key: 'DEC-1', version: { block: 2, tx: 0 } },
          { key: 'DEC-2', version: { block: 0, tx: 0 } },
        ]),
      );
      sim.rangeQueries.push(range('', '', false, [{ key: 'x'.repeat(150), version: { block: 9, tx: 300 } }]));
      sim.writes.set('DEC-3', Buffer.from('v'));
    },
  ],
  [
    'private data: hashes in public, values in private',
    (sim) => {
      sim.collections.set('zeta', {
        reads: new Map([['k', { block: 3, tx: 1 }]]),
        writes: new Map(),
      });
      sim.collections.set('alpha', {
        reads: new Map<string, Version | null>([
          ['r2', null],
          ['r1', { block: 1, tx: 2 }],
        ]),
        writes: new Map<string, Buffer | null>([
          ['w1', Buffer.from('secret')],
          ['w0', null],
          ['w2', Buffer.alloc(0)],
          ['w3', large],
        ]),
      });
      sim.collections.set('beta', { reads: new Map(), writes: new Map([['b', Buffer.from('b')]]) });
      sim.writes.set('public', Buffer.from('p'));
    },
  ],
];

describe('ProtoWriter', () => {
  it('writes scalars and nested messages, omitting proto3 defaults, as the generated code does', () => {
    const w = new ProtoWriter(4);
    w.string(1, 'txid-é').bytes(2, Buffer.alloc(0));
    w.begin(3)
      .uint(1, 2 ** 33)
      .uint(2, 0)
      .end();
    w.bool(4, true);
    const ref = new ledger.queryresult.KeyModification();
    ref.setTxId('txid-é');
    ref.setValue(Buffer.alloc(0));
    const ts = new Timestamp();
    ts.setSeconds(2 ** 33);
    ts.setNanos(0);
    ref.setTimestamp(ts);
    ref.setIsDelete(true);
    assert.deepEqual(w.finish(), Buffer.from(ref.serializeBinary()));

    const response = new peer.Response();
    response.setStatus(-1);
    response.setMessage('');
    assert.deepEqual(new ProtoWriter().uint(1, -1).string(2, '').finish(), Buffer.from(response.serializeBinary()));
  });

  it('reused through reset and view: each message as a fresh writer gives it; raw bytes go in as they are', () => {
    const scratch = new ProtoWriter(8);
    for (const key of ['a', 'b'.repeat(300), '']) {
      const viewed = scratch
        .reset()
        .begin(1)
        .string(1, key)
        .end()
        .raw(Buffer.from([9, 9]))
        .view();
      const fresh = new ProtoWriter().begin(1).string(1, key).end().finish();
      assert.deepEqual(viewed, Buffer.concat([fresh, Buffer.from([9, 9])]), `key of ${key.length}`);
    }
    scratch.reset().begin(1);
    assert.throws(() => scratch.view(), /open sub-message/);
  });

  it('writes an empty sub-message and a sub-message longer than 127 and 16383 bytes', () => {
    for (const size of [0, 127, 128, 16_383, 16_384, 2_097_152]) {
      const read = new kv.KVReadHash();
      read.setKeyHash(Buffer.alloc(size, 3));
      read.setVersion(new kv.Version());
      const w = new ProtoWriter(1);
      w.bytes(1, Buffer.alloc(size, 3)).begin(2).end();
      assert.deepEqual(w.finish(), Buffer.from(read.serializeBinary()), `size ${size}`);

      const raw = new kv.QueryReads();
      const inner = new kv.KVRead();
      inner.setKey('k'.repeat(size));
      raw.setKvReadsList([inner]);
      const nested = new ProtoWriter(1).begin(1).string(1, 'k'.repeat(size)).end().finish();
      assert.deepEqual(nested, Buffer.from(raw.serializeBinary()), `nested size ${size}`);
    }
  });

  it('refuses unbalanced sub-messages and negative values that are not int32', () => {
    assert.throws(() => new ProtoWriter().end(), /without begin/);
    assert.throws(() => new ProtoWriter().begin(1).finish(), /open sub-message/);
    assert.throws(() => new ProtoWriter().uint(1, -(2 ** 40)), RangeError);
    assert.throws(() => new ProtoWriter().uint(1, 1.5), RangeError);
  });
});

describe('embedded ledger transactions written with ProtoWriter', () => {
  const creator = fakeIdentity('CustomsAMSP');
  const endorser = fakeIdentity('NodeMSP');

  for (const [name, fill] of SIMULATIONS) {
    it(`read/write set: ${name}`, () => {
      const sim = simulator();
      fill(sim);
      const built = sim.buildPublicRwSet();
      const ref = referenceRwSet(sim, 'gnc');
      assert.deepEqual(Buffer.from(built.bytes), Buffer.from(ref.bytes));
      assert.deepEqual(
        built.privateRwSet && Buffer.from(built.privateRwSet),
        ref.privateRwSet && Buffer.from(ref.privateRwSet),
      );
      if (built.privateRwSet) {
        const privateWrites = decodePrivateWrites(built.privateRwSet);
        assert.equal(
          privateWrites.length,
          [...sim.collections.values()].reduce((n, c) => n + c.writes.size, 0),
        );
      }
    });
  }

  const ENDORSEMENTS: ReadonlyArray<readonly [string, Partial<EndorsementCase>]> = [
    ['a plain response', {}],
    ['an event', { events: chaincodeEvent('DeclarationLodged', Buffer.from('{"id":"DEC-1"}')) }],
    ['an event with an empty payload', { events: chaincodeEvent('Ping', Buffer.alloc(0)) }],
    ['an error status and message', { status: 500, message: 'refusé: déjà lodged', payload: Buffer.alloc(0) }],
    ['a large payload', { payload: large }],
  ];

  for (const [simName, fill] of SIMULATIONS) {
    for (const [endorsementName, overrides] of ENDORSEMENTS) {
      it(`envelope: ${simName}, ${endorsementName}`, async () => {
        const sim = simulator();
        fill(sim);
        const rwset = sim.buildPublicRwSet();
        const proposal = await buildProposal({
          channelId: 'gnc',
          chaincodeName: 'gnc',
          args: [Buffer.from('Declaration:Lodge'), Buffer.from('{}')],
          transient: simName.startsWith('private') ? { secret: Buffer.from('s') } : undefined,
          creator,
          timestamp: new Date(Date.UTC(2026, 10, 23, 5, 0, 0, 123)),
        });
        const c: EndorsementCase = {
          results: rwset.bytes,
          events: undefined,
          status: 200,
          message: '',
          payload: Buffer.from('ok'),
          ...overrides,
        };
        const endorsed = await endorse({
          proposal,
          chaincodeName: 'gnc',
          chaincodeVersion: '1.0',
          ...c,
          endorser,
        });
        const { envelopeBytes } = await buildTransactionEnvelope(proposal, endorsed, creator);
        const ref = referenceEnvelope(proposal, c, endorser, creator);
        assert.deepEqual(Buffer.from(endorsed.proposalResponsePayloadBytes), Buffer.from(ref.proposalResponsePayload));
        assert.deepEqual(Buffer.from(envelopeBytes), Buffer.from(ref.envelope));

        // And Fabric's protos read back what was written.
        const effects = decodeTxEffects(envelopeBytes);
        assert.equal(effects.txId, proposal.txId);
        assert.deepEqual(effects.writes, rwset.writes);
        assert.deepEqual(effects.hashedWrites, rwset.hashedWrites);
        assert.equal(
          effects.event?.eventName,
          c.events ? peer.ChaincodeEvent.deserializeBinary(c.events).getEventName() : undefined,
        );
      });
    }
  }

  it('chaincode events: names, payloads large and empty, as the generated code writes them', () => {
    const cases: Array<[string, string, string, Uint8Array]> = [
      ['gnc', 'tx1', 'DeclarationLodged', Buffer.from('{"id":"DEC-1"}')],
      ['gnc', 'tx2', 'Événement', Buffer.alloc(0)],
      ['', '', '', large],
    ];
    for (const [chaincodeName, txId, eventName, payload] of cases) {
      const ref = new peer.ChaincodeEvent();
      ref.setChaincodeId(chaincodeName);
      ref.setTxId(txId);
      ref.setEventName(eventName);
      ref.setPayload(payload);
      assert.deepEqual(
        chaincodeEventBytes({ chaincodeName, txId, eventName, payload }),
        Buffer.from(ref.serializeBinary()),
        eventName,
      );
    }
  });

  it('history records (KeyModification): values, empty values, deletes', () => {
    const cases: Array<[string, Uint8Array | null, { seconds: number; nanos: number }]> = [
      ['tx1', Buffer.from('{"a":1}'), { seconds: 1_763_873_000, nanos: 123_000_000 }],
      ['tx2', Buffer.alloc(0), { seconds: 0, nanos: 0 }],
      ['tx3', null, { seconds: 5, nanos: 0 }],
      ['', large, { seconds: 0, nanos: 999_999_999 }],
    ];
    for (const [txId, value, timestamp] of cases) {
      const ref = new ledger.queryresult.KeyModification();
      ref.setTxId(txId);
      ref.setValue(value ?? new Uint8Array());
      const ts = new Timestamp();
      ts.setSeconds(timestamp.seconds);
      ts.setNanos(timestamp.nanos);
      ref.setTimestamp(ts);
      ref.setIsDelete(value === null);
      assert.deepEqual(keyModificationBytes(txId, value, timestamp), Buffer.from(ref.serializeBinary()), txId);
    }
  });
});

describe('buildProposal', () => {
  /** Decoded and written again by the generated code: the same bytes when they are its encoding. */
  const canonical = <T extends { serializeBinary(): Uint8Array }>(
    decode: (bytes: Uint8Array) => T,
    bytes: Uint8Array,
  ): T => {
    const message = decode(bytes);
    assert.deepEqual(Buffer.from(message.serializeBinary()), Buffer.from(bytes));
    return message;
  };

  for (const [name, args, transient] of [
    ['plain arguments', ['Declaration:Lodge', '{"id":"DEC-1"}'], undefined],
    ['an empty and a large argument', ['Declaration:Lodge', '', 'x'.repeat(70_000)], undefined],
    ['a transient map', ['Declaration:Lodge', '{}'], { b: Buffer.from('2'), a: Buffer.alloc(0) }],
  ] as const) {
    it(`writes the messages the generated code writes: ${name}`, async () => {
      const creator = fakeIdentity('CustomsAMSP');
      const timestamp = new Date(Date.UTC(2026, 10, 23, 7, 30, 0, 456));
      const built = await buildProposal({
        channelId: 'gnc',
        chaincodeName: 'gnc',
        args: args.map((a) => Buffer.from(a)),
        transient,
        creator,
        timestamp,
      });
      const signed = built.signedProposal;
      const proposal = canonical((b) => peer.Proposal.deserializeBinary(b), signed.getProposalBytes_asU8());
      assert.deepEqual(Buffer.from(signed.getSignature_asU8()), Buffer.from(creator.sign(proposal.serializeBinary())));
      const header = canonical((b) => common.Header.deserializeBinary(b), proposal.getHeader_asU8());
      assert.deepEqual(Buffer.from(header.getChannelHeader_asU8()), Buffer.from(built.channelHeaderBytes));
      assert.deepEqual(Buffer.from(header.getSignatureHeader_asU8()), Buffer.from(built.signatureHeaderBytes));

      const channelHeader = canonical((b) => common.ChannelHeader.deserializeBinary(b), built.channelHeaderBytes);
      assert.equal(channelHeader.getType(), common.HeaderType.ENDORSER_TRANSACTION);
      assert.equal(channelHeader.getChannelId(), 'gnc');
      assert.equal(channelHeader.getTxId(), built.txId);
      assert.equal(channelHeader.getTimestamp()?.getSeconds(), Math.floor(timestamp.getTime() / 1000));
      assert.equal(channelHeader.getTimestamp()?.getNanos(), 456_000_000);
      const extension = canonical(
        (b) => peer.ChaincodeHeaderExtension.deserializeBinary(b),
        channelHeader.getExtension_asU8(),
      );
      assert.equal(extension.getChaincodeId()?.getName(), 'gnc');

      const signatureHeader = canonical((b) => common.SignatureHeader.deserializeBinary(b), built.signatureHeaderBytes);
      assert.deepEqual(Buffer.from(signatureHeader.getCreator_asU8()), Buffer.from(serializeIdentity(creator)));
      assert.equal(
        built.txId,
        createHash('sha256').update(signatureHeader.getNonce_asU8()).update(built.creatorBytes).digest('hex'),
      );

      const payload = canonical((b) => peer.ChaincodeProposalPayload.deserializeBinary(b), proposal.getPayload_asU8());
      assert.deepEqual(Buffer.from(proposal.getPayload_asU8()), Buffer.from(built.proposalPayloadBytes));
      assert.deepEqual(
        [...payload.getTransientmapMap().entries()].map(([k, v]) => [k, Buffer.from(v as Uint8Array)]),
        Object.entries(transient ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
      const forBlock = canonical(
        (b) => peer.ChaincodeProposalPayload.deserializeBinary(b),
        built.proposalPayloadForBlockBytes,
      );
      assert.equal(forBlock.getTransientmapMap().getLength(), 0);
      const invocation = canonical((b) => peer.ChaincodeInvocationSpec.deserializeBinary(b), forBlock.getInput_asU8());
      const spec = invocation.getChaincodeSpec();
      assert.equal(spec?.getType(), peer.ChaincodeSpec.Type.NODE);
      assert.equal(spec?.getChaincodeId()?.getName(), 'gnc');
      assert.deepEqual(
        spec
          ?.getInput()
          ?.getArgsList_asU8()
          .map((a) => Buffer.from(a).toString()),
        [...args],
      );
      assert.deepEqual(
        built.input.getArgsList_asU8().map((a) => Buffer.from(a).toString()),
        [...args],
      );
    });
  }
});

describe('newNonce', () => {
  it('hands out 24-byte nonces that differ, across the draws it takes them from', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2500; i++) {
      const nonce = newNonce();
      assert.equal(nonce.length, 24);
      seen.add(nonce.toString('hex'));
    }
    assert.equal(seen.size, 2500);
  });
});

describe('endorseTransaction (endorsement and envelope signed together)', () => {
  const c: EndorsementCase = {
    results: Buffer.from('rwset'),
    events: chaincodeEvent('Lodged', Buffer.from('{}')),
    status: 200,
    message: '',
    payload: Buffer.from('ok'),
  };
  const proposalFor = (creator: SigningIdentity) =>
    buildProposal({
      channelId: 'gnc',
      chaincodeName: 'gnc',
      args: [Buffer.from('Declaration:Lodge'), Buffer.from('{}')],
      creator,
      timestamp: new Date(Date.UTC(2026, 10, 23, 6, 0, 0, 7)),
    });

  it('with identities the crypto worker holds: the envelope Fabric builds with its two signatures, both valid', async () => {
    const ca = await createCertificateAuthority({ mspId: 'CustomsAMSP', organization: 'Customs A' });
    const endorser = createSigningIdentity({
      mspId: 'CustomsAMSP',
      ...(await ca.issue({ commonName: 'peer0', nodeOU: 'peer' })),
    });
    const creator = createSigningIdentity({
      mspId: 'CustomsAMSP',
      ...(await ca.issue({ commonName: 'user1', nodeOU: 'client' })),
    });
    const proposal = await proposalFor(creator);
    const { endorsed, envelopeBytes } = await endorseTransaction({
      proposal,
      chaincodeName: 'gnc',
      chaincodeVersion: '1.0',
      ...c,
      endorser,
      creator,
    });
    const envelope = common.Envelope.deserializeBinary(envelopeBytes);
    const signatures = { endorsement: endorsed.endorsementSignature, envelope: envelope.getSignature_asU8() };
    const ref = referenceEnvelope(proposal, c, endorser, creator, signatures);
    assert.deepEqual(Buffer.from(envelopeBytes), Buffer.from(ref.envelope));
    assert.equal(
      verifySignature(
        endorser.certificatePem,
        Buffer.concat([ref.proposalResponsePayload, serializeIdentity(endorser)]),
        signatures.endorsement,
      ),
      true,
      'the endorsement verifies with the endorser certificate',
    );
    assert.equal(
      verifySignature(creator.certificatePem, envelope.getPayload_asU8(), signatures.envelope),
      true,
      'the envelope signature verifies with the creator certificate',
    );
  });

  it('with identities the worker does not hold: signs one after the other, the same bytes as endorse and buildTransactionEnvelope', async () => {
    const endorser = fakeIdentity('NodeMSP');
    const creator = fakeIdentity('CustomsAMSP');
    const proposal = await proposalFor(creator);
    const input = { proposal, chaincodeName: 'gnc', chaincodeVersion: '1.0', ...c, endorser };
    const together = await endorseTransaction({ ...input, creator });
    const separately = await buildTransactionEnvelope(proposal, await endorse(input), creator);
    assert.deepEqual(Buffer.from(together.envelopeBytes), Buffer.from(separately.envelopeBytes));
    assert.deepEqual(
      Buffer.from(together.envelopeBytes),
      Buffer.from(referenceEnvelope(proposal, c, endorser, creator).envelope),
    );
  });
});
