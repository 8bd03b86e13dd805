/**
 * What the query API computes from stored stacks: the merged selection as a
 * Profile (so every viewer and writer takes it), function tables, the diff of
 * two selections, and top functions over time. Pure functions of weighted
 * `a;b;c` stacks; no store, no HTTP.
 */
import { readCollapsed, parseFrameLabel } from '../../formats/collapsed.js';
import type { Profile } from '../../model/profile.js';
import type { StreamMarker, WeightedStack } from '../../formats/stream-chunk.js';
import { withMarkers } from '../../model/builder.js';
import { compareFunctions, type Comparison } from '../../model/compare.js';

/**
 * The merged stacks of a selection as a Profile (one thread), with the range in its meta
 * and the selection's markers (PyPy's GC/JIT phases) on that thread, timed from `from`.
 */
export function profileFromStacks(
  stacks: WeightedStack[],
  meta: { service: string; from: number; to: number; labels?: Record<string, string> },
  markers: StreamMarker[] = [],
): Profile {
  const text = stacks
    .filter((s) => s.weight > 0)
    .map((s) => `${s.stack} ${Math.round(s.weight)}\n`)
    .join('');
  const profile = readCollapsed(new TextEncoder().encode(text));
  profile.meta.format = 'pyrometer-continuous';
  profile.meta.startTime = meta.from;
  profile.meta.endTime = meta.to;
  profile.meta.warnings = profile.meta.warnings.filter((w) => !w.startsWith('no samples'));
  profile.meta.extra = {
    service: meta.service,
    ...Object.fromEntries(Object.entries(meta.labels ?? {}).map(([k, v]) => [`label:${k}`, v])),
  };
  if (profile.threads[0]) profile.threads[0].name = meta.service;
  if (markers.length === 0) return profile;
  return withMarkers(
    profile,
    markers.map((m) => ({
      name: m.name,
      category: m.category,
      start: m.start - meta.from,
      end: m.end - meta.from,
      depth: m.depth,
      data: null,
    })),
  );
}

export interface FunctionWeights {
  /** `name (file)`: frames of one function at different lines are one function. */
  func: string;
  self: number;
  total: number;
}

function functionOf(label: string): string {
  const { name, file } = parseFrameLabel(label);
  return file ? `${name} (${file})` : name;
}

/** Self and total weight of every function (total counts a function once per stack, so recursion stays <= 100%). */
export function functionWeights(stacks: WeightedStack[]): Map<string, FunctionWeights> {
  const out = new Map<string, FunctionWeights>();
  const get = (func: string) => {
    let f = out.get(func);
    if (!f) out.set(func, (f = { func, self: 0, total: 0 }));
    return f;
  };
  for (const { stack, weight } of stacks) {
    const funcs = stack.split(';').map(functionOf);
    get(funcs[funcs.length - 1]).self += weight;
    for (const func of new Set(funcs)) get(func).total += weight;
  }
  return out;
}

export interface StackDiff {
  stack: string;
  before: number;
  after: number;
}

export interface SelectionDiff extends Comparison {
  /** Both selections' stacks side by side, for a differential flame graph. */
  stacks: StackDiff[];
}

const sum = (stacks: WeightedStack[]) => stacks.reduce((n, s) => n + s.weight, 0);

/**
 * Two selections compared the way `pyrometer diff` compares two files
 * (model/compare.ts: functions matched by name and file, shares of each
 * selection's own total, biggest self change first), plus their stacks.
 */
export function diffSelections(
  before: { profile: Profile; stacks: WeightedStack[] },
  after: { profile: Profile; stacks: WeightedStack[] },
  limit = 50,
): SelectionDiff {
  const comparison = compareFunctions(before.profile, after.profile);
  const stacks = new Map<string, StackDiff>();
  for (const s of before.stacks) stacks.set(s.stack, { stack: s.stack, before: s.weight, after: 0 });
  for (const s of after.stacks) {
    const d = stacks.get(s.stack);
    if (d) d.after += s.weight;
    else stacks.set(s.stack, { stack: s.stack, before: 0, after: s.weight });
  }
  return { ...comparison, functions: comparison.functions.slice(0, limit), stacks: [...stacks.values()] };
}

export interface TopFunctionsOverTime {
  times: number[];
  /** The top functions of the whole range by self weight, each with its self weight per bucket. */
  series: { func: string; self: number; values: number[] }[];
  /** All weight per bucket (to read the values as shares). */
  totals: number[];
}

export function topFunctionsOverTime(buckets: { time: number; stacks: WeightedStack[] }[], top = 6): TopFunctionsOverTime {
  const perBucket = buckets.map((b) => functionWeights(b.stacks));
  const overall = new Map<string, number>();
  for (const m of perBucket) for (const f of m.values()) overall.set(f.func, (overall.get(f.func) ?? 0) + f.self);
  const chosen = [...overall]
    .filter(([, self]) => self > 0)
    .sort((p, q) => q[1] - p[1] || p[0].localeCompare(q[0]))
    .slice(0, top);
  return {
    times: buckets.map((b) => b.time),
    totals: buckets.map((b) => sum(b.stacks)),
    series: chosen.map(([func, self]) => ({ func, self, values: perBucket.map((m) => m.get(func)?.self ?? 0) })),
  };
}
