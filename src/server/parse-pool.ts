/**
 * Parsing uploads off the main thread. Readers are synchronous CPU work (a
 * large VMProf file takes a good fraction of a second); on the main thread
 * that time would stall every page view and download. A small pool of worker
 * threads runs parse -> serialize -> gzip -> model file (parse-worker.ts) and
 * sends back only the listing facts; the main thread stays free for I/O.
 *
 * Reader errors cross the thread boundary as plain data and are rebuilt as the
 * same ProfileFormatError / UnknownFormatError, so the HTTP answer is the
 * same 400 as in-process parsing. A worker that dies (out of memory on a
 * pathological file) fails its job with a 422 and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ProfileFormatError, UnknownFormatError } from '../formats/errors.js';
import type { ModelBuild, ModelBuilder } from './service.js';
import { UploadError } from './ingest.js';

export interface ParseJob {
  id: number;
  path: string;
  fileName: string;
  dir: string;
}

export type ParseReply =
  | { id: number; ok: true; result: ModelBuild }
  | { id: number; ok: false; error: SerializedError };

export type SerializedError =
  | { kind: 'format'; format: string; detail: string; offset: number; lineNumber: number }
  | { kind: 'unknown'; source: string }
  | { kind: 'range'; message: string }
  | { kind: 'other'; message: string; stack?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ProfileFormatError) return { kind: 'format', format: err.format, detail: err.detail, offset: err.offset, lineNumber: err.lineNumber };
  if (err instanceof UnknownFormatError) return { kind: 'unknown', source: err.source };
  if (err instanceof RangeError) return { kind: 'range', message: err.message };
  const e = err as Error;
  return { kind: 'other', message: e?.message ?? String(err), stack: e?.stack };
}

export function deserializeError(e: SerializedError): Error {
  if (e.kind === 'format') return new ProfileFormatError(e.format, e.detail, e.offset, e.lineNumber);
  if (e.kind === 'unknown') return new UnknownFormatError(e.source);
  if (e.kind === 'range') return new RangeError(e.message);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * Starts the worker script beside this module: parse-worker.js when built;
 * from source (tests, benchmarks under tsx) parse-worker.ts, behind a tiny
 * bootstrap that registers tsx in the worker first, because a worker does
 * not always inherit the loader (the test runner's processes do not pass it on).
 */
function startWorker(): Worker {
  if (!fileURLToPath(import.meta.url).endsWith('.ts')) return new Worker(new URL('./parse-worker.js', import.meta.url));
  const script = new URL('./parse-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script)}); });`, { eval: true });
}

interface Slot {
  worker: Worker;
  busy: { job: ParseJob; resolve: (r: ModelBuild) => void; reject: (e: unknown) => void } | null;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: ParseJob; resolve: (r: ModelBuild) => void; reject: (e: unknown) => void }[] = [];
  private nextId = 1;
  private closed = false;

  /** Default size: one worker per core beyond the one serving requests, at least 1, at most 4. */
  constructor(readonly size = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  private spawn(): Slot {
    const worker = startWorker();
    const slot: Slot = { worker, busy: null };
    worker.on('message', (reply: ParseReply) => {
      const busy = slot.busy;
      slot.busy = null;
      worker.unref(); // an idle worker must not keep the process alive
      if (busy) {
        if (reply.ok) busy.resolve(reply.result);
        else busy.reject(deserializeError(reply.error));
      }
      this.pump();
    });
    const die = (err: unknown) => {
      const busy = slot.busy;
      slot.busy = null;
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (busy) busy.reject(new UploadError(422, `${busy.job.fileName}: reading it failed the parser (${(err as Error)?.message ?? err}); the profile is too large or malformed`));
      if (!this.closed) this.pump();
    };
    worker.on('error', die);
    worker.on('exit', (code) => { if (code !== 0 || slot.busy) die(new Error(`worker exited with code ${code}`)); });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.busy === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.queue.shift()!;
      slot.busy = next;
      slot.worker.ref(); // a job in flight must
      slot.worker.postMessage(next.job);
    }
  }

  readonly build: ModelBuilder = (path, fileName, dir) => {
    if (this.closed) return Promise.reject(new Error('parse pool closed'));
    return new Promise<ModelBuild>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, path, fileName, dir }, resolve, reject });
      this.pump();
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('server shutting down'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
