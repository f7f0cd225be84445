import { GncError } from '../errors';

/** Why a varint could not be read; see {@link VarintError}. */
export type VarintProblem = 'truncated' | 'overflow' | 'unsafe-integer';

/**
 * A protobuf base-128 varint could not be decoded. `problem` tells a torn tail (`truncated`: the
 * bytes ran out mid-varint) apart from garbage (`overflow`: more than 64 bits) and from a valid
 * uint64 that a JS `number` cannot hold exactly (`unsafe-integer`).
 */
export class VarintError extends GncError {
  readonly problem: VarintProblem;
  readonly offset: number;

  constructor(problem: VarintProblem, offset: number) {
    super('GNC_VARINT_INVALID', `cannot decode varint at offset ${offset}: ${problem}`);
    this.problem = problem;
    this.offset = offset;
  }
}

/**
 * Bytes that should hold a block in Fabric's blockfile layout do not. The message mirrors the
 * wording of Fabric's own `block_serialization.go` errors where there is one.
 */
export class BlockfileFormatError extends GncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GNC_BLOCKFILE_INVALID', message, options);
  }
}
