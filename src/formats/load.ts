/**
 * Node-side loading of a profile file: the one entry point the CLI and the
 * server use (the readers in formats/<fmt> are pure: bytes in, Profile out).
 *
 *   file ──► fs read stream (1 MiB chunks, progress) ──► gunzip if it starts 1f 8b
 *        ──► first 64 KiB peeked for sniffing ──► reader
 *
 * - Content decides the format (formats/registry.ts sniffFormat); the file
 *   name only breaks ties. `format` forces a reader.
 * - Formats with a streaming reader get the chunks as they arrive once the
 *   file is big (memory stays proportional to distinct stacks, not input size);
 *   everything else gets one Uint8Array (never one giant string).
 * - Serialized models (model/serialize.ts, the server's storage form) load too.
 * - UTF-16 text with a byte order mark is transcoded to UTF-8 first (text-encoding.ts).
 * - A corrupt gzip stream is a ProfileFormatError('gzip', …); a missing or
 *   unreadable file is the fs error itself (with `path`), which the CLI prints
 *   as one line.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Profile } from '../model/profile.js';
import { deserializeProfile, isSerializedProfile } from '../model/serialize.js';
import type { Format } from './registry.js';
import { vmprofSignature } from './vmprof/signature.js';
import { ProfileFormatError, UnknownFormatError } from './errors.js';
import { utf16Encoding, utf16ToUtf8 } from './text-encoding.js';
import { concatBytes } from './bytes.js';
import type { ReadOptions } from './registry.js';

export interface LoadOptions {
  /** Use this reader (a format name or extension) instead of sniffing. */
  format?: string;
  /** The name to sniff with when `path` does not carry it (e.g. an upload spool file). */
  fileName?: string;
  /** Called as the file is read: bytes of the file read so far (compressed bytes for .gz) and its size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Files larger than this go to a format's streaming reader when it has one (default 16 MiB). */
  streamThreshold?: number;
  /**
   * Most bytes (after gunzip) to accept, so a zip bomb fails with one clean error
   * instead of exhausting memory. Default: 1 GiB for input read into memory, no
   * limit for streaming readers (their memory follows distinct stacks, not size).
   */
  maxBytes?: number;
  /**
   * Name native frames from the libraries on this machine (a V8 log's shared libraries): right for
   * a file profiled here, the default; the server turns it off for files uploaded from elsewhere.
   */
  nativeSymbols?: boolean;
}

const SNIFF_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const DEFAULT_STREAM_THRESHOLD = 16 * 1024 * 1024;
/** Bigger than any text a reader could decode into a JS string anyway. */
const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

function tooBig(maxBytes: number, compressed: boolean): ProfileFormatError {
  return new ProfileFormatError(
    compressed ? 'gzip' : 'input',
    `${compressed ? 'decompressed data' : 'the file'} exceeds the limit of ${maxBytes} bytes (maxBytes)`,
    maxBytes,
  );
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Raw file chunks with progress reporting; `counter.read` follows the bytes read so far. */
async function* fileChunks(
  path: string,
  size: number,
  counter: { read: number },
  onProgress?: LoadOptions['onProgress'],
): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    const bytes = chunk as Buffer;
    counter.read += bytes.length;
    onProgress?.(counter.read, size);
    yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/**
 * Decompressed chunks of gzip data; zlib failures become one ProfileFormatError.
 * Takes the raw chunks already started, not the path again: the input may be a
 * pipe (/dev/stdin), which cannot be read twice.
 */
async function* gunzipChunks(raw: AsyncIterable<Uint8Array>, counter: { read: number }, maxBytes = Infinity): AsyncGenerator<Uint8Array> {
  const source = Readable.from(raw, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let produced = 0;
  try {
    for await (const chunk of gunzip) {
      const bytes = chunk as Buffer;
      produced += bytes.length;
      if (produced > maxBytes) throw tooBig(maxBytes, true);
      yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
      const what = e.code === 'Z_BUF_ERROR' ? 'the compressed stream ends too early (truncated file?)' : `corrupt gzip data (${e.message})`;
      throw new ProfileFormatError('gzip', `${what} after ${produced} decompressed bytes`, counter.read);
    }
    throw err;
  } finally {
    source.destroy();
  }
}

/** Reads up to `SNIFF_BYTES` from a chunk iterator, keeping what it read so the reader still sees everything. */
async function peek(iterator: AsyncIterator<Uint8Array>): Promise<{ head: Uint8Array; peeked: Uint8Array[]; done: boolean }> {
  const peeked: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    // fs and zlib hand out a fresh region per chunk, so keeping references is safe.
    peeked.push(next.value);
    length += next.value.length;
  }
  const head = concatBytes(peeked).subarray(0, Math.min(length, SNIFF_BYTES));
  return { head, peeked, done };
}

async function* replay(peeked: Uint8Array[], rest: AsyncIterator<Uint8Array>, done: boolean): AsyncGenerator<Uint8Array> {
  for (const c of peeked) yield c;
  if (done) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>, maxBytes = DEFAULT_MAX_BYTES, compressed = false): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of chunks) {
    parts.push(c);
    total += c.length;
    if (total > maxBytes) throw tooBig(maxBytes, compressed);
  }
  return concatBytes(parts);
}

