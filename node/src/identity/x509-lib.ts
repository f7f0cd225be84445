/**
 * The single place that loads @peculiar/x509. Its dependency tsyringe throws at load time unless a
 * Reflect metadata polyfill is already installed, so the polyfill import must come first; keeping
 * it here means no other file has to remember the order. Internal: not exported from index.ts.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };

/**
 * Node's WebCrypto, passed explicitly to every @peculiar/x509 call instead of setting the library's
 * global provider, so that importing this module changes no global state beyond the polyfill.
 */
export const crypto: webcrypto.Crypto = webcrypto;

/** WebCrypto key types, named here because the project's lib settings do not include the DOM ones. */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256 with SHA-256: Fabric's default and the only algorithm this module issues. */
export const P256_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** OID of the Fabric CA attribute extension (read by fabric-shim's ClientIdentity). */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

/** Fabric NodeOU classifications, as written in the OU of an identity's subject. */
export const NODE_OUS = ['client', 'peer', 'orderer', 'admin'] as const;
