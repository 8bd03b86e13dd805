/**
 * Sends stream chunks to `pyrometer serve` (POST /api/v1/stream), through an
 * on-disk buffer: every chunk is written to the spool directory first
 * (`<seq>.chunk`, renamed into place whole) and deleted only when the server
 * acknowledged it, so a server that is away or restarting loses nothing that
 * fits in the buffer. Chunks go oldest first, one at a time; failures back off
 * (1 s doubling to 30 s). The buffer is bounded (`maxBuffered` chunks): past
 * it the oldest chunk is dropped and counted. A chunk the server refuses as bad
 * (4xx other than 401/408/429) is dropped and counted too: resending would not
 * make it good.
 *
 * This runs in the `record`/`attach` process, never in the profiled program:
 * a slow or absent server costs the program nothing.
 *
 * A chunk carries this sender's id and its sequence number, so one resent
 * after a lost acknowledgement is stored once. The id is kept in the spool
 * directory: chunks left there by an earlier run are sent by the next one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { encodeChunk, STREAM_CHUNK_MEDIA_TYPE, type StreamChunk } from '../../formats/stream-chunk.js';

export interface SenderOptions {
  /** The server's base URL (http://host:8000). */
  url: string;
  token?: string;
  spoolDir: string;
  /** Chunks kept at most while the server is away (default 360: an hour at 10 s). */
  maxBuffered?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Tests shorten the backoff. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface SenderCounts {
  /** Chunks made. */
  queued: number;
  /** Acknowledged by the server (resends of already-stored chunks included). */
  sent: number;
  /** Attempts that failed and will be retried. */
  retries: number;
  /** Dropped because the buffer was full. */
  droppedFull: number;
  /** Dropped because the server refused them. */
  rejected: number;
  /** Still in the buffer. */
  buffered: number;
  /** The last failure, for the report. */
  lastError: string;
}

export class ChunkSender {
  readonly id: string;
  private nextSeq: number;
  private readonly counts: SenderCounts = { queued: 0, sent: 0, retries: 0, droppedFull: 0, rejected: 0, buffered: 0, lastError: '' };
  private draining: Promise<void> | null = null;
  private backoffMs = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: SenderOptions) {
    mkdirSync(options.spoolDir, { recursive: true, mode: 0o700 });
    const idFile = join(options.spoolDir, 'sender-id');
    if (existsSync(idFile)) this.id = readFileSync(idFile, 'utf8').trim();
    else {
      this.id = randomUUID();
      writeFileSync(idFile, `${this.id}\n`);
    }
    const pending = this.pendingSeqs();
    this.nextSeq = pending.length > 0 ? pending[pending.length - 1] + 1 : Date.now(); // ms: never reused by a later run
    this.counts.buffered = pending.length;
  }

  private pendingSeqs(): number[] {
    return readdirSync(this.options.spoolDir)
      .map((name) => /^(\d+)\.chunk$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  get stats(): SenderCounts {
    return { ...this.counts, buffered: this.pendingSeqs().length };
  }

  /** Buffers a chunk (the sender fills in its id and seq) and starts sending. */
  queue(chunk: Omit<StreamChunk, 'sender' | 'seq'>): void {
    const seq = this.nextSeq++;
    const bytes = encodeChunk({ ...chunk, sender: this.id, seq });
    const path = join(this.options.spoolDir, `${seq}.chunk`);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    this.counts.queued++;
    const pending = this.pendingSeqs();
    const max = this.options.maxBuffered ?? 360;
    for (let i = 0; i < pending.length - max; i++) {
      rmSync(join(this.options.spoolDir, `${pending[i]}.chunk`), { force: true });
      this.counts.droppedFull++;
    }
    this.kick();
  }

  /** Starts a drain unless one runs; a waiting backoff is cut short. */
  kick(): void {
    if (this.wake) this.wake();
    if (!this.draining) {
      this.draining = this.drain().finally(() => {
        this.draining = null;
      });
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      const pending = this.pendingSeqs();
      if (pending.length === 0 || this.closed) return;
      const path = join(this.options.spoolDir, `${pending[0]}.chunk`);
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch {
        continue; // dropped meanwhile
      }
      const outcome = await this.post(bytes);
      if (outcome === 'ok' || outcome === 'rejected') {
        rmSync(path, { force: true });
        if (outcome === 'ok') this.counts.sent++;
        else this.counts.rejected++;
        this.backoffMs = 0;
        continue;
      }
      this.counts.retries++;
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, this.options.minBackoffMs ?? 1000), this.options.maxBackoffMs ?? 30_000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.backoffMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = () => {
          this.wake = null;
          done();
        };
      });
      this.wake = null;
    }
  }

  private async post(bytes: Buffer): Promise<'ok' | 'retry' | 'rejected'> {
    const headers: Record<string, string> = { 'Content-Type': STREAM_CHUNK_MEDIA_TYPE };
    if (this.options.token) headers.Authorization = `Token ${this.options.token}`;
    try {
      const response = await fetch(`${this.options.url.replace(/\/+$/, '')}/api/v1/stream`, {
        method: 'POST',
        headers,
        body: new Uint8Array(bytes),
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 30_000), this.abort.signal]),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return 'ok';
      let message = `HTTP ${response.status}`;
      try {
        message += `: ${JSON.parse(text).error}`;
      } catch {
        /* not our server's JSON */
      }
      this.counts.lastError = message;
      if (response.status >= 400 && response.status < 500 && ![401, 408, 429].includes(response.status)) return 'rejected';
      return 'retry';
    } catch (err) {
      if (this.abort.signal.aborted) return 'retry'; // closing: not the server's fault
      const e = err as Error & { cause?: { code?: string; errors?: { code?: string }[] } };
      this.counts.lastError = e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.message;
      return 'retry';
    }
  }

  /** Tries to send what is buffered for up to `waitMs`, then stops; what is left stays on disk for the next run. */
  async close(waitMs: number): Promise<SenderCounts> {
    const deadline = Date.now() + waitMs;
    while (this.pendingSeqs().length > 0 && Date.now() < deadline) {
      this.kick(); // also ends a backoff wait: the program is done, try now
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(500, deadline - Date.now()))));
    }
    this.closed = true;
    this.abort.abort();
    if (this.wake) this.wake();
    await this.draining;
    return this.stats;
  }
}
