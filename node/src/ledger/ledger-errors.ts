import { GncError } from '../errors';

/** Base of every error a LedgerClient raises; `txId` names the transaction when there is one. */
export class LedgerError extends GncError {
  readonly txId: string | undefined;
  constructor(code: string, message: string, options: { txId?: string; cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, options);
    this.txId = options.txId;
  }
}

/**
 * The contract refused the transaction during endorsement. `contractCode` is the stable code the
 * contract put in front of its message (e.g. 'INVALID_TRANSITION', 'FORBIDDEN'); see
 * chaincode/src/contract-error.ts for the list.
 */
export class LedgerEndorsementError extends LedgerError {
  readonly contractCode: string;
  readonly contractMessage: string;
  constructor(contractMessage: string, options: { txId?: string; cause?: unknown } = {}) {
    const parsed = parseContractMessage(contractMessage);
    super('GNC_LEDGER_ENDORSEMENT_FAILED', `endorsement failed: ${contractMessage}`, {
      ...options,
      httpStatus: httpStatusOf(parsed.code),
    });
    this.contractCode = parsed.code;
    this.contractMessage = parsed.text;
  }
}

/** The transaction was ordered but marked invalid at commit (MVCC_READ_CONFLICT, ENDORSEMENT_POLICY_FAILURE ...). */
export class LedgerCommitError extends LedgerError {
  readonly validationCode: string;
  constructor(validationCode: string, txId: string, options: { cause?: unknown } = {}) {
    super('GNC_LEDGER_COMMIT_INVALID', `transaction ${txId} committed as invalid: ${validationCode}`, {
      ...options,
      txId,
      httpStatus: validationCode === 'MVCC_READ_CONFLICT' ? 409 : 500,
    });
    this.validationCode = validationCode;
  }
}

/** The call did not complete before its deadline (or was aborted); its outcome may still be unknown. */
export class LedgerTimeoutError extends LedgerError {
  constructor(message: string, options: { txId?: string; cause?: unknown } = {}) {
    super('GNC_LEDGER_TIMEOUT', message, { ...options, httpStatus: 504 });
  }
}

/** The ledger is closed, or its files are damaged beyond what recovery may repair. */
export class LedgerUnavailableError extends LedgerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_LEDGER_UNAVAILABLE', message, { ...options, httpStatus: 503 });
  }
}

const CONTRACT_CODE = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/;

/** Splits 'CODE: text' as thrown by the contracts; anything else is 'CHAINCODE_ERROR'. */
export function parseContractMessage(message: string): { code: string; text: string } {
  const match = CONTRACT_CODE.exec(message);
  return match
    ? { code: match[1] ?? 'CHAINCODE_ERROR', text: match[2] ?? '' }
    : { code: 'CHAINCODE_ERROR', text: message };
}

function httpStatusOf(contractCode: string): number {
  switch (contractCode) {
    case 'INVALID_ARGUMENT':
      return 400;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'INVALID_TRANSITION':
    case 'PRECONDITION_FAILED':
      return 409;
    default:
      return 500;
  }
}
