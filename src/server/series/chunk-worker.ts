/**
 * Worker thread of the ClickHouse store (prepare-worker.ts starts it): decodes each
 * chunk's JSON and prepares it (chunk-preparer.ts), off the thread that serves requests.
 * In: { id, chunk } (an EncodedChunk: our chunk's JSON, or a Pyroscope text body).
 * Out: { id, prepared } or { id, error } (a ProfileFormatError's parts, for the
 * route's one-line 400) or { id, failure } (anything else).
 */
import { parentPort } from 'node:worker_threads';
import { ProfileFormatError } from '../../formats/errors.js';
import { ChunkPreparer } from './chunk-preparer.js';
import { decodeEncodedChunk, type EncodedChunk } from './store.js';

const preparer = new ChunkPreparer();
parentPort!.on('message', ({ id, chunk }: { id: number; chunk: EncodedChunk }) => {
  try {
    parentPort!.postMessage({ id, prepared: preparer.prepare(decodeEncodedChunk(chunk)) });
  } catch (err) {
    if (err instanceof ProfileFormatError)
      parentPort!.postMessage({ id, error: { format: err.format, detail: err.detail, offset: err.offset, lineNumber: err.lineNumber } });
    else parentPort!.postMessage({ id, failure: String((err as Error)?.stack ?? err) });
  }
});
