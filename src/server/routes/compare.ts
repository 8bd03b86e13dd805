/**
 * Comparing two stored profiles (the same analysis as `pyrometer diff` and the
 * viewer's Compare view, src/model/compare.ts):
 *
 *   GET /api/v1/compare?before=<id>&after=<id>&normalize=share|time&top=N&tf=T   JSON
 *       tf: transforms in the viewer's link syntax (focus:F~drop:F..., model/view-transforms.ts),
 *       functions by name or by number in "after", applied to "before" through the function matching
 *   GET /compare?id=<a>&id=<b>    (the list page's "Compare selected" form; the older one is "before")
 *   GET /compare/<before>/<after>?tf=T  the viewer's Compare view on both (through the transforms), or a
 *                                       table when the viewer is not built
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gunzip as gunzipCallback } from 'node:zlib';
import { promisify } from 'node:util';
import { compareFunctions, CompareError, type Comparison, type Normalization } from '../../model/compare.js';
import { decodeTransforms, describeTransforms, encodeTransforms, toModelTransforms } from '../../model/view-transforms.js';
import { deserializeProfile } from '../../model/serialize.js';
import type { Profile } from '../../model/profile.js';
import { checkId, isAuthorized, requireAccess, type AccessPolicy } from '../http.js';
import { UploadError } from '../ingest.js';
import { layout, loginPage, notFoundPage, text } from '../pages.js';
import { sendPage } from './pages.js';
import type { ProfileService } from '../service.js';
import type { ProfileRow } from '../store/store.js';
import { readBlobBytes } from '../store/store.js';

const gunzip = promisify(gunzipCallback);

async function storedProfile(service: ProfileService, id: string): Promise<{ row: ProfileRow; profile: Profile }> {
  const row = await service.store.getProfile(checkId(id));
  if (!row || !row.hasProfile || !row.modelBlob) throw new UploadError(404, `there is no profile ${id}`);
  return { row, profile: deserializeProfile(new Uint8Array(await gunzip(await readBlobBytes(service.store, row.modelBlob)))) };
}

function normalization(value: string | undefined): Normalization {
  if (value === undefined || value === '' || value === 'share') return 'share';
  if (value === 'time') return 'time';
  throw new UploadError(400, `normalize takes "share" or "time", not "${value.slice(0, 40)}"`);
}

async function compareStored(
  service: ProfileService,
  before: string,
  after: string,
  norm: Normalization,
  tf = '',
): Promise<{ rows: [ProfileRow, ProfileRow]; cmp: Comparison; transforms: { code: string; label: string }[] }> {
  const [a, b] = [await storedProfile(service, before), await storedProfile(service, after)];
  const { transforms, errors } = decodeTransforms(tf, b.profile);
  if (errors.length > 0) throw new UploadError(400, `tf: ${errors[0].message.slice(0, 300)} in profile ${after}`);
  try {
    const cmp = compareFunctions(a.profile, b.profile, { normalization: norm, transforms: toModelTransforms(transforms) });
    return { rows: [a.row, b.row], cmp, transforms: describeTransforms(b.profile, transforms) };
  } catch (err) {
    if (err instanceof CompareError) throw new UploadError(400, err.message);
    throw err;
  }
}

function fmt(v: number, unit: string, signed = false): string {
  const sign = signed && v > 0 ? '+' : signed && v < 0 ? '−' : '';
  return `${sign}${Math.abs(v).toFixed(unit === '%' ? 2 : 1)}${unit === '%' ? '%' : ' ms'}`;
}

function comparePage(rows: [ProfileRow, ProfileRow], cmp: Comparison, transforms: { label: string }[]): string {
  const label = (r: ProfileRow) => `<a href="/profiles/${text(r.id)}">${text(r.name || r.fileName || r.id)}</a>`;
  const top = cmp.functions
    .slice(0, 100)
    .map(
      (f) =>
        `<tr><td class="num">${fmt(f.beforeSelf, cmp.unit)}</td><td class="num">${fmt(f.afterSelf, cmp.unit)}</td><td class="num">${fmt(f.delta, cmp.unit, true)}</td><td class="num">${f.ratio === Infinity ? 'new' : f.beforeSelf === 0 && f.afterSelf === 0 ? '–' : `${f.ratio.toFixed(2)}×`}</td><td class="name">${text(f.name)} <span class="muted">${text(f.file)}</span></td></tr>`,
    )
    .join('\n');
  return layout(
    'compare',
    `<h1>Compare</h1><p>before ${label(rows[0])} · after ${label(rows[1])}</p>
<p class="muted">Self time ${cmp.normalization === 'share' ? "as a share of each profile's own total" : 'in milliseconds'}; functions matched by name and file name.${transforms.length > 0 ? ` Both profiles transformed: ${text(transforms.map((t) => t.label).join(' · '))}.` : ''} The interactive viewer is not built on this server (web/dist).</p>
<table><thead><tr><th class="num">before</th><th class="num">after</th><th class="num">delta</th><th class="num">ratio</th><th>function</th></tr></thead><tbody>
${top}
</tbody></table>`,
  );
}

/** The `tf` query parameter; repeated, its values are the transforms in turn. */
function transformsQuery(request: FastifyRequest): string {
  const tf = (request.query as Record<string, string | string[] | undefined>).tf;
  return Array.isArray(tf) ? tf.join('~') : (tf ?? '');
}

