/**
 * Browser pages: the profile list at `/` (which also resolves vmprof's
 * `/#/<runtime id>` links), `/profiles/<id>` (the viewer, or a summary when
 * the viewer is not built), `/jitlogs/<jid>` (vmprof's `#/<jid>/traces` links),
 * the login form for private servers, and the viewer's static files under
 * `/viewer/`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { deserializeProfile } from '../../model/serialize.js';
import type { Profile } from '../../model/profile.js';
import { TOKEN_COOKIE } from '../auth.js';
import { checkId, isAuthorized, smallBody, tokenIsValid, type AccessPolicy } from '../http.js';
import { UploadError } from '../ingest.js';
import { listPage, loginPage, notFoundPage, PAGE_CSP, PAGES_SCRIPT, profileFallbackPage, type ProfileSummary } from '../pages.js';
import type { ProfileService } from '../service.js';
import { mediaTypeOf, webDistDir } from '../../assets/viewer.js';
import { readBlobBytes } from '../store/store.js';
import { parseFilters } from './vmprof.js';
import { gunzipSync } from 'node:zlib';

const PAGE_SIZE = 50;

/**
 * Resolves a request path inside `root`, or null: no `..`, no NUL, no
 * backslashes, no absolute paths, nothing that lands outside the root.
 */
export function safeJoin(root: string, requestPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  const full = resolve(root, ...parts);
  const base = resolve(root);
  return full === base || full.startsWith(base + sep) ? full : null;
}

async function summarize(profile: Profile): Promise<ProfileSummary> {
  const { stackWeights, functionTable } = await import('../../model/analysis.js');
  const weights = stackWeights(profile);
  const table = functionTable(profile, weights);
  let totalWeight = 0;
  for (const t of profile.threads) for (let i = 0; i < t.samples.length; i++) totalWeight += t.samples.weight[i];
  const order = Array.from({ length: profile.funcs.length }, (_, i) => i)
    .sort((a, b) => table.self[b] - table.self[a])
    .slice(0, 30);
  return {
    topFunctions: order
      .filter((f) => table.self[f] > 0 || table.total[f] > 0)
      .map((f) => ({
        name: profile.strings[profile.funcs.name[f]],
        file: profile.funcs.file[f] < 0 ? '' : profile.strings[profile.funcs.file[f]],
        line: profile.funcs.line[f],
        self: table.self[f],
        total: table.total[f],
      })),
    totalWeight,
    weightUnit: profile.meta.weightUnit,
    warnings: profile.meta.warnings,
  };
}

/** A server page: HTML with the pages' Content-Security-Policy and no MIME sniffing. */
export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('Content-Security-Policy', PAGE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .send(body);
}

