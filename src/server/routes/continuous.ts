/**
 * Continuous profiling, query side: the page /continuous (continuous-page.ts) and its JSON API:
 *
 *   GET /api/v1/continuous/services                        services, their label keys and values, last seen
 *   GET /api/v1/continuous/timeline?service&from&to&label=k=v…   weight per bucket
 *   GET /api/v1/continuous/profile?service&from&to&label…  the merged selection as a serialized model
 *                                                          (the viewer's input: /viewer/?profile=<this URL>),
 *                                                          with the markers (GC/JIT phases) of the exact range
 *   GET /api/v1/continuous/functions?…                     its function table (self, total), heaviest first
 *   GET /api/v1/continuous/diff?service&a.from&a.to&a.label…&b.from&b.to&b.label…
 *                                                          biggest changes from selection a to b, as
 *                                                          `pyrometer diff` compares files (percent of each
 *                                                          one's total), and both stacks side by side
 *   GET /api/v1/continuous/top?service&from&to&label…&n=6  top functions' self weight per bucket
 *
 * Times: now, now-1h, -15m, Unix s/ms, ISO dates (series/selector.ts). A
 * range is widened to whole buckets of the resolution read; every answer says
 * which (`resolutionMs`, `from`, `to`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { gzipSync } from 'node:zlib';
import { serializeProfile, SERIALIZED_MODEL_MEDIA_TYPE } from '../../model/serialize.js';
import { UploadError } from '../ingest.js';
import { isAuthorized, requireAccess, type AccessPolicy } from '../http.js';
import { loginPage } from '../pages.js';
import { sendPage } from './pages.js';
import { CONTINUOUS_SCRIPT, continuousPage } from '../continuous-page.js';
import type { ProfileService } from '../service.js';
import type { SeriesSelector, SeriesStore } from '../series/store.js';
import { parseSelector, SelectorError } from '../series/selector.js';
import { diffSelections, functionWeights, profileFromStacks, topFunctionsOverTime } from '../series/analysis.js';

type Query = Record<string, string | string[] | undefined>;

function selectorOf(request: FastifyRequest, prefix = ''): SeriesSelector {
  try {
    return parseSelector(request.query as Query, prefix);
  } catch (err) {
    if (err instanceof SelectorError) throw new UploadError(400, err.message);
    throw err;
  }
}

function intParam(query: Query, key: string, fallback: number, max: number): number {
  const v = query[key];
  if (v === undefined) return fallback;
  const n = Number(Array.isArray(v) ? v[0] : v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UploadError(400, `${key} must be a whole number from 1 to ${max}`);
  return n;
}

const range = (r: { from: number; to: number; resolutionMs: number }) => ({
  from: new Date(r.from).toISOString(),
  to: new Date(r.to).toISOString(),
  resolutionMs: r.resolutionMs,
});

export function registerContinuousRoutes(app: FastifyInstance, service: ProfileService, policy: AccessPolicy, series: SeriesStore): void {
  app.get('/continuous', async (request, reply) => {
    const allowed = !policy.privateView || (await isAuthorized(service, request));
    return sendPage(reply, allowed ? 200 : 401, allowed ? continuousPage() : loginPage());
  });
  app.get('/assets/pyrometer-continuous.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'no-cache').send(CONTINUOUS_SCRIPT),
  );

  app.get('/api/v1/continuous/services', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const services = await series.services();
    return { store: series.kind, services: services.map((s) => ({ ...s, lastSeen: new Date(s.lastSeen).toISOString() })) };
  });

  app.get('/api/v1/continuous/timeline', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const t = await series.timeline(selectorOf(request));
    return { ...range(t), points: t.points.map((p) => [p.time, p.weight]) };
  });

  app.get('/api/v1/continuous/profile', async (request, reply) => {
    await requireAccess(service, policy, request, 'view');
    const selector = selectorOf(request);
    const [merged, markers] = await Promise.all([series.merged(selector), series.markers(selector)]);
    const profile = profileFromStacks(
      merged.stacks,
      { service: selector.service, from: merged.from, to: merged.to, labels: selector.labels },
      markers,
    );
    reply
      .header('Content-Type', SERIALIZED_MODEL_MEDIA_TYPE)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store');
    reply.header('X-Pyrometer-Range', `${new Date(merged.from).toISOString()}/${new Date(merged.to).toISOString()}`);
    return reply.header('Content-Encoding', 'gzip').send(gzipSync(serializeProfile(profile)));
  });

  app.get('/api/v1/continuous/functions', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const merged = await series.merged(selectorOf(request));
    const limit = intParam(request.query as Query, 'limit', 100, 10_000);
    const functions = [...functionWeights(merged.stacks).values()].sort((a, b) => b.self - a.self || b.total - a.total).slice(0, limit);
    const total = merged.stacks.reduce((n, s) => n + s.weight, 0);
    return { ...range(merged), total, functions };
  });

  app.get('/api/v1/continuous/diff', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const a = selectorOf(request, 'a.');
    const b = selectorOf(request, 'b.');
    const limit = intParam(request.query as Query, 'limit', 50, 10_000);
    const [before, after] = await Promise.all([series.merged(a), series.merged(b)]);
    const side = (selector: SeriesSelector, merged: typeof before) => ({
      stacks: merged.stacks,
      profile: profileFromStacks(merged.stacks, { service: selector.service, ...merged, labels: selector.labels }),
    });
    return { a: range(before), b: range(after), ...diffSelections(side(a, before), side(b, after), limit) };
  });

  app.get('/api/v1/continuous/top', async (request) => {
    await requireAccess(service, policy, request, 'view');
    const buckets = await series.bucketStacks(selectorOf(request));
    const n = intParam(request.query as Query, 'n', 6, 50);
    return { ...range(buckets), ...topFunctionsOverTime(buckets.buckets, n) };
  });
}
