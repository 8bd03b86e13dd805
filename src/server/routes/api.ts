/**
 * pyrometer's own API (/api/v1), used by `pyrometer upload`, `record --upload`
 * and the viewer:
 *
 *   POST   /api/v1/profiles?name=N                 raw profile of any readable format -> 201 profile
 *   POST   /api/v1/profiles/<id>/attachments/<kind> side file (jitlog, pypylog) -> 201 attachment
 *   POST   /api/v1/profiles/<id>/freeze            no more side files
 *   GET    /api/v1/profiles?q&interpreter&from&to&limit&offset   listing, newest first
 *   GET    /api/v1/profiles/<id>                   facts + side files
 *   GET    /api/v1/profiles/<id>/model             the parsed profile, model/serialize.ts form (the viewer's input)
 *   GET    /api/v1/profiles/<id>/raw               the upload, byte for byte
 *   GET    /api/v1/attachments/<id>/raw            a side file, byte for byte
 *   DELETE /api/v1/profiles/<id>
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { createGunzip, gunzip as gunzipCallback } from 'node:zlib';
import { promisify } from 'node:util';
import { ModelCache } from '../model-cache.js';

const gunzip = promisify(gunzipCallback);
import { SERIALIZED_MODEL_MEDIA_TYPE } from '../../model/serialize.js';
import { UploadError } from '../ingest.js';
import { checkId, origin, requireAccess, uploadBody, type AccessPolicy } from '../http.js';
import { ATTACHMENT_KINDS, type AttachmentKind, type ProfileService } from '../service.js';
import type { AttachmentRow, BlobEncoding, ProfileRow } from '../store/store.js';
import { parseFilters, parseLimitOffset } from './vmprof.js';

export function profileJson(row: ProfileRow, base: string): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    vm: row.vm,
    createdAt: new Date(row.createdAt).toISOString(),
    completed: row.completed,
    fileName: row.fileName,
    format: row.format,
    interpreter: row.interpreter,
    startTime: row.startTime === null ? null : new Date(row.startTime).toISOString(),
    stopTime: row.stopTime === null ? null : new Date(row.stopTime).toISOString(),
    arch: row.arch,
    os: row.os,
    samples: row.sampleCount,
    threads: row.threadCount,
    durationMs: row.durationMs,
    rawSize: row.rawSize,
    rawSha256: row.rawSha256,
    modelSize: row.modelSize,
    url: `${base}/profiles/${row.id}`,
    shareUrl: `${base}/#/${row.id}`,
    modelUrl: `${base}/api/v1/profiles/${row.id}/model`,
    rawUrl: `${base}/api/v1/profiles/${row.id}/raw`,
  };
}

export function attachmentJson(a: AttachmentRow, base: string): Record<string, unknown> {
  return {
    id: a.id,
    kind: a.kind,
    fileName: a.fileName,
    createdAt: new Date(a.createdAt).toISOString(),
    size: a.size,
    sha256: a.sha256,
    rawUrl: `${base}/api/v1/attachments/${a.id}/raw`,
  };
}

function acceptsGzip(request: FastifyRequest): boolean {
  const accept = String(request.headers['accept-encoding'] ?? '');
  // Parsed in code: the one-regex form backtracked quadratically on long runs of blanks.
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Sends a stored blob. A gzip-stored blob goes out as Content-Encoding: gzip
 * when the client takes it (no work here), else inflated on the way.
 */
export function sendBlob(
  service: ProfileService,
  request: FastifyRequest,
  reply: FastifyReply,
  blob: string,
  encoding: BlobEncoding,
  contentType: string,
): FastifyReply {
  const stream = Readable.from(service.store.readBlob(blob));
  reply.header('Content-Type', contentType).header('Vary', 'Accept-Encoding').header('X-Content-Type-Options', 'nosniff');
  if (encoding === 'identity') return reply.send(stream);
  if (acceptsGzip(request)) return reply.header('Content-Encoding', 'gzip').send(stream);
  return reply.send(stream.pipe(createGunzip()));
}

