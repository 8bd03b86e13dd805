/**
 * Continuous profiling, receiving side:
 *
 *   POST /api/v1/stream     one stream chunk (src/formats/stream-chunk.ts) -> 200 {stored, samples}
 *                           stored: false when this sender's seq was already stored (a resend)
 *   POST /ingest?name=app.cpu{k=v}&from=&until=&format=folded|lines|pprof&sampleRate=&spyName=&units=
 *                           Pyroscope's ingest API, as its agents send it: folded (the default) or
 *                           lines text; `format=pprof` with the raw pprof (gzip or not) as body; or,
 *                           without format, multipart/form-data with a `profile` part (pyroscope-go's
 *                           upstream, Grafana Alloy; `prev_profile` and `sample_type_config` parts are
 *                           read past). Other formats (trie, tree, jfr, speedscope) -> 415.
 *
 * Both need a token when the server requires one for uploads. A chunk's reply
 * is sent only after the store has it durably: that is the acknowledgement a
 * sender may drop its copy on.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Busboy } from '@fastify/busboy';
import { chunkBody, checkService, type StreamChunk } from '../../formats/stream-chunk.js';
import { collapsedStacks } from '../../formats/collapsed.js';
import { readPprof } from '../../formats/pprof/index.js';
import { ProfileFormatError } from '../../formats/errors.js';
import { UploadError } from '../ingest.js';
import { requireAccess, type AccessPolicy } from '../http.js';
import type { ProfileService } from '../service.js';
import { type EncodedChunk, ingestEncoded, type IngestResult, type SeriesStore } from '../series/store.js';
import { parsePyroscopeName, parseTime, SelectorError } from '../series/selector.js';

/** A chunk or an agent's push is a few seconds of samples: far below an upload's limit. */
export const MAX_CHUNK_BYTES = 32 << 20;

/** Reads the whole body, bounded, undoing Content-Encoding: gzip. */
async function bodyBytes(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  const stream = request.body as Readable | undefined;
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of stream) {
    size += (part as Buffer).length;
    if (size > maxBytes) {
      stream.resume();
      throw new UploadError(413, `the body is larger than ${maxBytes} bytes: send smaller chunks (a shorter --interval)`);
    }
    parts.push(part as Buffer);
  }
  const body = Buffer.concat(parts);
  if (/gzip/i.test(String(request.headers['content-encoding'] ?? ''))) return gunzipBounded(body, maxBytes);
  return body;
}

function gunzipBounded(bytes: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new UploadError(413, `the body inflates to more than ${maxBytes} bytes`);
    throw new UploadError(400, `the body is not valid gzip (${e.message})`);
  }
}

/** Multipart form parts by field name (files and fields alike), bounded. */
function multipartParts(request: FastifyRequest, body: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const parts = new Map<string, Buffer>();
    let parser;
    try {
      parser = new Busboy({
        headers: request.headers as never,
        limits: { files: 8, fields: 8, parts: 16, fieldSize: 1 << 20, fileSize: MAX_CHUNK_BYTES },
      });
    } catch (err) {
      reject(new UploadError(400, `bad multipart body (${(err as Error).message})`));
      return;
    }
    parser.on('file', (field: string, stream: Readable) => {
      const pieces: Buffer[] = [];
      stream.on('data', (d: Buffer) => pieces.push(d));
      stream.on('end', () => parts.set(field, Buffer.concat(pieces)));
    });
    parser.on('field', (field: string, value: string) => parts.set(field, Buffer.from(value, 'utf8')));
    parser.on('error', (err: Error) => reject(new UploadError(400, `bad multipart body (${err.message})`)));
    parser.on('finish', () => resolve(parts));
    parser.end(body);
  });
}

function inflateIfGzip(bytes: Buffer): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipBounded(bytes, MAX_CHUNK_BYTES) : bytes;
}

/**
 * What a Pyroscope /ingest request carries: a pprof body is read here, into a chunk; a folded or
 * lines body is left encoded, for the store to read where it likes (see ingestEncoded).
 */