export function registerPageRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy, viewerDir: string | null): void {
  /** On a private server, pages ask for a token instead of answering. */
  const mayView = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!policy.privateView || (await isAuthorized(service, request))) return true;
    sendPage(reply, 401, loginPage());
    return false;
  };

  app.get('/assets/pyrometer-server.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'no-cache').send(PAGES_SCRIPT),
  );

  app.get('/', async (request, reply) => {
    if (!(await mayView(request, reply))) return reply;
    const query = request.query as Record<string, string | undefined>;
    let filters;
    try {
      filters = parseFilters(query);
    } catch (err) {
      if (err instanceof UploadError) return sendPage(reply, 400, notFoundPage(err.message));
      throw err;
    }
    const page = /^\d{1,6}$/.test(query.page ?? '') ? Math.max(1, Number(query.page)) : 1;
    const result = await service.store.list({ ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const shown = { q: query.q, interpreter: query.interpreter, from: query.from, to: query.to };
    return sendPage(
      reply,
      200,
      listPage({ rows: result.rows, count: result.count, page, pageSize: PAGE_SIZE, filters: shown, interpreters: ['cpython', 'pypy'] }),
    );
  });

  app.get('/profiles/:id', async (request, reply) => {
    if (!(await mayView(request, reply))) return reply;
    let id: string;
    try {
      id = checkId((request.params as Record<string, string>).id);
    } catch (err) {
      return sendPage(reply, 400, notFoundPage((err as Error).message));
    }
    const row = await service.store.getProfile(id);
    if (!row || !row.hasProfile) return sendPage(reply, 404, notFoundPage(`There is no profile ${id}.`));
    const attachments = await service.store.listAttachments(id);
    if (viewerDir) {
      // The seam with the viewer (web/src/loader.ts): it loads `?profile=<url>`, here our serialized model,
      // and `&jitlog=<url>`, the uploaded PyPy jitlog (its JIT traces tab), parsed in the browser.
      const params = new URLSearchParams({ profile: `/api/v1/profiles/${id}/model` });
      const jitlog = attachments.find((a) => a.kind === 'jitlog');
      if (jitlog) params.set('jitlog', `/api/v1/attachments/${jitlog.id}/raw`);
      return reply.redirect(`/viewer/?${params}`, 302);
    }
    let summary: ProfileSummary | null = null;
    try {
      summary = await summarize(deserializeProfile(gunzipSync(await readBlobBytes(service.store, row.modelBlob!))));
    } catch (err) {
      request.log.warn({ err }, 'profile summary failed');
    }
    return sendPage(reply, 200, profileFallbackPage(row, attachments, summary));
  });

  app.get('/jitlogs/:id', async (request, reply) => {
    if (!(await mayView(request, reply))) return reply;
    const attachment = await service.store.getAttachment(checkId((request.params as Record<string, string>).id));
    if (!attachment || attachment.kind !== 'jitlog') return sendPage(reply, 404, notFoundPage('There is no such jitlog.'));
    // vmprof's `#/<jid>/traces` link: the profile in the viewer's JIT traces tab (the fragment survives the
    // viewer redirect of /profiles/<id>; the page without the viewer ignores it).
    return reply.redirect(`/profiles/${attachment.profileId}#v=traces`, 302);
  });

  app.get('/login', async (_request, reply) => sendPage(reply, 200, loginPage()));

  app.post('/login', async (request, reply) => {
    const form = new URLSearchParams(await smallBody(request, 4096));
    const token = (form.get('token') ?? '').trim();
    if (!(await tokenIsValid(service, token))) return sendPage(reply, 401, loginPage('That token is not valid.'));
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000${secure}`);
    return reply.redirect('/', 303);
  });

  const viewerFile = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!viewerDir) return sendPage(reply, 404, notFoundPage('The viewer is not built on this server.'));
    const rest = (request.params as Record<string, string>)['*'] || 'index.html';
    if (rest === 'index.html') {
      // The router treats /viewer and /viewer/ alike; a <base> keeps the page's relative asset URLs right for both.
      const page = (await readFile(join(viewerDir, 'index.html'), 'utf8')).replace(/<head>/i, '<head><base href="/viewer/">');
      return reply
        .type('text/html; charset=utf-8')
        .header('Cache-Control', 'no-cache')
        .header('X-Content-Type-Options', 'nosniff')
        .send(page);
    }
    const path = safeJoin(viewerDir, rest);
    if (!path) return sendPage(reply, 400, notFoundPage('That path is not allowed.'));
    let info;
    try {
      info = await stat(path);
    } catch {
      return sendPage(reply, 404, notFoundPage('No such file.'));
    }
    if (!info.isFile()) return sendPage(reply, 404, notFoundPage('No such file.'));
    return reply
      .type(mediaTypeOf(path))
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-cache')
      .send(await readFile(path));
  };
  app.get('/viewer', viewerFile);
  app.get('/viewer/*', viewerFile);
}

/** The built viewer beside the package, when it is built. */
export function defaultViewerDir(): string | null {
  const dir = webDistDir();
  return existsSync(join(dir, 'index.html')) ? dir : null;
}
