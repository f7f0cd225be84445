export { jwsScheme } from './jws-scheme';
