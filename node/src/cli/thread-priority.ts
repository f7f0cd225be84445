import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { ConfigError } from '../errors';

/**
 * The name V8 gives the threads of its platform pool (Node 20 and later), which run the
 * concurrent and parallel parts of garbage collection and background compilation.
 */
const V8_WORKER_THREAD = 'V8Worker';

/** The nice value `gnc start` gives V8's worker threads unless GNC_V8_WORKER_NICE says otherwise. */
export const DEFAULT_V8_WORKER_NICE = 19;

/**
 * Lowers the scheduling priority of this process's V8 worker threads to `nice` (Linux only: there
 * the nice value is per thread, and /proc/self/task names them). Why: on a machine with few cores,
 * a message waiting in the event loop was mostly waiting for a CPU that the two nodes' concurrent
 * GC threads held (the latency bench's slow messages came in clusters that began with a full GC).
 * At a lower priority those threads run on what the event loops leave; V8 finishes what they have
 * not done on the main thread, so no collection is skipped. The event loop and libuv's pool (file
 * and LevelDB I/O, on the path of every message) keep their priority. Raising a priority back needs
 * privileges, so this is done once, at start, by the processes that run a node.
 *
 * `nice` comes from GNC_V8_WORKER_NICE when set (0 leaves the threads alone). Returns how many
 * threads were lowered; a thread that exited meanwhile, or a system that refuses, is passed over.
 */
export function lowerV8WorkerPriority(nice: number = v8WorkerNiceFromEnvironment()): number {
  if (process.platform !== 'linux' || nice === 0) return 0;
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const tid of threads) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== V8_WORKER_THREAD) continue;
      setPriority(Number(tid), nice);
      lowered++;
    } catch {
      // The thread ended between the listing and now, or the system refused: nothing to undo.
    }
  }
  return lowered;
}

/** GNC_V8_WORKER_NICE as a nice value 0-19 (DEFAULT_V8_WORKER_NICE when unset); ConfigError otherwise. */
export function v8WorkerNiceFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GNC_V8_WORKER_NICE;
  if (raw === undefined || raw === '') return DEFAULT_V8_WORKER_NICE;
  const nice = /^[0-9]{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (!(nice >= 0 && nice <= 19)) {
    throw new ConfigError(
      `GNC_V8_WORKER_NICE='${raw}' is not a nice value: give 0 (leave V8's worker threads alone) to 19 (lowest priority)`,
    );
  }
  return nice;
}
