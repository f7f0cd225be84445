import { X509Certificate, createPrivateKey, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GncError, asError } from '../../../node/src/errors';
import { batchNotCarried, runSend } from '../call-context';
import { EKU_CLIENT_AUTH, EKU_SERVER_AUTH, checkPartnerChain, matchPartner, parsePemChain } from '../peer-certificates';
import type {
  InboundHandler,
  SendOptions,
  Transport,
  TransportComponents,
  TransportFactory,
  TransportPeer,
} from '../transport';
import { TransportError, TransportErrorCode } from '../transport-errors';
import { parseTransportOptions } from '../transport-options';
import { DropFileError, decodeError, decodeFrame, encodeError, encodeFrame, sha256 } from './drop-file';
import { FiledropTransportOptions } from './filedrop-options';

/**
 * `filedrop`: batch exchange through folders (local, NFS or SFTP mounts). See README.md.
 *
 * A sender writes `.<name>.part` into the partner's inbound folder and renames it to
 * `<name>.gncdrop` (atomic on one file system); the receiver only ever looks at `*.gncdrop`,
 * claims one by renaming it into `.processing/<workerId>/` (so two watchers never both take it), checks the
 * frame's signature and its signer against the agreements, calls the handler, writes
 * `processed/<name>.receipt` (temp name + rename) and moves the file next to it; a refusal goes to
 * `error/<name>` with `error/<name>.error.json`. The sender polls for either until its deadline.
 */
export const filedrop: TransportFactory = (init) => {
  const options = parseTransportOptions('filedrop', FiledropTransportOptions, init);
  return (components) => new FiledropTransport(options, components);
};

export const MESSAGE_SUFFIX = '.gncdrop';
/** The receiver's certificate chain, published in its inbound folder for senders to check first. */
export const IDENTITY_FILE = '.gnc-filedrop-identity.pem';
const PROCESSING = '.processing';
/** Room for the frame header on top of the payload limit. */
const HEADER_ALLOWANCE = 64 * 1024;
const MESSAGE_NAME = /^[0-9a-z]{9,}-[0-9a-f-]{36}\.gncdrop$/;
/** Above this many pending sends to one partner, its folders are listed once per poll instead of probed per file. */
const LIST_THRESHOLD = 16;

interface Folders {
  inbound: string;
  processed: string;
  error: string;
}

interface Pending {
  name: string;
  to: TransportPeer;
  fileSha256: string;
  settle: (outcome: { answer: Uint8Array } | { error: TransportError }) => void;
}

type FileState = 'active' | 'finishing' | 'abandoned';

class FiledropTransport implements Transport {
  readonly name = 'filedrop';
  /** Its partners speak the drop-folder convention, not the gnc batch frame: one message per send. */
  readonly carriesBatches = false;
  private readonly folders: Folders;
  private readonly processing: string;
  private lifetime = new AbortController();
  private running = false;
  private handler: InboundHandler | undefined;
  private inboundTimer: NodeJS.Timeout | undefined;
  private outboundTimer: NodeJS.Timeout | undefined;
  private scanning = false;
  /** Inbound files being handled, by name. */
  private readonly active = new Map<string, { state: FileState; done: Promise<void> }>();
  /** Sends waiting for their receipt, grouped by the partner's folders. */
  private readonly pending = new Map<string, Map<string, Pending>>();

  constructor(
    private readonly options: Readonly<FiledropTransportOptions>,
    private readonly components: TransportComponents,
  ) {
    this.lifetime.abort();
    const inbound = resolve(options.inbound);
    this.folders = {
      inbound,
      processed: resolve(options.processed ?? join(inbound, 'processed')),
      error: resolve(options.error ?? join(inbound, 'error')),
    };
    this.processing = join(inbound, PROCESSING, options.workerId);
  }

  /** `file://<inbound>`, with `processed` / `error` query parameters when they are not the defaults. */
  private endpoint(): string {
    const url = pathToFileURL(this.folders.inbound);
    if (this.folders.processed !== join(this.folders.inbound, 'processed')) {
      url.searchParams.set('processed', this.folders.processed);
    }
    if (this.folders.error !== join(this.folders.inbound, 'error')) url.searchParams.set('error', this.folders.error);
    return url.href;
  }

