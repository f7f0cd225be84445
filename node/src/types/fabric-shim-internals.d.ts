// Internal fabric-shim 2.5.8 modules the embedded ledger reuses so contracts run exactly as on a
// peer (see docs/architecture.md). They ship without typings; these declare only what we call.
// fabric-shim is pinned to an exact version because these are not public API.

declare module 'fabric-shim/lib/stub' {
  class ChaincodeStub {
    constructor(handler: unknown, channelId: string, txId: string, input: unknown, signedProposal: unknown);
    chaincodeEvent?: import('@hyperledger/fabric-protos').peer.ChaincodeEvent;
  }
  export = ChaincodeStub;
}

declare module 'fabric-shim/lib/contract-spi/chaincodefromcontract' {
  interface ChaincodeResponse {
    status: number;
    message?: string;
    payload?: Uint8Array;
  }
  class ChaincodeFromContract {
    constructor(
      contractClasses: unknown[],
      serializers: { transaction: string; serializers: Record<string, unknown> },
      metadata?: Record<string, unknown>,
      title?: string,
      version?: string,
    );
    Invoke(stub: unknown): Promise<ChaincodeResponse>;
  }
  export = ChaincodeFromContract;
}

declare module 'fabric-shim/lib/iterators' {
  export class StateQueryIterator {
    constructor(handler: unknown, channelId: string, txId: string, response: unknown);
  }
  export class HistoryQueryIterator {
    constructor(handler: unknown, channelId: string, txId: string, response: unknown);
  }
}
