/** Namespace and algorithm URIs of SOAP, ebMS 3 / AS4, WS-Security and XML Signature. */
export const NS = {
  SOAP12: 'http://www.w3.org/2003/05/soap-envelope',
  SOAP11: 'http://schemas.xmlsoap.org/soap/envelope/',
  EB: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/',
  EBBP: 'http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0',
  WSSE: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  WSU: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  DS: 'http://www.w3.org/2000/09/xmldsig#',
  /** Our extension inside eb:Receipt: where the receiving node's answer (its receipt bytes) is. */
  GNC: 'urn:gnc-node:as4:1',
} as const;

export const ALGORITHMS = {
  EXC_C14N: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  /** SwA profile 1.1: the digest covers the attachment's content octets only (not its MIME headers). */
  ATTACHMENT_CONTENT: 'http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform',
  SHA256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  ECDSA_SHA256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  EDDSA_ED25519: 'http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519',
  RSA_SHA256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  X509V3: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3',
  BASE64_BINARY: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary',
} as const;

/** ebMS 3 defaults (core spec 4.3, 5.2.2.3). */
export const EBMS_DEFAULTS = {
  MPC: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC',
  ROLE: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultRole',
  TEST_SERVICE: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/service',
  TEST_ACTION: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/test',
} as const;
