/**
 * vmprof-server's API, as the real vmprof client uses it (formats.md §4,
 * vmprof-server's webapp/urls.py and vmprofile/views.py):
 *
 *   POST /api/runtime/new                    {"argv", "VM"} -> {"status": "ok", "runtime_id"}
 *   POST /api/runtime/upload/cpu/<rid>/add   raw .prof body -> {"status": "ok"}
 *   POST /api/runtime/upload/jit/<rid>/add   gzipped jitlog named *.zip -> {"status": "ok", "jid"}
 *   POST /api/jitlog/<rid>                   the same (legacy path)
 *   POST /api/runtime/<rid>/freeze/          -> {"status": "ok"}
 *   POST /api/log/                           legacy JSON upload -> "<runtime id>"
 *   GET  /api/profile/ and /api/log/         the listing (LimitOffsetPagination shape)
 *   GET  /api/profile/<rid>/ and /api/log/<rid>/   one runtime
 *
 * Trailing slashes are optional (the router ignores them), as in vmprof-server's regexes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UploadError } from '../ingest.js';
import { checkId, requireAccess, smallJsonOrForm, uploadBody, type AccessPolicy, origin } from '../http.js';
import { SMALL_JSON_MAX_BYTES, type ProfileService } from '../service.js';
import type { AttachmentRow, ProfileRow } from '../store/store.js';

const LIST_DEFAULT_LIMIT = 10; // vmprof-server's PAGE_SIZE
const LIST_MAX_LIMIT = 1000;

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** One row of vmprof-server's RuntimeDataListSerializer, plus pyrometer's own facts under their own names. */
export function vmprofRuntimeJson(row: ProfileRow, jitlog: AttachmentRow | undefined, base: string): Record<string, unknown> {
  return {
    user: null,
    created: new Date(row.createdAt).toISOString(),
    vm: row.vm,
    name: row.name,
    runtime_id: row.id,
    start_time: isoOrNull(row.startTime),
    stop_time: isoOrNull(row.stopTime),
    arch: row.arch,
    os: row.os,
    time_in_seconds: row.startTime !== null && row.stopTime !== null ? (row.stopTime - row.startTime) / 1000 : 0,
    jitlog_id: jitlog ? jitlog.id : '',
    completed: row.completed,
    file_name: row.fileName,
    format: row.format,
    interpreter: row.interpreter,
    samples: row.sampleCount,
    threads: row.threadCount,
    duration_ms: row.durationMs,
    url: `${base}/#/${row.id}`,
  };
}

export function parseLimitOffset(query: Record<string, string | undefined>, defaultLimit: number): { limit: number; offset: number } {
  const int = (v: string | undefined, fallback: number, name: string) => {
    if (v === undefined || v === '') return fallback;
    if (!/^\d{1,9}$/.test(v)) throw new UploadError(400, `${name} must be a non-negative integer`);
    return Number(v);
  };
  return { limit: Math.min(Math.max(int(query.limit, defaultLimit, 'limit'), 1), LIST_MAX_LIMIT), offset: int(query.offset, 0, 'offset') };
}

/** Search filters shared by the JSON listings and the page: q, interpreter, from, to (dates or ISO times). */
export function parseFilters(query: Record<string, string | undefined>): {
  text?: string;
  interpreter?: string;
  from?: number;
  to?: number;
} {
  const time = (v: string | undefined, name: string, endOfDay: boolean): number | undefined => {
    if (!v) return undefined;
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
    const ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(ms)) throw new UploadError(400, `${name} must be a date (YYYY-MM-DD) or an ISO time`);
    return dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms;
  };
  // SQLite's LIKE stops at a NUL (the search would silently narrow) and PostgreSQL text cannot hold one.
  for (const name of ['q', 'interpreter'] as const) {
    if (query[name]?.includes('\0')) throw new UploadError(400, `${name} must not contain NUL characters`);
  }
  const text = query.q?.trim().slice(0, 200) || undefined;
  const interpreter = query.interpreter?.trim().slice(0, 64) || undefined;
  return { text, interpreter, from: time(query.from, 'from', false), to: time(query.to, 'to', true) };
}

