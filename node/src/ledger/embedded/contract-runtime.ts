import { JSONSerializer } from 'fabric-contract-api';
import ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';

/**
 * The contracts, dispatched by fabric-shim's own ChaincodeFromContract exactly as a peer's
 * chaincode process does (parameter marshalling and validation, ClientIdentity, before/after
 * hooks, response shaping), with two per-call costs of fabric-shim 2.5.8 taken out, neither of
 * which changes a result:
 *
 * - DataMarshall.handleParameters compiles the JSON schema of every parameter on every call
 *   (ajv 6 keys its cache by a stable stringify of the whole schema, every data type included)
 *   and formats debug messages eagerly (util.inspect of each argument). Here each parameter's
 *   validator is compiled once and reused; validation, conversion and error texts are the same.
 * - ClientIdentity parses the creator certificate on every call; parsed certificates are cached
 *   by their PEM text (they are never modified after parsing).
 *
 * fabric-shim is pinned to an exact version because this touches its internals; the contract
 * compliance suite runs the same contracts on a Fabric peer, where the unpatched code runs.
 */

type ContractClass = new () => object;

interface ParameterDescriptor {
  schema: { type?: string; $ref?: string };
}
interface FunctionDescriptor {
  parameters?: ParameterDescriptor[];
}
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: Array<{ message?: string }> | null;
}
interface DataMarshallInternals {
  ajv: { compile(schema: object): CompiledValidator };
  components: unknown;
  fromWireBuffer(buffer: Buffer, schema: object, loggerPrefix: string): { value: unknown; validateData: unknown };
  handleParameters(fn: FunctionDescriptor, parameters: Buffer[], loggerPrefix: string): unknown[];
}

export function createContractRuntime(
  contracts: readonly ContractClass[],
  chaincodeName: string,
  chaincodeVersion: string,
): ChaincodeFromContract {
  cacheCertificateParsing();
  const chaincode = new ChaincodeFromContract(
    [...contracts],
    { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
    {},
    chaincodeName,
    chaincodeVersion,
  );
  const implementations = (
    chaincode as unknown as { contractImplementations: Record<string, { dataMarshall: DataMarshallInternals }> }
  ).contractImplementations;
  for (const { dataMarshall } of Object.values(implementations)) compileParametersOnce(dataMarshall);
  return chaincode;
}

function compileParametersOnce(marshall: DataMarshallInternals): void {
  const original = marshall.handleParameters.bind(marshall);
  const compiled = new WeakMap<ParameterDescriptor, { schema: object; validator: CompiledValidator }>();
  marshall.handleParameters = (fn, parameters, loggerPrefix) => {
    const expected = fn.parameters;
    // Anything unusual (no metadata, wrong count, a schema without type) takes fabric-shim's own
    // path, which produces its own errors.
    if (!expected || expected.length !== parameters.length || expected.some((p) => !p.schema.type && !p.schema.$ref)) {
      return original(fn, parameters, loggerPrefix);
    }
    return expected.map((descriptor, i) => {
      let entry = compiled.get(descriptor);
      if (!entry) {
        const schema = { properties: { prop: descriptor.schema }, components: { schemas: marshall.components } };
        entry = { schema, validator: marshall.ajv.compile(schema) };
        compiled.set(descriptor, entry);
      }
      const { value, validateData } = marshall.fromWireBuffer(parameters[i] as Buffer, entry.schema, loggerPrefix);
      if (!entry.validator({ prop: validateData })) {
        const errors = JSON.stringify((entry.validator.errors ?? []).map((e) => e.message));
        throw new Error(`Unable to validate parameter due to ${errors}`);
      }
      return value;
    });
  };
}

let certificateCacheInstalled = false;

function cacheCertificateParsing(): void {
  if (certificateCacheInstalled) return;
  certificateCacheInstalled = true;
  // The @fidm/x509 instance fabric-shim's ClientIdentity uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fidm = require(require.resolve('@fidm/x509', { paths: [require.resolve('fabric-shim')] })) as {
    Certificate: { fromPEM(pem: Buffer): unknown };
  };
  const parse = fidm.Certificate.fromPEM.bind(fidm.Certificate);
  const cache = new Map<string, unknown>();
  fidm.Certificate.fromPEM = (pem: Buffer) => {
    const key = pem.toString('latin1');
    let certificate = cache.get(key);
    if (certificate === undefined) {
      certificate = parse(pem);
      // Bounded: a node sees a few hundred distinct creators, not an unbounded stream.
      if (cache.size >= 1024) cache.delete(cache.keys().next().value as string);
      cache.set(key, certificate);
    }
    return certificate;
  };
}
