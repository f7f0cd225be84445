export { jsonFormat } from './json-format';
