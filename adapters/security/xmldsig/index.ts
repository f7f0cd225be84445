export { NotXmlPayloadError, PAYLOAD_NS, xmldsigScheme } from './xmldsig-scheme';
