import type { Contract } from 'fabric-contract-api';
import { AeoContract } from './contracts/aeo-contract';
import { AnchorContract } from './contracts/anchor-contract';
import { DeclarationContract } from './contracts/declaration-contract';
import { InspectionContract } from './contracts/inspection-contract';
import { RecordContract } from './contracts/record-contract';
import { SealContract } from './contracts/seal-contract';

/** The chaincode name the node and the Fabric network use. */
export const CHAINCODE_NAME = 'gnc';

/**
 * The contract classes, as `fabric-chaincode-node` and ChaincodeFromContract expect them.
 * The first one (Declaration) is the default contract. ChaincodeFromContract pushes its system
 * contract into the array it is given, so callers hand it a copy (`[...contracts]`).
 */
export const contracts: Array<typeof Contract> = [
  DeclarationContract,
  InspectionContract,
  SealContract,
  AeoContract,
  AnchorContract,
  RecordContract,
];

export { AeoContract, AnchorContract, DeclarationContract, InspectionContract, RecordContract, SealContract };
export { CONTRACT_ERROR_CODES, ContractError, type ContractErrorCode } from './contract-error';
export { canonicalJson, canonicalBytes } from './serializer';
export { fieldCommitment } from './confidential';