/**
 * True when VMProf is what sniffing every format would pick for these bytes: it is the first
 * format in the sniffing order (all.ts), so it wins whenever it matches, unless a file name with
 * another format's extension breaks the tie (registry.ts sniffFormat).
 */
function surelyVmprof(head: Uint8Array, fileName: string): boolean {
  const lower = fileName.toLowerCase().replace(/\.gz$/, '');
  return vmprofSignature.sniff(head) && (fileName === '' || vmprofSignature.extensions.some((e) => lower.endsWith(`.${e}`)));
}

/**
 * The reader for some bytes. VMProf, the format `record` writes, is picked from its signature
 * alone; anything else sniffs through the catalog of signatures and loads only the reader that
 * matches (not protobufjs, fflate and twenty modules: most of `info`'s start-up).
 */
async function pickFormat(head: Uint8Array, fileName: string, forced: string | undefined, source: string): Promise<Format> {
  if (!forced && surelyVmprof(head, fileName)) return (await import('./vmprof/index.js')).vmprofFormat;
  const { readerByName, sniffReader } = await import('./catalog.js');
  if (forced) {
    const entry = readerByName(forced);
    if (!entry) throw new UnknownFormatError(`${source} (no reader called "${forced}")`);
    return entry.load();
  }
  const entry = sniffReader(head, fileName);
  if (!entry) throw new UnknownFormatError(source);
  return entry.load();
}

/** Loads a profile file of any format pyrometer reads (gzip-compressed or not). */
export async function loadProfile(path: string, options: LoadOptions = {}): Promise<Profile> {
  const info = await stat(path);
  if (info.isDirectory()) {
    throw Object.assign(new Error(`${path}: is a directory`), { code: 'EISDIR', path });
  }
  const fileName = basename(options.fileName ?? path);
  const readOptions: ReadOptions = { fileName };
  const withSymbols = options.nativeSymbols !== false;
  // Read once: look at the magic, then feed the same bytes through gunzip when needed.
  const counter = { read: 0 };
  const raw = fileChunks(path, info.size, counter, options.onProgress);
  const rawPeek = await peek(raw);
  let chunks: AsyncIterator<Uint8Array>;
  let sniff: { head: Uint8Array; peeked: Uint8Array[]; done: boolean };
  if (isGzip(rawPeek.head)) {
    chunks = gunzipChunks(replay(rawPeek.peeked, raw, rawPeek.done), counter, options.maxBytes);
    sniff = await peek(chunks);
  } else {
    chunks = raw;
    sniff = rawPeek;
  }
  const all = replay(sniff.peeked, chunks, sniff.done);
  const gzipped = chunks !== raw;
  const inMemoryLimit = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (isSerializedProfile(sniff.head)) return deserializeProfile(await collect(all, inMemoryLimit, gzipped));
  if (utf16Encoding(sniff.head))
    return readBytes(utf16ToUtf8(await collect(all, inMemoryLimit, gzipped)), readOptions, options.format, path, withSymbols);
  const format = await pickFormat(sniff.head, fileName, options.format, path);
  if (withSymbols) await addNativeSymbols(format, readOptions);
  const threshold = options.streamThreshold ?? DEFAULT_STREAM_THRESHOLD;
  if (format.readStream && (!format.read || info.size > threshold)) {
    return format.readStream(all, readOptions);
  }
  return format.read!(await collect(all, inMemoryLimit, gzipped), readOptions);
}

/** Parses bytes already in memory (gzip undone here too): for uploads and tests. */
export async function loadProfileBytes(bytes: Uint8Array, fileName = '', format?: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Profile> {
  let data = bytes;
  if (isGzip(data)) {
    const { gunzipSync } = await import('node:zlib');
    try {
      data = new Uint8Array(gunzipSync(data, { maxOutputLength: maxBytes }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(maxBytes, true);
      throw new ProfileFormatError('gzip', `corrupt gzip data (${(err as Error).message})`, -1);
    }
  }
  if (isSerializedProfile(data)) return deserializeProfile(data);
  return readBytes(utf16ToUtf8(data), { fileName: basename(fileName) }, format, fileName || 'the input', false);
}

/** Reads decompressed UTF-8 (or binary) bytes held in memory with the reader that fits. */
/** The libraries on this machine as the reader's symbol source; loaded (ELF reader, demangler) only for readers that use it. */
async function addNativeSymbols(format: Format, options: ReadOptions): Promise<void> {
  if (format.readsNativeSymbols) options.nativeSymbols = (await import('./machine-symbols.js')).machineSymbols;
}

async function readBytes(
  data: Uint8Array,
  options: ReadOptions,
  format: string | undefined,
  source: string,
  withSymbols: boolean,
): Promise<Profile> {
  const f = await pickFormat(data.subarray(0, SNIFF_BYTES), options.fileName ?? '', format, source);
  if (withSymbols) await addNativeSymbols(f, options);
  if (f.read) return f.read(data, options);
  async function* single(): AsyncGenerator<Uint8Array> {
    yield data;
  }
  return f.readStream!(single(), options);
}
