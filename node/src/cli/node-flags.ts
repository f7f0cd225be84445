/**
 * The V8 settings a running node (`gnc start`) uses.
 *
 * - 8 MB semi-spaces: with V8's default semi-spaces (sized from the heap limit, grown by the
 *   start-up's allocations and not given back) a node at rest holds ~45 MB more resident memory
 *   than its heap uses, and far more under load; 8 MB semi-spaces cost a few more, short, scavenges.
 * - A heap growing factor of 5 (`--heap-growing-percent=400`): a full mark-compact stops the event
 *   loop for 8-15 ms and its marking threads take ~100 ms of CPU from a 2-core machine, and the
 *   messages in flight then make the tail of the latency. With V8's own factor (~1.7 here) a node
 *   at 1,000 messages/s ran one every ~2 s, started by the old generation's growth; with 5 the
 *   next one comes from the external-memory trigger, every ~5 s. Peak resident memory did not
 *   grow (at 1,000/s and at full load): the Buffers the node churns, not the heap, decide it. At
 *   rest it may be 1-2 MB higher (fewer full collections during start-up). The heap may grow to
 *   five times its live size before a full collection.
 *
 * V8 sizes its heap when the process starts, so the flags cannot be set from inside: the process
 * replaces itself with one started with them.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=400'];

/** True when this process was started with a semi-space size (NODE_FLAGS, or one the caller chose). */
export function hasNodeFlags(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((flag) => flag.includes('semi-space'));
}

/**
 * Replaces this process (same pid, same stdio and environment; process.execve) with the same
 * script and arguments started with NODE_FLAGS. Returns only when it need not (the flags, or
 * another semi-space size, are set) or cannot (a runtime without process.execve).
 */
export function relaunchWithNodeFlags(): void {
  const execve = (process as { execve?: (file: string, args: string[]) => never }).execve;
  if (hasNodeFlags() || typeof execve !== 'function') return;
  execve.call(process, process.execPath, [
    process.execPath,
    ...NODE_FLAGS,
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
}
