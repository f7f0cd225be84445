/** The `http` transport: HTTP/2 over mutual TLS. */
export { http, HttpTransportOptions, MESSAGES_PATH, BATCHES_PATH } from './http-transport';
