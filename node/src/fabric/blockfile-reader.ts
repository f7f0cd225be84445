/**
 * Streams blocks out of Fabric blockfiles on disk: one file, or a channel folder of a peer's block
 * store (`chains/chains/<channel>/`) holding `blockfile_000000`, `blockfile_000001`, ... read in
 * numeric order. Files are read in chunks, so memory stays bounded by the chunk size and the
 * largest block, whatever the size of the ledger.
 */
import { open, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { nextRecord } from './blockfile';

/** Fabric's file naming: `blockfile_` and a decimal suffix (written as `%06d`). */
const BLOCKFILE_NAME = /^blockfile_(\d+)$/;
const DEFAULT_CHUNK_SIZE = 1 << 20;

/** A block read from a blockfile, with where its record sits. */
export interface BlockfileBlockItem {
  readonly kind: 'block';
  readonly block: common.Block;
  /** Path of the blockfile holding the block. */
  readonly file: string;
  /** Offset of the record's length prefix in `file`. */
  readonly offset: number;
  /** Offset just after the record. */
  readonly end: number;
}

/** The point where the blockfiles stop being readable; always the last item. */
export interface BlockfileTornItem {
  readonly kind: 'torn';
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  /** `true` for a record cut short at the end of the file, `false` for a record that does not parse. */
  readonly truncated: boolean;
}

export type BlockfileItem = BlockfileBlockItem | BlockfileTornItem;

/** Options of {@link readBlockfiles}. */
export interface ReadBlockfilesOptions {
  /** Bytes read from disk at a time (default 1 MiB); a larger block is read whole. */
  readonly chunkSize?: number;
  /** Stops reading between chunks when aborted (the iterator then throws the abort reason). */
  readonly signal?: AbortSignal;
}

/**
 * Lists the blockfiles of a channel folder in the order Fabric reads them (by numeric suffix), or
 * returns `[pathOrDir]` when it names a file.
 */
export async function listBlockfiles(pathOrDir: string): Promise<string[]> {
  if (!(await stat(pathOrDir)).isDirectory()) return [pathOrDir];
  const numbered: Array<{ num: number; file: string }> = [];
  for (const entry of await readdir(pathOrDir, { withFileTypes: true })) {
    const match = BLOCKFILE_NAME.exec(entry.name);
    if (match && entry.isFile()) numbered.push({ num: Number(match[1]), file: path.join(pathOrDir, entry.name) });
  }
  return numbered.sort((a, b) => a.num - b.num).map((f) => f.file);
}

/**
 * Reads the blocks of a blockfile or of a channel folder of blockfiles, in order.
 *
 * Yields one `block` item per record; if a record is cut short or does not parse, yields a final
 * `torn` item naming the file and offset, and stops there (Fabric cannot read past it either).
 * Blocks hold views into the chunk they were read from (chunks are never reused), so they stay
 * valid after the iteration moves on.
 *
 * @throws the file system error if a file cannot be opened or read.
 */
export async function* readBlockfiles(
  pathOrDir: string,
  options: ReadBlockfilesOptions = {},
): AsyncGenerator<BlockfileItem, void, undefined> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 16) throw new RangeError(`chunkSize too small: ${chunkSize}`);
  for (const file of await listBlockfiles(pathOrDir)) {
    let stopped = false;
    for await (const item of readOneBlockfile(file, chunkSize, options.signal)) {
      yield item;
      if (item.kind === 'torn') stopped = true;
    }
    if (stopped) return;
  }
}

async function* readOneBlockfile(
  file: string,
  chunkSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<BlockfileItem, void, undefined> {
  const handle = await open(file, 'r');
  try {
    // The size at open bounds the read: a peer appending meanwhile cannot make a half-written
    // block look complete, and a garbage length never makes us allocate more than the file holds
    // (Fabric caps a blockfile at 64 MiB by default).
    let fileSize = (await handle.stat()).size;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0; // file offset of chunk[0]
    let pos = 0; // parse position inside chunk
    for (;;) {
      const atEof = chunkStart + chunk.length >= fileSize;
      if (pos >= chunk.length && atEof) return;
      const record = nextRecord(chunk, pos, atEof);
      if ('block' in record) {
        yield { kind: 'block', block: record.block, file, offset: chunkStart + pos, end: chunkStart + record.end };
        pos = record.end;
        continue;
      }
      if ('reason' in record) {
        yield {
          kind: 'torn',
          file,
          offset: chunkStart + record.offset,
          reason: record.reason,
          truncated: record.truncated,
        };
        return;
      }
      signal?.throwIfAborted();
      // Keep the unparsed rest, then fill a fresh buffer (never reuse one: yielded blocks view it).
      const rest = chunk.length - pos;
      const fileLeft = fileSize - (chunkStart + chunk.length);
      const wanted = Math.min(rest + fileLeft, Math.max(chunkSize, rest + record.needMore));
      const next = Buffer.allocUnsafe(wanted);
      chunk.copy(next, 0, pos);
      let filled = rest;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(
          next,
          filled,
          wanted - filled,
          chunkStart + chunk.length + filled - rest,
        );
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      chunkStart += pos;
      chunk = next.subarray(0, filled);
      pos = 0;
      // A file that shrank under us ends here; what is left is parsed as its tail.
      if (filled < wanted) fileSize = chunkStart + filled;
    }
  } finally {
    await handle.close();
  }
}
