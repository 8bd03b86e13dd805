/**
 * Upload ingest: request body -> spool file -> parsed once -> stored.
 *
 * 1. spoolUpload streams the body (undoing any HTTP Content-Encoding) to a
 *    fresh file in the spool directory, counting bytes after decoding and
 *    failing with 413 the moment the limit is passed: nothing is ever held
 *    whole in memory and a small gzip body cannot grow into a huge file.
 * 2. prepareProfile: if the upload itself is gzip (a `.prof.gz`), it is
 *    inflated beside it under the same limit; the reader gets the plain file.
 *    The raw upload is kept compressed: gzip uploads as they came, anything
 *    else gzipped here, so a download gives back the exact bytes.
 * 3. The reader (formats/load.ts, in a worker thread: parse-pool.ts) parses
 *    it; a parse failure is a 400 naming the problem. The Profile is
 *    serialized (model/serialize.ts), gzipped and written to the spool.
 * 4. The store inserts raw + model + facts in one transaction.
 * The spool directory of an upload is removed whatever happens; a killed
 * server leaves only spool files, which the next start deletes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createGzip, createInflate, gzip as gzipCallback } from 'node:zlib';
import { promisify } from 'node:util';
import type { Profile } from '../model/profile.js';
import { profileDuration, totalSamples } from '../model/profile.js';
import { serializeProfile } from '../model/serialize.js';
import { ProfileFormatError, UnknownFormatError } from '../formats/errors.js';
import type { BlobEncoding, BlobSource, ParsedProfileFacts } from './store/store.js';

const gzip = promisify(gzipCallback);

/** An upload problem the client caused: sent back as `statusCode` with a JSON body naming it. */
export class UploadError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface SpooledFile {
  dir: string;
  path: string;
  size: number;
  sha256: string;
  isGzip: boolean;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30 && n % (1 << 30) === 0) return `${n / (1 << 30)} GiB`;
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

