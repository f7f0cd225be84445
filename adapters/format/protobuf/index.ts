export { protobufFormat } from './protobuf-format';
