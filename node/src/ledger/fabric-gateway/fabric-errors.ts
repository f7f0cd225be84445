import { LedgerEndorsementError } from '../ledger-errors';

const CHAINCODE_RESPONSE = /chaincode response \d+, ([\s\S]*)$/;
const TRANSACTION_RETURNED_FAILURE = /transaction returned with failure: ([\s\S]*)$/;

/**
 * The contract's own message inside a peer's error text ('... chaincode response 500, CODE: text'
 * from the gateway, 'transaction returned with failure: CODE: text' from the legacy SDK), or
 * undefined when the text is not a chaincode refusal (a policy, access or transport failure).
 */
export function chaincodeMessageOf(text: string): string | undefined {
  const match = CHAINCODE_RESPONSE.exec(text) ?? TRANSACTION_RETURNED_FAILURE.exec(text);
  return match?.[1]?.trim();
}

/** A LedgerEndorsementError from the first peer message that carries the contract's refusal. */
export function endorsementErrorFrom(
  messages: readonly string[],
  txId: string | undefined,
  cause: unknown,
): LedgerEndorsementError | undefined {
  for (const message of messages) {
    const contractMessage = chaincodeMessageOf(message);
    if (contractMessage !== undefined) return new LedgerEndorsementError(contractMessage, { txId, cause });
  }
  return undefined;
}

/** The absolute gRPC deadline of a call: its own timeoutMs, or the client default. */
export function deadlineOf(options: { timeoutMs?: number } | undefined, defaultMs: number): Date {
  return new Date(Date.now() + (options?.timeoutMs ?? defaultMs));
}