export function registerCompareRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy, viewerDir: string | null): void {
  app.get('/api/v1/compare', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const q = request.query as Record<string, string | undefined>;
    if (!q.before || !q.after) throw new UploadError(400, 'give two profiles: ?before=<id>&after=<id>');
    const top = q.top === undefined ? Infinity : Number(q.top);
    if (!(top > 0)) throw new UploadError(400, 'top takes a whole number above 0');
    const { rows, cmp, transforms } = await compareStored(service, q.before, q.after, normalization(q.normalize), transformsQuery(request));
    const functions = cmp.functions.slice(0, top).map((f) => ({ ...f, ratio: Number.isFinite(f.ratio) ? f.ratio : null }));
    return {
      before: { id: rows[0].id, ...cmp.before },
      after: { id: rows[1].id, ...cmp.after },
      normalization: cmp.normalization,
      unit: cmp.unit,
      transforms,
      functions,
    };
  });

  const page = async (request: FastifyRequest, reply: FastifyReply, before: string, after: string, tf: string) => {
    if (policy.privateView && !(await isAuthorized(service, request))) return sendPage(reply, 401, loginPage());
    let viewerTf = '';
    let rows: [ProfileRow, ProfileRow];
    try {
      for (const id of [before, after]) checkId(id);
      const found = [await service.store.getProfile(before), await service.store.getProfile(after)];
      const missing = [before, after].find((id, i) => !found[i]?.hasProfile);
      if (missing) return sendPage(reply, 404, notFoundPage(`There is no profile ${missing}.`));
      rows = found as [ProfileRow, ProfileRow];
      if (viewerDir && tf) {
        // The viewer's links hold function numbers: names are resolved in "after" here.
        const { transforms, errors } = decodeTransforms(tf, (await storedProfile(service, after)).profile);
        if (errors.length > 0) throw new UploadError(400, `tf: ${errors[0].message.slice(0, 300)} in profile ${after}`);
        viewerTf = encodeTransforms(transforms);
      }
    } catch (err) {
      if (err instanceof UploadError) return sendPage(reply, err.statusCode, notFoundPage(err.message));
      throw err;
    }
    if (viewerDir) {
      // The viewer's ?profile= seam, twice: profile 0 is "before", profile 1 "after" and shown.
      const params = new URLSearchParams();
      for (const r of rows) {
        params.append('profile', `/api/v1/profiles/${r.id}/model`);
        params.append('name', r.name || r.fileName || r.id);
      }
      const hash = new URLSearchParams({ v: 'compare', p: '1', cmp: '0', ...(viewerTf ? { tf: viewerTf } : {}) });
      return reply.redirect(`/viewer/?${params}#${hash}`, 302);
    }
    try {
      const { cmp, transforms } = await compareStored(service, before, after, 'share', tf);
      return sendPage(reply, 200, comparePage(rows, cmp, transforms));
    } catch (err) {
      if (err instanceof UploadError) return sendPage(reply, err.statusCode, notFoundPage(err.message));
      throw err;
    }
  };

  app.get('/compare/:before/:after', async (request, reply) => {
    const p = request.params as Record<string, string>;
    return page(request, reply, p.before, p.after, transformsQuery(request));
  });

  app.get('/compare', async (request, reply) => {
    const raw = (request.query as Record<string, string | string[] | undefined>).id;
    const ids = Array.isArray(raw) ? raw : raw ? [raw] : [];
    if (ids.length !== 2) return sendPage(reply, 400, notFoundPage(`Pick exactly two profiles to compare (${ids.length} picked).`));
    let rows;
    try {
      rows = [await service.store.getProfile(checkId(ids[0])), await service.store.getProfile(checkId(ids[1]))];
    } catch (err) {
      if (err instanceof UploadError) return sendPage(reply, err.statusCode, notFoundPage(err.message));
      throw err;
    }
    // The older upload is "before".
    const [a, b] = rows[0] && rows[1] && rows[0].createdAt > rows[1].createdAt ? [ids[1], ids[0]] : [ids[0], ids[1]];
    return reply.redirect(`/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`, 302);
  });
}
