/** The `filedrop` transport: signed files through shared (SFTP-mounted) folders (see README.md). */
export { filedrop, IDENTITY_FILE, MESSAGE_SUFFIX } from './filedrop-transport';
export { FiledropTransportOptions } from './filedrop-options';
