/**
 * The worker thread that decodes and prepares the chunks `serve` receives for the
 * ClickHouse store (chunk-worker.ts). On two cores, the thread serving requests spent
 * most of its time parsing chunks and looking up their stacks, and ClickHouse's answers
 * waited behind it; here that work runs beside it. Started on first use; a crashed
 * worker fails the chunks it held (their senders resend) and the next chunk starts another.
 */
import type { Worker } from 'node:worker_threads';
import { ProfileFormatError } from '../../formats/errors.js';
import { startWorkerScript } from '../worker-script.js';
import type { Prepared } from './chunk-preparer.js';
import type { EncodedChunk } from './store.js';

interface Waiting {
  resolve: (prepared: Prepared) => void;
  reject: (err: Error) => void;
}

export class PrepareWorker {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  /** The chunk decoded and prepared; a bad chunk rejects with its ProfileFormatError. */
  prepare(chunk: EncodedChunk): Promise<Prepared> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Kept alive while it holds chunks, let go when idle: an idle worker must not keep serve running.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, chunk });
    });
  }

  private start(): Worker {
    const worker = startWorkerScript(import.meta.url, 'chunk-worker');
    worker.on('message', (m: { id: number; prepared?: Prepared; error?: ProfileFormatError; failure?: string }) => {
      const waiting = this.waiting.get(m.id);
      if (!waiting) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) worker.unref();
      if (m.prepared) waiting.resolve(m.prepared);
      else if (m.error) waiting.reject(new ProfileFormatError(m.error.format, m.error.detail, m.error.offset, m.error.lineNumber));
      else waiting.reject(new Error(`preparing a chunk failed: ${m.failure}`));
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the chunk worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(new Error('the server is stopping'));
    this.waiting.clear();
    await worker?.terminate();
  }
}
