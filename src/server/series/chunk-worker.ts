/**
 * Worker thread of the ClickHouse store (prepare-worker.ts starts it): decodes each
 * chunk's JSON and prepares it (chunk-preparer.ts), off the thread that serves requests.
 * In: { id, json }. Out: { id, prepared } or { id, error } (a ProfileFormatError's
 * parts, for the route's one-line 400) or { id, failure } (anything else).
 */
import { parentPort } from 'node:worker_threads';
import { decodeChunk } from '../../formats/stream-chunk.js';
import { ProfileFormatError } from '../../formats/errors.js';
import { ChunkPreparer } from './chunk-preparer.js';

const preparer = new ChunkPreparer();
parentPort!.on('message', ({ id, json }: { id: number; json: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id, prepared: preparer.prepare(decodeChunk(json)) });
  } catch (err) {
    if (err instanceof ProfileFormatError)
      parentPort!.postMessage({ id, error: { format: err.format, detail: err.detail, offset: err.offset, lineNumber: err.lineNumber } });
    else parentPort!.postMessage({ id, failure: String((err as Error)?.stack ?? err) });
  }
});
