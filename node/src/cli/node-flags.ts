/**
 * The V8 settings a running node (`gnc start`) uses. With V8's default semi-spaces (sized from
 * the heap limit, grown by the start-up's allocations and not given back) a node at rest holds
 * ~45 MB more resident memory than its heap uses, and far more under load; 8 MB semi-spaces cost a
 * few more, short, scavenges. V8 sizes its heap when the process starts, so the flags cannot be set
 * from inside: the process replaces itself with one started with them.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

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
