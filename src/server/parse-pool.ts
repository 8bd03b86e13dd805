/**
 * Parsing uploads off the main thread. Readers are synchronous CPU work (a
 * large VMProf file takes a good fraction of a second); on the main thread
 * that time would stall every page view and download. A small pool of worker
 * threads runs parse -> serialize -> gzip -> model file (parse-worker.ts) and
 * sends back only the listing facts; the main thread stays free for I/O.
 *
 * Reader errors cross the thread boundary as plain data and are rebuilt as the
 * same ProfileFormatError / UnknownFormatError, so the HTTP answer is the
 * same 400 as in-process parsing. A worker that dies (out of its memory
 * limit on a pathological file) or overruns the time limit fails its job with
 * a 422 and is replaced. A parse that has been running for a while no longer
 * counts against the pool size, so one slow or stuck upload does not hold
 * back the others (up to twice the pool size; the time limit ends it).
 */
import type { Worker, ResourceLimits } from 'node:worker_threads';
import { startWorkerScript } from './worker-script.js';
import { availableParallelism, totalmem } from 'node:os';
import { ProfileFormatError, UnknownFormatError } from '../formats/errors.js';
import type { ModelBuild, ModelBuilder } from './service.js';
import { UploadError } from './ingest.js';

export interface ParseJob {
  id: number;
  path: string;
  fileName: string;
  dir: string;
}

export type ParseReply = { id: number; ok: true; result: ModelBuild } | { id: number; ok: false; error: SerializedError };

export type SerializedError =
  | { kind: 'format'; format: string; detail: string; offset: number; lineNumber: number }
  | { kind: 'unknown'; source: string }
  | { kind: 'range'; message: string }
  | { kind: 'other'; message: string; stack?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ProfileFormatError)
    return { kind: 'format', format: err.format, detail: err.detail, offset: err.offset, lineNumber: err.lineNumber };
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

/** The parse worker beside this module (see startWorkerScript). */
function startWorker(resourceLimits: ResourceLimits): Worker {
  return startWorkerScript(import.meta.url, 'parse-worker', { resourceLimits });
}

export interface ParseLimits {
  /** Workers parsing at once (default: one per core beyond the one serving requests, 1 to 4). */
  size: number;
  /** A parse taking longer fails with 422 and its worker is replaced. */
  timeMs: number;
  /** The V8 heap a worker may use (old generation, MiB); more fails the parse with 422. */
  memoryMb: number;
  /** A parse running this long no longer counts against `size`. */
  slowAfterMs: number;
}

/** Defaults: a worker may use a share of the machine's memory (2 GiB at most), a parse 5 minutes. */
export function defaultParseLimits(): ParseLimits {
  const size = Math.max(1, Math.min(4, availableParallelism() - 1));
  const memoryMb = Math.max(256, Math.min(2048, Math.floor(totalmem() / (1 << 20) / (2 * (size + 1)))));
  return { size, timeMs: 5 * 60_000, memoryMb, slowAfterMs: 2_000 };
}

interface Pending {
  job: ParseJob;
  resolve: (r: ModelBuild) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** Started and its readers loaded: jobs go only to ready workers. */
  ready: boolean;
  busy: (Pending & { startedAt: number; timer: NodeJS.Timeout }) | null;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  readonly limits: ParseLimits;

  constructor(limits: Partial<ParseLimits> = {}) {
    this.limits = { ...defaultParseLimits(), ...limits };
  }

  get size(): number {
    return this.limits.size;
  }

  private spawn(): Slot {
    const worker = startWorker({ maxOldGenerationSizeMb: this.limits.memoryMb });
    const slot: Slot = { worker, ready: false, busy: null };
    const settle = () => {
      const busy = slot.busy;
      slot.busy = null;
      if (busy) clearTimeout(busy.timer);
      return busy;
    };
    worker.on('message', (reply: ParseReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        worker.unref(); // kept alive only while it has a job (pump refs it)
        this.pump();
        return;
      }
      const busy = settle();
      worker.unref(); // an idle worker must not keep the process alive
      if (busy) {
        if (reply.ok) busy.resolve(reply.result);
        else busy.reject(deserializeError(reply.error));
      }
      this.pump();
    });
    const die = (reason: string) => {
      const busy = settle();
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (busy) busy.reject(new UploadError(422, `${busy.job.fileName}: ${reason}; the profile is too large or malformed for this server`));
      if (!this.closed) this.pump();
    };
    worker.on('error', (err: Error & { code?: string }) => {
      die(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `reading it needed more than the parser's ${this.limits.memoryMb} MiB`
          : `reading it failed the parser (${err.message})`,
      );
    });
    worker.on('exit', (code) => {
      if (code !== 0 || slot.busy) die(`the parser stopped (exit code ${code})`);
    });
    this.slots.push(slot);
    return slot;
  }

  /** Workers whose job started recently: the ones that count against the pool size. */
  private activeCount(now: number): number {
    return this.slots.filter((s) => s.busy === null || now - s.busy.startedAt < this.limits.slowAfterMs).length;
  }

  private pump(): void {
    if (this.retry) {
      clearTimeout(this.retry);
      this.retry = null;
    }
    while (this.queue.length > 0 && !this.closed) {
      const now = Date.now();
      const slot = this.slots.find((s) => s.ready && s.busy === null);
      if (!slot) {
        // Each worker still starting will take a job when ready.
        if (this.slots.filter((s) => !s.ready).length >= this.queue.length) return;
        if (this.activeCount(now) < this.limits.size && this.slots.length < 2 * this.limits.size) {
          this.spawn();
          continue;
        }
        // Every worker is busy: look again once the youngest job turns slow (a finished job pumps too).
        if (this.slots.length >= 2 * this.limits.size) return;
        const youngest = Math.max(...this.slots.map((s) => s.busy?.startedAt ?? 0));
        this.retry = setTimeout(() => this.pump(), Math.max(10, youngest + this.limits.slowAfterMs - now));
        this.retry.unref();
        return;
      }
      const next = this.queue.shift()!;
      const running = slot;
      const timer = setTimeout(() => {
        // Ending the worker is the only way to stop synchronous parsing; its exit fails the job.
        if (running.busy?.job === next.job) {
          const busy = running.busy;
          running.busy = null;
          const index = this.slots.indexOf(running);
          if (index >= 0) this.slots.splice(index, 1);
          busy.reject(
            new UploadError(
              422,
              `${next.job.fileName}: reading it took longer than the parser's limit of ${Math.round(this.limits.timeMs / 1000)} s; the profile is too large or malformed for this server`,
            ),
          );
          void running.worker.terminate();
          this.pump();
        }
      }, this.limits.timeMs);
      running.busy = { ...next, startedAt: now, timer };
      running.worker.ref(); // a job in flight must
      running.worker.postMessage(next.job);
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
    if (this.retry) clearTimeout(this.retry);
    for (const s of this.slots) if (s.busy) clearTimeout(s.busy.timer);
    for (const q of this.queue.splice(0)) q.reject(new Error('server shutting down'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
