import { ConfigError } from '../../../node/src/errors';
import { readOptions } from '../options';
import type { OpenedMessage, SecurityScheme, SecuritySchemeFactory } from '../security-scheme';

/**
 * `none`: passes the bytes through, unsigned and in clear, for development and for tests of the
 * other layers. It authenticates nothing (`authenticates: false`, an empty signer), so a node
 * whose config says `production: true` refuses to create it.
 */
export const noneScheme: SecuritySchemeFactory = (init) => {
  const options = readOptions('none', init, {});
  if (options.production) {
    throw new ConfigError(
      "security scheme 'none' is refused in production: it neither signs nor encrypts; agree on 'cms' or 'jws' with the partner",
    );
  }
  return () => noneSchemeInstance;
};

const EMPTY_SIGNER: OpenedMessage['signer'] = Object.freeze({ certificatePem: '', subject: '', serialNumber: '' });

const noneSchemeInstance: SecurityScheme = Object.freeze({
  name: 'none',
  authenticates: false,
  seal(payload: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(payload);
  },
  open(bytes: Uint8Array): Promise<OpenedMessage> {
    return Promise.resolve({ payload: bytes, signer: EMPTY_SIGNER });
  },
});
