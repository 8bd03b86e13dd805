/** Worker thread of parse-pool.ts: parse an upload, write its model, reply with the facts. */
import { parentPort } from 'node:worker_threads';
import { buildModelInProcess } from './service.js';
import { serializeError, type ParseJob, type ParseReply } from './parse-pool.js';

parentPort!.on('message', async (job: ParseJob) => {
  let reply: ParseReply;
  try {
    reply = { id: job.id, ok: true, result: await buildModelInProcess(job.path, job.fileName, job.dir) };
  } catch (err) {
    reply = { id: job.id, ok: false, error: serializeError(err) };
  }
  parentPort!.postMessage(reply);
});

// The readers loaded before the first job, so a job's time limit measures its parse, not start-up.
await import('../formats/load.js');
parentPort!.postMessage({ ready: true });
