/** Small HTTP helpers shared by the routes: auth checks, ids, request bodies, JSON errors. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { hashToken, tokenFromHeaders } from './auth.js';
import { UploadError } from './ingest.js';
import type { ProfileService, UploadBody } from './service.js';

export interface AccessPolicy {
  /** Uploads and deletes need a live token. */
  requireToken: boolean;
  /** Listing, viewing and downloading need one too. */
  privateView: boolean;
}

/** Profile, runtime and attachment ids: vmprof-server's `[0-9a-z-]`, at most 64 long. Anything else is refused. */
const ID_PATTERN = /^[0-9a-z-]{1,64}$/;

export function checkId(id: unknown, what = 'id'): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw new UploadError(400, `invalid ${what}: ids are lowercase letters, digits and '-'`);
  return id;
}

export async function tokenIsValid(service: ProfileService, token: string | undefined): Promise<boolean> {
  if (!token || token.length > 200) return false;
  return (await service.store.useToken(hashToken(token))) !== undefined;
}

export async function isAuthorized(service: ProfileService, request: FastifyRequest): Promise<boolean> {
  return tokenIsValid(service, tokenFromHeaders(request.headers));
}

/** Throws 401 unless the request may do this. */
export async function requireAccess(
  service: ProfileService,
  policy: AccessPolicy,
  request: FastifyRequest,
  action: 'write' | 'view',
): Promise<void> {
  const needed = action === 'write' ? policy.requireToken || policy.privateView : policy.privateView;
  if (!needed) return;
  if (await isAuthorized(service, request)) return;
  const token = tokenFromHeaders(request.headers);
  throw new UploadError(
    401,
    token
      ? 'the token is not valid (revoked or unknown)'
      : 'this server needs a token: send "Authorization: Token <token>" (create one with `pyrometer token create`)',
  );
}

/** The file name from `Content-Disposition: attachment; filename=...` (quoted, unquoted or RFC 5987). */
export function fileNameFromDisposition(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  // The RFC 5987 parameter up to its ';', then matched anchored (a free-floating regex was quadratic).
  const star = header.toLowerCase().indexOf('filename*');
  const end = star < 0 ? -1 : header.indexOf(';', star);
  const extended = star < 0 ? null : /^filename\*\s*=\s*([^'\s]*)'[^']*'(.+)$/is.exec(header.slice(star, end < 0 ? undefined : end));
  if (extended) {
    try {
      return decodeURIComponent(extended[2].trim());
    } catch {
      /* fall through to the plain form */
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted) return quoted[1].replace(/\\(.)/g, '$1');
  const plain = /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1].trim() : undefined;
}

/**
 * The upload in a request: the raw body (what vmprof-python sends since
 * 0.4.10), or the `file` part of a multipart/form-data body (what 0.4.0 to
 * 0.4.9 sent, `requests.post(files={'file': fd})`), streamed either way.
 */
export async function uploadBody(request: FastifyRequest, fileName?: string): Promise<UploadBody> {
  if (/^multipart\/form-data/i.test(String(request.headers['content-type'] ?? ''))) return multipartFile(request, fileName);
  const length = request.headers['content-length'];
  return {
    stream: request.body as Readable,
    fileName: fileName ?? fileNameFromDisposition(request.headers['content-disposition']),
    contentEncoding: typeof request.headers['content-encoding'] === 'string' ? request.headers['content-encoding'] : undefined,
    contentLength: typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined,
  };
}

/** Reads a small body (JSON or a form) into a string, bounded. */
export async function smallBody(request: FastifyRequest, maxBytes: number): Promise<string> {
  const stream = request.body as Readable | undefined;
  if (!stream) return '';
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.resume();
      throw new UploadError(413, `the request body is larger than ${maxBytes} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A small JSON object body; empty means {}. vmprof's Django test client also sends forms, so accept those. */
export async function smallJsonOrForm(request: FastifyRequest, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await smallBody(request, maxBytes);
  if (text.trim() === '') return {};
  const type = String(request.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UploadError(400, `the body is not valid JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UploadError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  // "detail" is what vmprof's client looks for in an error; "error" is ours.
  return reply.code(status).type('application/json; charset=utf-8').send({ status: 'error', error: message, detail: message });
}

/** The scheme://host a client used, for absolute links in listings. */
export function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** Resolves once the first file part starts, with that part as the upload stream. */
function multipartFile(request: FastifyRequest, fileName?: string): Promise<UploadBody> {
  const raw = request.body as Readable;
  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      parser = new Busboy({ headers: request.headers as never, limits: { files: 1, fields: 20, parts: 40, fieldSize: 64 * 1024 } });
    } catch (err) {
      reject(new UploadError(400, `bad multipart body (${(err as Error).message})`));
      return;
    }
    let found = false;
    const file = new PassThrough();
    // Whoever reads the upload attaches later (after the runtime checks) or has already finished
    // (a complete part followed by a broken boundary): an 'error' with no listener would kill the server.
    // The reader still sees the error, through the stream's errored state.
    file.on('error', () => {});
    const malformed = (err: Error) => new UploadError(400, `bad multipart body (${err.message})`);
    parser.on('file', (_field: string, stream: Readable, name: string) => {
      if (found) {
        stream.resume();
        return;
      }
      found = true;
      stream.on('error', (err) => file.destroy(malformed(err)));
      stream.pipe(file);
      resolve({ stream: file, fileName: fileName ?? name });
    });
    parser.on('error', (err: Error) => {
      raw.unpipe(parser);
      raw.resume(); // drain the rest so the 400 can be sent on this connection
      if (found) file.destroy(malformed(err));
      else reject(malformed(err));
    });
    parser.on('finish', () => {
      if (!found) reject(new UploadError(400, 'the multipart body has no file part'));
    });
    raw.on('error', (err) => parser.destroy(err));
    raw.pipe(parser);
  });
}
