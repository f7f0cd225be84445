/**
 * The stable error codes the contracts put in front of their messages ('CODE: human text').
 * The node parses the prefix (node/src/ledger/ledger-errors.ts `parseContractMessage`) and maps
 * it to an HTTP status; callers branch on the code, never on the text.
 */
export const CONTRACT_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'INVALID_TRANSITION',
  'CONFLICT',
  'FORBIDDEN',
  'PRECONDITION_FAILED',
] as const;

export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

/** An error whose message is 'CODE: text'; fabric-contract-api sends the message back to the client. */
export class ContractError extends Error {
  readonly code: ContractErrorCode;
  constructor(code: ContractErrorCode, text: string) {
    super(`${code}: ${text}`);
    this.name = 'ContractError';
    this.code = code;
  }
}

export const invalidArgument = (text: string): ContractError => new ContractError('INVALID_ARGUMENT', text);
export const notFound = (text: string): ContractError => new ContractError('NOT_FOUND', text);
export const invalidTransition = (text: string): ContractError => new ContractError('INVALID_TRANSITION', text);
export const conflict = (text: string): ContractError => new ContractError('CONFLICT', text);
export const forbidden = (text: string): ContractError => new ContractError('FORBIDDEN', text);
export const preconditionFailed = (text: string): ContractError => new ContractError('PRECONDITION_FAILED', text);
