import { common, msp } from '@hyperledger/fabric-protos';
import { blockHeaderBytes } from '../../fabric/block-hash';
import type { SigningIdentity } from '../../identity/signing-identity';
import type { CollectionAccess } from './tx-simulator';
import { newSignatureHeader, serializeIdentity, toTimestamp } from './transaction-builder';

/**
 * The embedded ledger's channel: its organisations (MSP id and root certificates), the
 * private-data collections of the agreements, and the genesis config block that records the
 * organisations in Fabric's channel-config form, so an auditor learns the trust roots from the
 * ledger itself.
 */

export interface ChannelOrganization {
  mspId: string;
  rootCertificatesPem: readonly string[];
}

/** One entry of a Fabric collections config file (network-config/collections.json). */
export interface CollectionDefinition {
  name: string;
  policy: string;
  requiredPeerCount?: number;
  maxPeerCount?: number;
  blockToLive?: number;
  memberOnlyRead?: boolean;
  memberOnlyWrite?: boolean;
}

/** Members of a collection from its policy, e.g. OR('CustomsAMSP.member','CustomsBMSP.member'). */
export function collectionAccess(definition: CollectionDefinition): CollectionAccess {
  const members = new Set<string>();
  for (const match of definition.policy.matchAll(/'([^'.]+)\.(member|peer|client|admin)'/g)) {
    if (match[1]) members.add(match[1]);
  }
  return {
    members,
    memberOnlyRead: definition.memberOnlyRead ?? false,
    memberOnlyWrite: definition.memberOnlyWrite ?? false,
  };
}

function mspGroup(org: ChannelOrganization): common.ConfigGroup {
  const fabricMsp = new msp.FabricMSPConfig();
  fabricMsp.setName(org.mspId);
  fabricMsp.setRootCertsList(org.rootCertificatesPem.map((pem) => Buffer.from(pem, 'utf8')));
  const mspConfig = new msp.MSPConfig();
  mspConfig.setType(0); // FABRIC
  mspConfig.setConfig(fabricMsp.serializeBinary());
  const value = new common.ConfigValue();
  value.setValue(mspConfig.serializeBinary());
  value.setModPolicy('Admins');
  const group = new common.ConfigGroup();
  group.getValuesMap().set('MSP', value);
  group.setModPolicy('Admins');
  return group;
}

/**
 * A CONFIG envelope with a ConfigEnvelope naming the application organisations and the node's
 * own organisation as orderer organisation (the embedded node orders and signs its blocks).
 */
export function buildGenesisConfigEnvelope(options: {
  channelId: string;
  organizations: readonly ChannelOrganization[];
  ordererOrganization: ChannelOrganization;
  signer: SigningIdentity;
  timestamp?: Date;
}): Uint8Array {
  const application = new common.ConfigGroup();
  application.setModPolicy('Admins');
  for (const org of [...options.organizations].sort((a, b) => a.mspId.localeCompare(b.mspId))) {
    application.getGroupsMap().set(org.mspId, mspGroup(org));
  }
  const orderer = new common.ConfigGroup();
  orderer.setModPolicy('Admins');
  orderer.getGroupsMap().set(options.ordererOrganization.mspId, mspGroup(options.ordererOrganization));

  const hashing = new common.HashingAlgorithm();
  hashing.setName('SHA256');
  const hashingValue = new common.ConfigValue();
  hashingValue.setValue(hashing.serializeBinary());
  hashingValue.setModPolicy('Admins');
  const dataHashing = new common.BlockDataHashingStructure();
  dataHashing.setWidth(0xffffffff);
  const dataHashingValue = new common.ConfigValue();
  dataHashingValue.setValue(dataHashing.serializeBinary());
  dataHashingValue.setModPolicy('Admins');

  const channelGroup = new common.ConfigGroup();
  channelGroup.getGroupsMap().set('Application', application);
  channelGroup.getGroupsMap().set('Orderer', orderer);
  channelGroup.getValuesMap().set('HashingAlgorithm', hashingValue);
  channelGroup.getValuesMap().set('BlockDataHashingStructure', dataHashingValue);
  channelGroup.setModPolicy('Admins');

  const config = new common.Config();
  config.setSequence(0);
  config.setChannelGroup(channelGroup);
  const configEnvelope = new common.ConfigEnvelope();
  configEnvelope.setConfig(config);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG);
  channelHeader.setChannelId(options.channelId);
  channelHeader.setTimestamp(toTimestamp(options.timestamp ?? new Date()));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(newSignatureHeader(serializeIdentity(options.signer)).serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(configEnvelope.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(options.signer.sign(payloadBytes));
  return envelope.serializeBinary();
}

/**
 * Fills a block's metadata as an orderer and a committing peer would: the orderer signature
 * over (metadata value || signature header || block header bytes) with the last config index,
 * the deprecated LAST_CONFIG entry, and the transaction validation flags.
 */
export function signBlockMetadata(
  block: common.Block,
  signer: SigningIdentity,
  lastConfigIndex: number,
  validationCodes: readonly number[],
): void {
  const header = block.getHeader();
  if (!header) throw new Error('block has no header');
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(lastConfigIndex);
  const ordererMetadata = new common.OrdererBlockMetadata();
  ordererMetadata.setLastConfig(lastConfig);
  const value = ordererMetadata.serializeBinary();
  const signatureHeaderBytes = newSignatureHeader(serializeIdentity(signer)).serializeBinary();
  const headerBytes = blockHeaderBytes(
    BigInt(header.getNumber()),
    header.getPreviousHash_asU8(),
    header.getDataHash_asU8(),
  );
  const signature = new common.MetadataSignature();
  signature.setSignatureHeader(signatureHeaderBytes);
  signature.setSignature(signer.sign(Buffer.concat([value, signatureHeaderBytes, headerBytes])));
  const signatures = new common.Metadata();
  signatures.setValue(value);
  signatures.setSignaturesList([signature]);

  const lastConfigMetadata = new common.Metadata();
  lastConfigMetadata.setValue(lastConfig.serializeBinary());

  const metadata = new common.BlockMetadata();
  metadata.setMetadataList([
    signatures.serializeBinary(),
    lastConfigMetadata.serializeBinary(),
    Uint8Array.from(validationCodes),
    new Uint8Array(),
    new Uint8Array(),
  ]);
  block.setMetadata(metadata);
}
