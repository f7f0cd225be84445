import path from 'node:path';

/**
 * The folder of third-party samples the conformance tests read (never copied into this
 * repository): $GNC_CONFORMANCE_DIR, which .ci/run sets, or else ../shared/conformance beside the
 * checkout. Resolved from this file's place in dist/test/support.
 */
export function conformanceDir(): string {
  return process.env.GNC_CONFORMANCE_DIR ?? path.resolve(__dirname, '../../../../shared/conformance');
}