  async start(handler: InboundHandler): Promise<string> {
    if (this.running) return this.endpoint();
    const { certificatePem, privateKeyPem } = this.components;
    try {
      if (parsePemChain(certificatePem).length === 0) throw new Error('no certificate in certificatePem');
      createPrivateKey(privateKeyPem);
    } catch (error) {
      throw new TransportError(TransportErrorCode.BAD_CONFIGURATION, `unusable identity: ${asError(error).message}`, {
        transient: false,
        cause: error,
      });
    }
    try {
      for (const dir of [this.folders.inbound, this.processing, this.folders.processed, this.folders.error]) {
        await fs.mkdir(dir, { recursive: true });
      }
      await this.writeAtomically(this.folders.inbound, IDENTITY_FILE, Buffer.from(certificatePem, 'utf8'));
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `cannot prepare the folders under ${this.folders.inbound}: ${asError(error).message}`,
        { transient: true, cause: error },
      );
    }
    this.handler = handler;
    this.lifetime = new AbortController();
    this.running = true;
    await this.recover();
    this.scheduleInbound(0);
    return this.endpoint();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.lifetime.abort();
    clearTimeout(this.inboundTimer);
    clearTimeout(this.outboundTimer);
    for (const group of this.pending.values()) {
      for (const p of group.values()) {
        p.settle({
          error: new TransportError(TransportErrorCode.STOPPED, 'the transport is stopped', {
            transient: true,
            partnerId: p.to.partnerId,
          }),
        });
      }
    }
    this.pending.clear();
    // Files still in their handler are abandoned like a cut connection: the sender is told at once
    // (transient, it sends again; the node dedupes) and the file goes to error/.
    const finishing: Array<Promise<void>> = [];
    for (const [name, file] of this.active) {
      if (file.state === 'finishing') finishing.push(file.done);
      else if (file.state === 'active') {
        file.state = 'abandoned';
        finishing.push(
          this.refuse(name, Buffer.alloc(0), {
            code: TransportErrorCode.STOPPED,
            message: 'the receiving node stopped before it answered',
            httpStatus: 503,
          }).catch((error: unknown) =>
            this.components.logger?.warn({ err: error, file: name }, 'cannot record an abandoned file'),
          ),
        );
      }
    }
    await Promise.all(finishing);
    this.active.clear();
  }

  // ---- receiving -----------------------------------------------------------------------------

  private scheduleInbound(delay: number): void {
    if (!this.running) return;
    clearTimeout(this.inboundTimer);
    this.inboundTimer = setTimeout(() => void this.scanInbound(), delay);
  }

  private async scanInbound(): Promise<void> {
    if (!this.running || this.scanning) return;
    this.scanning = true;
    try {
      const names = (await fs.readdir(this.folders.inbound)).filter((n) => MESSAGE_NAME.test(n)).sort();
      for (const name of names) {
        if (!this.running || this.active.size >= this.options.maxConcurrentFiles) break;
        if (this.active.has(name)) continue;
        // Claim: only one rename can succeed, whoever else watches the folder.
        try {
          await fs.rename(join(this.folders.inbound, name), join(this.processing, name));
        } catch {
          continue; // taken by another watcher, or withdrawn by its sender
        }
        this.handle(name, false);
      }
    } catch (error) {
      this.components.logger?.warn({ err: error, folder: this.folders.inbound }, 'cannot list the inbound folder');
    } finally {
      this.scanning = false;
      this.scheduleInbound(this.options.pollIntervalMs);
    }
  }

  /** Files left in .processing/ by a crash: finished if answered, retried once, else refused. */
  private async recover(): Promise<void> {
    let names: string[];
    try {
      names = (await fs.readdir(this.processing)).filter((n) => MESSAGE_NAME.test(n));
    } catch {
      return;
    }
    for (const name of names) {
      const from = join(this.processing, name);
      if (await exists(join(this.folders.processed, `${name}.receipt`))) {
        await fs.rename(from, join(this.folders.processed, name)).catch(() => undefined);
        continue;
      }
      if (await exists(join(this.folders.error, `${name}.error.json`))) {
        await fs.rename(from, join(this.folders.error, name)).catch(() => undefined);
        continue;
      }
      const marker = join(this.processing, `.${name}.retried`);
      if (await exists(marker)) {
        await this.refuse(name, await fs.readFile(from).catch(() => Buffer.alloc(0)), {
          code: 'GNC_FILEDROP_INTERRUPTED',
          message: 'the node stopped twice while handling this file; it is not tried again',
          httpStatus: 500,
        });
        await fs.rm(marker, { force: true });
        continue;
      }
      await fs.writeFile(marker, new Date().toISOString());
      this.handle(name, true);
    }
  }

  private handle(name: string, retried: boolean): void {
    const file: { state: FileState; done: Promise<void> } = { state: 'active', done: Promise.resolve() };
    this.active.set(name, file);
    file.done = this.process(name, file)
      .catch((error: unknown) => this.components.logger?.error({ err: error, file: name }, 'filedrop: handling failed'))
      .finally(async () => {
        if (retried) await fs.rm(join(this.processing, `.${name}.retried`), { force: true });
        if (this.active.get(name) === file) this.active.delete(name);
        this.scheduleInbound(0);
      });
  }

  private async process(name: string, file: { state: FileState }): Promise<void> {
    const path = join(this.processing, name);
    const refuse = async (code: string, message: string, httpStatus: number, bytes: Buffer) => {
      if (file.state !== 'active') return;
      file.state = 'finishing';
      await this.refuse(name, bytes, { code, message, httpStatus });
    };
    const size = (await fs.stat(path)).size;
    if (size > this.options.maxMessageBytes + HEADER_ALLOWANCE) {
      return refuse(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `the file exceeds the maximum of ${this.options.maxMessageBytes} bytes`,
        413,
        Buffer.alloc(0),
      );
    }
    const bytes = await fs.readFile(path);
    let frame;
    try {
      frame = decodeFrame(bytes, 'message');
      if (frame.header.name !== name)
        throw new DropFileError(`the file was written as ${frame.header.name}, not ${name}`);
    } catch (error) {
      return refuse(TransportErrorCode.PROTOCOL, `refused: ${asError(error).message}`, 400, bytes);
    }
    let match;
    try {
      match = matchPartner(frame.chain, this.components.peers(), new Date(), EKU_CLIENT_AUTH);
    } catch (error) {
      match = { ok: false as const, unknown: true, reason: `unreadable signer certificate: ${asError(error).message}` };
    }
    if (!match.ok) {
      this.components.logger?.warn({ file: name, reason: match.reason }, 'refused a dropped file');
      const code = match.unknown ? TransportErrorCode.PEER_UNKNOWN : TransportErrorCode.PEER_UNTRUSTED;
      return refuse(code, `refused: ${match.reason}`, 403, bytes);
    }
    if (frame.payload.length > this.options.maxMessageBytes) {
      return refuse(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `the message exceeds the maximum of ${this.options.maxMessageBytes} bytes`,
        413,
        bytes,
      );
    }
    const partnerId = match.partner.partnerId;
    let answer: Uint8Array;
    try {
      answer = await (this.handler as InboundHandler)({ partnerId, bytes: new Uint8Array(frame.payload) });
    } catch (error) {
      if (error instanceof GncError) {
        const status = error.httpStatus >= 400 && error.httpStatus <= 599 ? error.httpStatus : 500;
        if (status >= 500) this.components.logger?.error({ err: error, partnerId }, 'inbound message failed');
        return refuse(error.code, error.message, status, bytes);
      }
      this.components.logger?.error({ err: error, partnerId }, 'inbound handler threw a non-GncError');
      return refuse('GNC_INTERNAL', 'internal error', 500, bytes);
    }
    if (file.state !== 'active') return; // stopped meanwhile: the sender was told, the file is in error/
    file.state = 'finishing';
    const receipt = encodeFrame(
      { kind: 'receipt', name, createdAt: new Date().toISOString(), inReplyToSha256: sha256(bytes) },
      answer,
      this.components,
    );
    await this.writeAtomically(this.folders.processed, `${name}.receipt`, receipt);
    await fs.rename(path, join(this.folders.processed, name));
  }

  /** Writes `<error>/<name>.error.json` and moves the file (if still in .processing/) next to it. */
  private async refuse(name: string, bytes: Buffer, e: { code: string; message: string; httpStatus: number }) {
    const transient = e.httpStatus >= 500 || e.code === TransportErrorCode.STOPPED;
    const json = encodeError(
      { ...e, transient, file: name, fileSha256: sha256(bytes), at: new Date().toISOString() },
      this.components,
    );
    await this.writeAtomically(this.folders.error, `${name}.error.json`, json);
    await fs.rename(join(this.processing, name), join(this.folders.error, name)).catch(() => undefined);
  }

  private async writeAtomically(dir: string, name: string, data: Uint8Array): Promise<void> {
    const temp = join(dir, `.${name}.${randomUUID()}.part`);
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      if (this.options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temp, join(dir, name));
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  async send(to: TransportPeer, bytes: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    if (options.batch) return Promise.reject(batchNotCarried(this.name, to.partnerId));
    const { partnerId } = to;
    let dropped: string | undefined;
    let folders: Folders | undefined;
    return runSend(
      {
        lifetime: this.lifetime.signal,
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
        partnerId,
        bytes,
        maxMessageBytes: this.options.maxMessageBytes,
      },
      (error) => this.classify(error, partnerId),
      async (call) => {
        folders = this.partnerFolders(to);
        await this.checkPublishedIdentity(to, folders);
        const failed = call.failure();
        if (failed) throw failed;
        // Sortable names: a receiver works through a batch oldest first.
        const name = `${Date.now().toString(36).padStart(9, '0')}-${randomUUID()}${MESSAGE_SUFFIX}`;
        const frame = encodeFrame(
          { kind: 'message', name, createdAt: new Date().toISOString() },
          bytes,
          this.components,
        );
        await this.writeAtomically(folders.inbound, name, frame);
        dropped = name;
        const outcome = await this.waitForAnswer(name, to, folders, sha256(frame), call.signal);
        if ('error' in outcome) throw outcome.error;
        return outcome.answer;
      },
      async (failure) => {
        // Not claimed yet: withdraw it, so a send reported as failed is not delivered later by surprise.
        if (dropped && folders && failure.transient) {
          await fs.rm(join(folders.inbound, dropped), { force: true }).catch(() => undefined);
        }
      },
    );
  }

  private partnerFolders(to: TransportPeer): Folders {
    let inbound: string;
    let url: URL | undefined;
    try {
      if (to.endpoint.startsWith('file:')) {
        url = new URL(to.endpoint);
        inbound = fileURLToPath(url);
      } else {
        if (!this.options.outbound || isAbsolute(to.endpoint) || to.endpoint.includes('..')) {
          throw new Error('use a file: URL, or a folder name under the `outbound` option');
        }
        inbound = join(this.options.outbound, to.endpoint);
      }
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.BAD_CONFIGURATION,
        `endpoint '${to.endpoint}' of ${to.partnerId} is not a filedrop folder: ${asError(error).message}`,
        { transient: false, partnerId: to.partnerId, cause: error },
      );
    }
    return {
      inbound,
      processed: url?.searchParams.get('processed') ?? join(inbound, 'processed'),
      error: url?.searchParams.get('error') ?? join(inbound, 'error'),
    };
  }

  /** The folder must be the partner's: its published certificate chains to the agreement's anchors (and CN). */
  private async checkPublishedIdentity(to: TransportPeer, folders: Folders): Promise<void> {
    let chain: X509Certificate[];
    try {
      chain = parsePemChain(await fs.readFile(join(folders.inbound, IDENTITY_FILE), 'utf8'));
    } catch (error) {
      throw new TransportError(
        TransportErrorCode.UNREACHABLE,
        `no gnc node has published its identity in ${folders.inbound} (not mounted, or never started): ${asError(error).message}`,
        { transient: true, partnerId: to.partnerId, cause: error },
      );
    }
    const check = checkPartnerChain(chain, to, new Date(), EKU_SERVER_AUTH);
    if (!check.ok) {
      throw new TransportError(
        TransportErrorCode.PEER_UNTRUSTED,
        `the folder of ${to.partnerId} is not held by the identity its agreement names: ${check.reason}`,
        { transient: false, partnerId: to.partnerId },
      );
    }
  }

  private waitForAnswer(
    name: string,
    to: TransportPeer,
    folders: Folders,
    fileSha256: string,
    signal: AbortSignal,
  ): Promise<{ answer: Uint8Array } | { error: TransportError }> {
    const key = `${folders.processed}\n${folders.error}`;
    return new Promise((resolvePromise, reject) => {
      let group = this.pending.get(key);
      if (!group) {
        group = new Map();
        this.pending.set(key, group);
      }
      const onAbort = () => {
        this.pending.get(key)?.delete(name);
        reject(signal.reason as Error);
      };
      group.set(name, {
        name,
        to,
        fileSha256,
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          this.pending.get(key)?.delete(name);
          resolvePromise(outcome);
        },
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.scheduleOutbound();
    });
  }

  private scheduleOutbound(): void {
    if (this.outboundTimer || !this.running) return;
    this.outboundTimer = setTimeout(() => {
      this.outboundTimer = undefined;
      void this.pollAnswers().finally(() => {
        if ([...this.pending.values()].some((group) => group.size > 0)) this.scheduleOutbound();
      });
    }, this.options.pollIntervalMs);
  }

  private async pollAnswers(): Promise<void> {
    for (const [key, group] of this.pending) {
      if (group.size === 0) {
        this.pending.delete(key);
        continue;
      }
      const [processed = '', error = ''] = key.split('\n');
      let receipts: Set<string> | undefined;
      let errors: Set<string> | undefined;
      if (group.size > LIST_THRESHOLD) {
        receipts = new Set(await fs.readdir(processed).catch(() => []));
        errors = new Set(await fs.readdir(error).catch(() => []));
      }
      await Promise.all(
        [...group.values()].map(async (p) => {
          const receiptName = `${p.name}.receipt`;
          if (!receipts || receipts.has(receiptName)) {
            const receipt = await fs.readFile(join(processed, receiptName)).catch(() => undefined);
            if (receipt) return p.settle(this.readReceipt(receipt, p));
          }
          const errorName = `${p.name}.error.json`;
          if (!errors || errors.has(errorName)) {
            const refusal = await fs.readFile(join(error, errorName)).catch(() => undefined);
            if (refusal) return p.settle({ error: this.readRefusal(refusal, p) });
          }
          return undefined;
        }),
      );
    }
  }

  private readReceipt(file: Buffer, p: Pending): { answer: Uint8Array } | { error: TransportError } {
    const partnerId = p.to.partnerId;
    let frame;
    try {
      frame = decodeFrame(file, 'receipt');
    } catch (error) {
      return { error: protocolError(partnerId, `unreadable receipt for ${p.name}: ${asError(error).message}`) };
    }
    const check = checkPartnerChain(frame.chain, p.to, new Date(), EKU_SERVER_AUTH);
    if (!check.ok) {
      return {
        error: new TransportError(
          TransportErrorCode.PEER_UNTRUSTED,
          `the receipt for ${p.name} is not ${partnerId}'s: ${check.reason}`,
          {
            transient: false,
            partnerId,
          },
        ),
      };
    }
    if (frame.header.name !== p.name || frame.header.inReplyToSha256 !== p.fileSha256) {
      return { error: protocolError(partnerId, `the receipt for ${p.name} answers another file`) };
    }
    return { answer: new Uint8Array(frame.payload) };
  }

  private readRefusal(file: Buffer, p: Pending): TransportError {
    const partnerId = p.to.partnerId;
    let decoded;
    try {
      decoded = decodeError(file);
    } catch (error) {
      return protocolError(partnerId, `unreadable error file for ${p.name}: ${asError(error).message}`);
    }
    const check = checkPartnerChain([decoded.signer], p.to, new Date(), EKU_SERVER_AUTH);
    if (!check.ok) {
      return new TransportError(
        TransportErrorCode.PEER_UNTRUSTED,
        `the error file for ${p.name} is not ${partnerId}'s: ${check.reason}`,
        {
          transient: false,
          partnerId,
        },
      );
    }
    const { code, message, httpStatus } = decoded.error;
    const common = { partnerId, remoteCode: code, remoteStatus: httpStatus };
    if (code === TransportErrorCode.PEER_UNKNOWN || code === TransportErrorCode.PEER_UNTRUSTED) {
      return new TransportError(TransportErrorCode.PEER_REFUSED, `${partnerId} refused us: ${message}`, {
        ...common,
        transient: false,
      });
    }
    if (code === TransportErrorCode.MESSAGE_TOO_LARGE) {
      return new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `${partnerId}: ${message}`, {
        ...common,
        transient: false,
      });
    }
    if (code === TransportErrorCode.STOPPED || code === 'GNC_FILEDROP_INTERRUPTED') {
      return new TransportError(TransportErrorCode.UNREACHABLE, `${partnerId}: ${message}`, {
        ...common,
        transient: true,
      });
    }
    if (code === TransportErrorCode.PROTOCOL) {
      return new TransportError(TransportErrorCode.PROTOCOL, `${partnerId}: ${message}`, {
        ...common,
        transient: false,
      });
    }
    return new TransportError(TransportErrorCode.REMOTE_ERROR, `${partnerId} answered ${code}: ${message}`, {
      ...common,
      transient: httpStatus >= 500 || httpStatus === 408 || httpStatus === 429,
    });
  }

  private classify(error: unknown, partnerId: string): TransportError {
    if (error instanceof TransportError) return error;
    const err = asError(error);
    return new TransportError(
      TransportErrorCode.UNREACHABLE,
      `cannot write to the folder of ${partnerId}: ${err.message}`,
      {
        transient: true,
        partnerId,
        cause: err,
      },
    );
  }
}

function protocolError(partnerId: string, message: string): TransportError {
  return new TransportError(TransportErrorCode.PROTOCOL, `${partnerId}: ${message}`, { transient: false, partnerId });
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}