export async function pyroscopePush(request: FastifyRequest): Promise<StreamChunk | EncodedChunk> {
  const query = request.query as Record<string, string | undefined>;
  const contentType = String(request.headers['content-type'] ?? '');
  // Pyroscope's own rules: format first, then the content type (multipart is pprof), else folded.
  let format = (query.format ?? '').toLowerCase();
  if (!format)
    format = /^binary\/octet-stream\+(trie|tree)/i.test(contentType)
      ? 'trie'
      : /multipart\/form-data/i.test(contentType)
        ? 'pprof'
        : 'folded';
  if (!['folded', 'lines', 'pprof'].includes(format)) {
    throw new UploadError(415, `format "${format.slice(0, 40)}" is not supported: send folded, lines or pprof`);
  }
  let name: { app: string; labels: Record<string, string> };
  let from: number;
  let until: number;
  try {
    name = parsePyroscopeName(query.name ?? '');
    const now = Date.now();
    from = query.from ? parseTime(query.from, now, 'from') : now;
    until = query.until ? parseTime(query.until, now, 'until') : now;
  } catch (err) {
    if (err instanceof SelectorError) throw new UploadError(400, err.message);
    throw err;
  }
  // `app.cpu` is the app `app` with profile type `cpu`; pprof names carry no type (it is in the profile).
  const typed =
    /^(.*)\.(cpu|wall|itimer|alloc_objects|alloc_space|inuse_objects|inuse_space|goroutines|mutex_count|mutex_duration|block_count|block_duration)$/.exec(
      name.app,
    );
  const service = typed ? typed[1] : name.app;
  checkService(service, (what) => {
    throw new UploadError(400, `name: ${what}`);
  });
  const body = await bodyBytes(request, MAX_CHUNK_BYTES);
  let unit = query.units || 'samples';
  let kind = typed ? typed[2] : '';
  const meta = { service, labels: name.labels, from, until: Math.max(until, from), sender: '', seq: 0 };
  if (format === 'pprof') {
    let pprofBytes: Buffer = body;
    if (/^multipart\/form-data/i.test(contentType)) {
      const parts = await multipartParts(request, body);
      const profile = parts.get('profile');
      if (!profile) throw new UploadError(400, 'the multipart body has no "profile" part (Pyroscope\'s pprof ingest puts the pprof there)');
      pprofBytes = profile;
    }
    try {
      const profile = readPprof(inflateIfGzip(pprofBytes));
      const stacks = collapsedStacks(profile);
      unit = profile.meta.weightUnit;
      kind ||= 'cpu';
      return { ...meta, unit, kind, ...chunkBody(stacks) };
    } catch (err) {
      if (err instanceof ProfileFormatError) throw new UploadError(400, err.message);
      throw err;
    }
  }
  return { meta: { ...meta, unit, kind }, text: inflateIfGzip(body), format: format as 'folded' | 'lines' };
}

/** A chunk the store finds bad (ProfileFormatError) is the sender's one-line 400. */
async function badChunksAre400(ingest: () => Promise<IngestResult>): Promise<IngestResult> {
  try {
    return await ingest();
  } catch (err) {
    if (err instanceof ProfileFormatError) throw new UploadError(400, err.message);
    throw err;
  }
}

export function registerStreamRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy, series: SeriesStore): void {
  app.post('/api/v1/stream', async (request) => {
    await requireAccess(service, policy, request, 'write');
    const body = await bodyBytes(request, MAX_CHUNK_BYTES);
    // Inflated here by zlib, bounded: a small gzip body must not inflate to gigabytes.
    const json = inflateIfGzip(body);
    const result = await badChunksAre400(() => ingestEncoded(series, { json }));
    return { status: 'ok', stored: result.stored, samples: result.samples, stacks: result.stacks };
  });

  app.post('/ingest', async (request, reply) => {
    await requireAccess(service, policy, request, 'write');
    const push = await pyroscopePush(request);
    await badChunksAre400(() => ('frames' in push ? series.ingest(push) : ingestEncoded(series, push)));
    // Pyroscope answers an empty 200.
    return reply.code(200).send('');
  });
}
