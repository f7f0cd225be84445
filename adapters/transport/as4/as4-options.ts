import { Type, type Static } from '@sinclair/typebox';
import { CommonTransportOptions } from '../transport-options';
import { EBMS_DEFAULTS } from './namespaces';

const Party = Type.Object(
  {
    /** eb:PartyId. Outbound, ours defaults to our certificate's CN and the partner's to its partnerId; inbound, checked only when set. */
    id: Type.Optional(Type.String({ minLength: 1 })),
    /** eb:PartyId/@type, e.g. urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088. */
    type: Type.Optional(Type.String({ minLength: 1 })),
    /** eb:Role; the ebMS default role unless the agreement names one. Always checked inbound. */
    role: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const pmodeProperties = {
  /** eb:AgreementRef (and its @type); when set, inbound messages must carry the same. */
  agreementRef: Type.Optional(Type.String({ minLength: 1 })),
  agreementRefType: Type.Optional(Type.String({ minLength: 1 })),
  /** eb:Service (and @type) and eb:Action of the business exchange; inbound messages must match. */
  service: Type.String({ minLength: 1, default: 'urn:gnc-node:exchange' }),
  serviceType: Type.Optional(Type.String({ minLength: 1 })),
  action: Type.String({ minLength: 1, default: 'Deliver' }),
  /** eb:UserMessage/@mpc. */
  mpc: Type.String({ minLength: 1, default: EBMS_DEFAULTS.MPC }),
  /** Us (eb:From outbound, eb:To inbound) and the partner (eb:To outbound, eb:From inbound). */
  party: Party,
  partner: Party,
  /** Sign outbound UserMessages and Receipts (WS-Security X.509). */
  sign: Type.Boolean({ default: true }),
  /** Inbound UserMessages (and the Receipts of our messages) must be signed by the partner; else EBMS:0103. */
  requireSignature: Type.Boolean({ default: true }),
  /** MimeType part property of the payload. */
  payloadMimeType: Type.String({ minLength: 1, default: 'application/octet-stream' }),
};

/** A P-Mode: the AS4 parameters of one agreement (ebMS 3 core, appendix D), the subset this transport uses. */
export const As4PMode = Type.Object(
  {
    ...pmodeProperties,
    party: Type.Object(Party.properties, { additionalProperties: false, default: {} }),
    partner: Type.Object(Party.properties, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false, default: {} },
);
export type As4PMode = Static<typeof As4PMode>;

/** Per-partner overrides of the default P-Mode: every field optional. */
export const As4PModeOverride = Type.Partial(Type.Object(pmodeProperties, { additionalProperties: false }), {
  additionalProperties: false,
});
export type As4PModeOverride = Static<typeof As4PModeOverride>;

/** Options of the as4 transport (`init`), validated at construction. */
export const As4TransportOptions = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** 0 picks a free port on the first start; later starts reuse it. */
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 0 }),
    /** The path the MSH receives on. */
    path: Type.String({ pattern: '^/', default: '/as4' }),
    /** Keep-alive HTTPS connections per partner (HTTP/1.1: one message at a time on each). */
    maxSockets: Type.Integer({ minimum: 1, maximum: 1024, default: 32 }),
    /** MessageIds remembered per node for duplicate elimination (most recent first out). */
    duplicateCacheSize: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 100_000 }),
    /** The P-Mode every agreement uses unless `pmodes` overrides it. */
    defaultPMode: As4PMode,
    /** Per partner (by partnerId): fields that differ from `defaultPMode`. */
    pmodes: Type.Record(Type.String({ minLength: 1 }), As4PModeOverride, { default: {} }),
    ...CommonTransportOptions,
  },
  { additionalProperties: false },
);
export type As4TransportOptions = Static<typeof As4TransportOptions>;

/** The P-Mode of one partner: defaultPMode with its overrides (party objects merged field by field). */
export function pmodeFor(options: As4TransportOptions, partnerId: string): As4PMode {
  const override = options.pmodes[partnerId] ?? {};
  const base = options.defaultPMode;
  return {
    ...base,
    ...override,
    party: { ...base.party, ...override.party },
    partner: { ...base.partner, ...override.partner },
  };
}
