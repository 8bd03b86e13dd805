/**
 * Starts a worker thread running the module `name` beside the caller: NAME.js when built;
 * from source (tests, benchmarks under tsx) NAME.ts, behind a tiny bootstrap that registers
 * tsx in the worker first, because a worker does not always inherit the loader (the test
 * runner's processes do not pass it on).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

export function startWorkerScript(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!fileURLToPath(callerUrl).endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const script = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script)}); });`, {
    ...options,
    eval: true,
  });
}
