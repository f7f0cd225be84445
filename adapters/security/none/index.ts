export { noneScheme } from './none-scheme';
