/**
 * Reading selections and times from query strings, shared by the query API,
 * Pyroscope's ingest and `pyrometer query`: one grammar everywhere.
 *
 * Times: `now`, `now-1h` / `-15m` (s, m, h, d, w), Unix time in seconds,
 * milliseconds, microseconds or nanoseconds told apart by their number of
 * digits (10/13/16/19, as Pyroscope's agents send them), or an ISO 8601 date.
 * Labels: `k=v` strings (repeatable), or Pyroscope's `app{k=v,k2=v2}` names.
 */
import { checkLabels, checkService } from '../../formats/stream-chunk.js';
import type { SeriesSelector } from './store.js';

export class SelectorError extends Error {}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export function parseTime(text: string, now = Date.now(), what = 'time'): number {
  const s = text.trim();
  if (s === 'now') return now;
  const relative = /^(?:now)?-(\d+(?:\.\d+)?)([smhdw])$/.exec(s);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2]];
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (s.length <= 11) return n * 1000;
    if (s.length <= 14) return n;
    if (s.length <= 17) return Math.floor(n / 1000);
    return Math.floor(n / 1e6);
  }
  const date = Date.parse(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(date)) return date;
  throw new SelectorError(
    `${what} "${s.slice(0, 40)}" is not a time: use now, now-1h, -15m, Unix seconds or ms, or an ISO date like 2026-12-03T08:00:00Z`,
  );
}

/** `k=v` items (from a repeated query parameter or a comma list) into labels. */
export function parseLabelList(items: string | string[] | undefined): Record<string, string> {
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
  const labels: Record<string, string> = {};
  for (const item of list) {
    for (const part of item.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw new SelectorError(`label "${part.slice(0, 60)}" must be key=value`);
      labels[part.slice(0, eq).trim()] = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
    }
  }
  return checkLabels(labels, (what) => {
    throw new SelectorError(what);
  });
}

/** Pyroscope's `name`: `app.cpu{k=v,k2="v 2"}` into the app name and labels. */
export function parsePyroscopeName(name: string): { app: string; labels: Record<string, string> } {
  const m = /^([^{}]*)(?:\{(.*)\})?$/s.exec(name.trim());
  if (!m || m[1] === '') throw new SelectorError(`name "${name.slice(0, 80)}" must look like app.cpu{key=value,...}`);
  const labels = parseLabelList(m[2] ?? '');
  // Pyroscope's own reserved labels are not labels of ours.
  for (const k of Object.keys(labels)) if (k.startsWith('__')) delete labels[k];
  return { app: m[1], labels };
}

/** A selection from query parameters: service, label (repeatable k=v), from, to; `prefix` reads `a.from` etc. */
export function parseSelector(query: Record<string, string | string[] | undefined>, prefix = '', now = Date.now()): SeriesSelector {
  const get = (key: string) => {
    const v = query[prefix + key] ?? (prefix ? query[key] : undefined);
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const service = get('service');
  if (!service) throw new SelectorError('a service is needed: ?service=NAME (see /api/v1/continuous/services)');
  checkService(service, (what) => {
    throw new SelectorError(what);
  });
  const from = parseTime(get('from') ?? 'now-1h', now, `${prefix}from`);
  const to = parseTime(get('to') ?? 'now', now, `${prefix}to`);
  if (!(to > from)) throw new SelectorError(`${prefix}to must be after ${prefix}from`);
  const labelParam = query[`${prefix}label`] ?? (prefix ? query.label : undefined);
  return { service, labels: parseLabelList(labelParam), from, to };
}
