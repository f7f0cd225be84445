import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { common } from '@hyperledger/fabric-protos';
import { encodeBlockfileRecord, scanBlockfile } from '../../fabric/blockfile';
import { LedgerUnavailableError } from '../ledger-errors';
import type { BlockLocation } from './state-store';

/**
 * Blocks appended to files in a peer's layout (chains/chains/<channel>/blockfile_NNNNNN, each
 * block a varint-length-prefixed record in Fabric's block serialization), so Fabric's own tools
 * and `gnc audit verify --blockfile` read them. A block is durable when append() resolves (the
 * file is fsynced). On open, a torn last record (a crash mid-append) is cut off, never kept.
 */

/** Fabric's default maximum blockfile size (ledger.blockchain... 64 MiB). */
const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface ScannedTail {
  /** Blocks found after `fromFile:fromOffset`, in file order, with their locations. */
  blocks: Array<{ block: common.Block; location: BlockLocation }>;
  /** Set when a torn record was found and cut off. */
  truncated?: { file: number; offset: number; reason: string };
}

export class BlockStore {
  private handle: FileHandle | undefined;
  private fileNumber = 0;
  private fileSize = 0;

  private constructor(
    readonly directory: string,
    private readonly maxFileBytes: number,
  ) {}

  static async open(directory: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<BlockStore> {
    await mkdir(directory, { recursive: true });
    const store = new BlockStore(directory, maxFileBytes);
    const files = await store.fileNumbers();
    store.fileNumber = files.length > 0 ? Math.max(...files) : 0;
    return store;
  }

  static fileName(fileNumber: number): string {
    return `blockfile_${String(fileNumber).padStart(6, '0')}`;
  }

  /**
   * Reads every block stored at or after `from` (the location just past the last block whose
   * effects are in the state database), cutting off a torn tail of the last file.
   */
  async recoverTail(from: { file: number; offset: number }): Promise<ScannedTail> {
    const result: ScannedTail = { blocks: [] };
    const files = (await this.fileNumbers()).filter((n) => n >= from.file).sort((a, b) => a - b);
    for (const file of files) {
      const filePath = path.join(this.directory, BlockStore.fileName(file));
      const handle = await open(filePath, 'r+');
      try {
        const bytes = await handle.readFile();
        const start = file === from.file ? from.offset : 0;
        const scan = scanBlockfile(bytes.subarray(start));
        for (const entry of scan.blocks) {
          result.blocks.push({
            block: entry.block,
            location: { file, offset: start + entry.offset, length: entry.end - entry.offset },
          });
        }
        if (scan.torn) {
          if (file !== files[files.length - 1] || !scan.torn.truncated) {
            throw new LedgerUnavailableError(
              `blockfile ${filePath} is damaged at offset ${start + scan.torn.offset} (${scan.torn.reason}); this is not a torn last write, so it is not repaired automatically: restore the ledger folder from a backup or a peer`,
            );
          }
          await handle.truncate(start + scan.torn.offset);
          await handle.sync();
          result.truncated = { file, offset: start + scan.torn.offset, reason: scan.torn.reason };
        }
      } finally {
        await handle.close();
      }
    }
    return result;
  }

  /** Appends a block and fsyncs; returns where it went. */
  async append(block: common.Block): Promise<BlockLocation> {
    const record = encodeBlockfileRecord(block);
    let handle = await this.appendHandle();
    if (this.fileSize > 0 && this.fileSize + record.length > this.maxFileBytes) {
      await handle.close();
      this.handle = undefined;
      this.fileNumber += 1;
      handle = await this.appendHandle();
    }
    const offset = this.fileSize;
    await handle.write(record, 0, record.length, offset);
    await handle.datasync();
    this.fileSize += record.length;
    return { file: this.fileNumber, offset, length: record.length };
  }

  /** Reads one block record back (as written by append). */
  async read(location: BlockLocation): Promise<common.Block> {
    const handle = await open(path.join(this.directory, BlockStore.fileName(location.file)), 'r');
    try {
      const buffer = Buffer.alloc(location.length);
      const { bytesRead } = await handle.read(buffer, 0, location.length, location.offset);
      const scan = scanBlockfile(buffer.subarray(0, bytesRead));
      const first = scan.blocks[0];
      if (!first) {
        throw new LedgerUnavailableError(
          `block record at ${BlockStore.fileName(location.file)}:${location.offset} cannot be read (${scan.torn?.reason ?? 'empty'})`,
        );
      }
      return first.block;
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async appendHandle(): Promise<FileHandle> {
    if (!this.handle) {
      this.handle = await open(path.join(this.directory, BlockStore.fileName(this.fileNumber)), 'a+');
      this.fileSize = (await this.handle.stat()).size;
    }
    return this.handle;
  }

  private async fileNumbers(): Promise<number[]> {
    const names = await readdir(this.directory);
    return names
      .map((name) => /^blockfile_(\d{6})$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
  }
}