/** Counts (and hashes) bytes going through, failing once more than `limit` have passed. */
class LimitedCounter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new UploadError(413, `${this.what} is larger than the limit of ${formatBytes(this.limit)}`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

function decoderFor(contentEncoding: string | undefined): Transform | null {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return null;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  throw new UploadError(415, `unsupported Content-Encoding "${contentEncoding}" (use gzip, deflate, br or none)`);
}

/** Turns stream failures into UploadErrors: zlib errors mean a corrupt compressed body. */
function asUploadError(err: unknown, what: string): unknown {
  if (err instanceof UploadError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code.startsWith('Z_'))
    return new UploadError(400, `${what} is not valid compressed data (${e.message})`);
  if (e && (e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.message === 'aborted')) {
    return new UploadError(400, 'the upload was interrupted before the body ended');
  }
  return err;
}

export async function newSpoolDir(spoolRoot: string): Promise<string> {
  const dir = join(spoolRoot, randomUUID());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export async function removeSpoolDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Streams a request body into `<dir>/in/<fileName>`, bounded by `maxBytes` after
 * decoding. The client's (sanitized) name is kept so readers can use it as a hint.
 */
export async function spoolUpload(
  body: Readable,
  dir: string,
  options: { maxBytes: number; fileName: string; contentEncoding?: string; contentLength?: number },
): Promise<SpooledFile> {
  if (options.contentLength !== undefined && options.contentLength > options.maxBytes) {
    body.resume(); // let the socket drain so the 413 reaches the client
    throw new UploadError(413, `the upload is larger than the limit of ${formatBytes(options.maxBytes)}`);
  }
  await mkdir(join(dir, 'in'));
  const path = join(dir, 'in', options.fileName);
  const decoder = decoderFor(options.contentEncoding);
  const counter = new LimitedCounter(options.maxBytes, decoder ? 'the decompressed upload' : 'the upload');
  const sink = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  // Whatever the decoder fails on is the body's fault (zlib and brotli name their errors differently).
  let decodeFailure: unknown;
  decoder?.once('error', (err) => {
    decodeFailure = err;
  });
  try {
    if (decoder) await pipeline(body, decoder, counter, sink);
    else await pipeline(body, counter, sink);
  } catch (err) {
    body.resume();
    if (err === decodeFailure && !(err instanceof UploadError)) {
      throw new UploadError(400, `the request body is not valid ${options.contentEncoding} data (${(err as Error).message})`);
    }
    throw asUploadError(err, 'the request body');
  }
  const head = Buffer.alloc(2);
  const file = await open(path, 'r');
  try {
    await file.read(head, 0, 2, 0);
  } finally {
    await file.close();
  }
  return { dir, path, size: counter.bytes, sha256: counter.digest(), isGzip: counter.bytes >= 2 && head[0] === 0x1f && head[1] === 0x8b };
}

/** A file name from a client, reduced to a safe base name (no directories, no control characters). */
export function safeFileName(name: string | undefined, fallback: string): string {
  // Clients send full paths (vmprof sends /tmp/tmpXXXX); keep only the last part, of either separator.
  const last = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = truncateUtf8(last.replace(/[\u0000-\u001f\u007f]/g, '').trim(), FILE_NAME_MAX_BYTES).trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned;
}

/** File systems limit a name to 255 bytes, not characters; leave room for the `.gz` the spool may add. */
const FILE_NAME_MAX_BYTES = 200;

/** The longest prefix of `text` that is at most `maxBytes` in UTF-8, cut between code points. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * The stored form of a spooled upload: gzip uploads are kept as they came,
 * anything else is gzipped into `<dir>/raw.gz`.
 */
export async function compressedRaw(spooled: SpooledFile): Promise<{ source: BlobSource; encoding: BlobEncoding }> {
  if (spooled.isGzip) return { source: { path: spooled.path, size: spooled.size }, encoding: 'identity' };
  const path = join(spooled.dir, 'raw.gz');
  await pipeline(createReadStream(spooled.path), createGzip({ level: 3 }), createWriteStream(path, { flags: 'wx' }));
  return { source: { path, size: (await stat(path)).size }, encoding: 'gzip' };
}

/** Inflates a gzip upload beside it under the same size limit; returns the file to parse. */
export async function plainForParsing(spooled: SpooledFile, fileName: string, maxBytes: number): Promise<string> {
  if (!spooled.isGzip) return spooled.path;
  const plainName = fileName.replace(/\.gz$/i, '') || 'profile';
  await mkdir(join(spooled.dir, 'plain'));
  const path = join(spooled.dir, 'plain', plainName);
  try {
    await pipeline(
      createReadStream(spooled.path),
      createGunzip(),
      new LimitedCounter(maxBytes, 'the decompressed profile'),
      createWriteStream(path, { flags: 'wx' }),
    );
  } catch (err) {
    throw asUploadError(err, fileName);
  }
  return path;
}

/** What goes into the listing, from a parsed profile. */
export function profileFacts(
  profile: Profile,
): Pick<
  ParsedProfileFacts,
  'format' | 'interpreter' | 'startTime' | 'stopTime' | 'arch' | 'os' | 'sampleCount' | 'threadCount' | 'durationMs'
> {
  const meta = profile.meta;
  const extra = meta.extra ?? {};
  const bits = extra.bits ? `${extra.bits}-bit` : '';
  return {
    format: meta.format,
    interpreter: meta.interpreter,
    startTime: meta.startTime > 0 ? Math.round(meta.startTime) : null,
    stopTime: meta.endTime > 0 ? Math.round(meta.endTime) : null,
    arch: String(extra.arch ?? extra.machine ?? bits).slice(0, 64),
    os: String(extra.os ?? '').slice(0, 64),
    sampleCount: totalSamples(profile),
    threadCount: profile.threads.length,
    durationMs: profileDuration(profile),
  };
}

/** Serializes and gzips the model into `<dir>/model.gz`. */
export async function writeModel(profile: Profile, dir: string): Promise<{ source: BlobSource; modelSize: number }> {
  const bytes = serializeProfile(profile);
  const compressed = await gzip(bytes, { level: 4 });
  const path = join(dir, 'model.gz');
  await writeFile(path, compressed, { flag: 'wx' });
  return { source: { path, size: compressed.length }, modelSize: bytes.length };
}

/** Parse failures are the client's problem (400); anything else is ours. */
export function asParseError(err: unknown, fileName: string): unknown {
  if (err instanceof ProfileFormatError) return new UploadError(400, `${fileName}: ${err.message}`);
  if (err instanceof UnknownFormatError) return new UploadError(400, `${fileName}: not a profile format pyrometer can read`);
  if (err instanceof RangeError) {
    // A reader that tripped over malformed bytes without naming them: still the input's fault.
    return new UploadError(400, `${fileName}: could not be read as a profile (${err.message})`);
  }
  return err;
}