export function registerVmprofRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy): void {
  const rid = (request: FastifyRequest) => checkId((request.params as Record<string, string>).rid, 'runtime id');

  app.post('/api/runtime/new', async (request) => {
    await requireAccess(service, policy, request, 'write');
    const body = await smallJsonOrForm(request, SMALL_JSON_MAX_BYTES);
    const argv = Array.isArray(body.argv) ? body.argv.join(' ') : String(body.argv ?? '');
    const id = await service.createRuntime(argv, String(body.VM ?? ''));
    return { status: 'ok', runtime_id: id };
  });

  app.post('/api/runtime/upload/cpu/:rid/add', async (request) => {
    await requireAccess(service, policy, request, 'write');
    const id = rid(request);
    const runtime = await service.store.getProfile(id);
    await service.ingestProfile(id, await uploadBody(request), runtime?.vm || undefined);
    return { status: 'ok' };
  });

  const uploadJit = async (request: FastifyRequest) => {
    await requireAccess(service, policy, request, 'write');
    const id = rid(request);
    const body = await uploadBody(request);
    // vmprof-server insists on the client's gzip (`*.zip`) naming; we accept plain jitlogs too.
    const attachment = await service.ingestAttachment(id, 'jitlog', body);
    return { status: 'ok', jid: attachment.id };
  };
  app.post('/api/runtime/upload/jit/:rid/add', uploadJit);
  app.post('/api/jitlog/:rid', uploadJit);

  app.post('/api/runtime/:rid/freeze', async (request) => {
    await requireAccess(service, policy, request, 'write');
    const id = rid(request);
    (request.body as NodeJS.ReadableStream | undefined)?.resume();
    if (!(await service.store.freeze(id))) throw new UploadError(404, 'object was not found, check the request parameters');
    return { status: 'ok' };
  });

  app.post('/api/log', async (request, reply) => {
    await requireAccess(service, policy, request, 'write');
    const row = await service.ingestLegacy(await uploadBody(request));
    // vmprof-server answers with the bare id as a JSON string; old clients strip the quotes.
    return reply.type('application/json').send(JSON.stringify(row.id));
  });

  const list = async (request: FastifyRequest) => {
    await requireAccess(service, policy, request, 'view');
    const query = request.query as Record<string, string | undefined>;
    const { limit, offset } = parseLimitOffset(query, LIST_DEFAULT_LIMIT);
    const result = await service.store.list({ ...parseFilters(query), limit, offset });
    const base = origin(request);
    const path = request.url.split('?')[0];
    const page = (o: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'limit' && k !== 'offset') params.set(k, v);
      params.set('limit', String(limit));
      if (o > 0) params.set('offset', String(o));
      return `${base}${path}?${params}`;
    };
    const results = await Promise.all(
      result.rows.map(async (row) =>
        vmprofRuntimeJson(
          row,
          (await service.store.listAttachments(row.id)).find((a) => a.kind === 'jitlog'),
          base,
        ),
      ),
    );
    return {
      count: result.count,
      next: offset + limit < result.count ? page(offset + limit) : null,
      previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
      results,
    };
  };
  app.get('/api/profile', list);
  app.get('/api/log', list);

  const detail = async (request: FastifyRequest) => {
    await requireAccess(service, policy, request, 'view');
    const id = checkId((request.params as Record<string, string>).id);
    const row = await service.store.getProfile(id);
    if (!row) throw new UploadError(404, 'Not found.');
    const attachments = await service.store.listAttachments(id);
    const jitlog = attachments.find((a) => a.kind === 'jitlog');
    return { ...vmprofRuntimeJson(row, jitlog, origin(request)), jitlog_checksum: jitlog ? jitlog.sha256 : null };
  };
  app.get('/api/profile/:id', detail);
  app.get('/api/log/:id', detail);
}