/** Content-Disposition for a download, safe for any stored name. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function registerApiRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy): void {
  const models = new ModelCache(service.store);
  const idParam = (request: FastifyRequest) => checkId((request.params as Record<string, string>).id);
  const loadRow = async (request: FastifyRequest) => {
    const row = await service.store.getProfile(idParam(request));
    if (!row || !row.hasProfile) throw new UploadError(404, 'no such profile');
    return row;
  };

  app.post('/api/v1/profiles', async (request, reply) => {
    await requireAccess(service, policy, request, 'write');
    const query = request.query as Record<string, string | undefined>;
    const body = await uploadBody(request, query.file);
    const id = await service.createRuntime(query.name ?? '', query.vm ?? '');
    try {
      const row = await service.ingestProfile(id, body, query.vm || undefined);
      return reply.code(201).send(profileJson(row, origin(request)));
    } catch (err) {
      await service.store.deleteProfile(id).catch(() => {});
      throw err;
    }
  });

  app.post('/api/v1/profiles/:id/attachments/:kind', async (request, reply) => {
    await requireAccess(service, policy, request, 'write');
    const id = idParam(request);
    const kind = (request.params as Record<string, string>).kind;
    if (!(ATTACHMENT_KINDS as readonly string[]).includes(kind))
      throw new UploadError(400, `unknown side-file kind "${kind}" (expected ${ATTACHMENT_KINDS.join(' or ')})`);
    const query = request.query as Record<string, string | undefined>;
    const attachment = await service.ingestAttachment(id, kind as AttachmentKind, await uploadBody(request, query.file));
    return reply.code(201).send(attachmentJson(attachment, origin(request)));
  });

  app.post('/api/v1/profiles/:id/freeze', async (request) => {
    await requireAccess(service, policy, request, 'write');
    (request.body as NodeJS.ReadableStream | undefined)?.resume();
    if (!(await service.store.freeze(idParam(request)))) throw new UploadError(404, 'no such profile');
    return { status: 'ok' };
  });

  app.get('/api/v1/profiles', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const query = request.query as Record<string, string | undefined>;
    const { limit, offset } = parseLimitOffset(query, 50);
    const result = await service.store.list({ ...parseFilters(query), limit, offset });
    const base = origin(request);
    return { count: result.count, limit, offset, profiles: result.rows.map((r) => profileJson(r, base)) };
  });

  app.get('/api/v1/profiles/:id', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const row = await loadRow(request);
    const base = origin(request);
    const attachments = await service.store.listAttachments(row.id);
    return { ...profileJson(row, base), attachments: attachments.map((a) => attachmentJson(a, base)) };
  });

  app.get('/api/v1/profiles/:id/model', async (request, reply) => {
    await requireAccess(service, policy, request, 'view');
    const row = await loadRow(request);
    // A stored model never changes: its blob id is a strong validator.
    const etag = `"${row.modelBlob}"`;
    reply.header('ETag', etag).header('Cache-Control', policy.privateView ? 'private, max-age=86400' : 'public, max-age=86400');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const stored = await models.get(row.modelBlob!);
    reply.header('Content-Type', SERIALIZED_MODEL_MEDIA_TYPE).header('Vary', 'Accept-Encoding').header('X-Content-Type-Options', 'nosniff');
    if (acceptsGzip(request)) return reply.header('Content-Encoding', 'gzip').send(stored);
    return reply.send(await gunzip(stored));
  });

  app.get('/api/v1/profiles/:id/raw', async (request, reply) => {
    await requireAccess(service, policy, request, 'view');
    const row = await loadRow(request);
    reply.header('Content-Disposition', attachmentDisposition(row.fileName || `${row.id}.prof`));
    if (row.rawEncoding === 'identity') {
      // Stored as uploaded (already gzip): hand it back as a file, not as a transfer encoding.
      return sendBlob(service, request, reply, row.rawBlob!, 'identity', 'application/octet-stream');
    }
    return sendBlob(service, request, reply, row.rawBlob!, 'gzip', 'application/octet-stream');
  });

  app.get('/api/v1/attachments/:id/raw', async (request, reply) => {
    await requireAccess(service, policy, request, 'view');
    const attachment = await service.store.getAttachment(idParam(request));
    if (!attachment) throw new UploadError(404, 'no such side file');
    reply.header('Content-Disposition', attachmentDisposition(attachment.fileName));
    return sendBlob(service, request, reply, attachment.blob, attachment.encoding, 'application/octet-stream');
  });

  app.delete('/api/v1/profiles/:id', async (request) => {
    await requireAccess(service, policy, request, 'write');
    const row = await service.store.getProfile(idParam(request));
    if (!row || !(await service.store.deleteProfile(row.id))) throw new UploadError(404, 'no such profile');
    models.forget(row.modelBlob);
    return { status: 'ok' };
  });
}
