/**
 * `pyrometer info`: what a profile file is, before looking inside it.
 * `profileFacts` gathers everything (also the --json form); `renderInfo`
 * lays it out as aligned "key  value" lines.
 */
import { type Profile, totalSamples } from '../model/profile.js';
import { durationMs, interpreterLabel } from './common.js';
import { displayWidth, ellipsize, formatDuration, formatKiB, formatNumber, padEnd, sanitize, type Style } from './text.js';

export interface ProfileFacts {
  format: string;
  formatVersion: number | null;
  interpreter: string;
  flags: string[];
  /** Sampling period in ms, null for profiles that are not sampled. */
  periodMs: number | null;
  frequencyHz: number | null;
  startTime: string | null; // ISO 8601
  endTime: string | null;
  durationMs: number;
  samples: number;
  weightUnit: string;
  totalWeight: number;
  functions: number;
  stacks: number;
  /** Samples whose weights are sample counts other than 1: each record is one look standing for `weight` periods (pyrometer's sampler). */
  weightedLooks: boolean;
  threads: { index: number; id: string; name: string; processId: string; samples: number; weight: number; markers: number }[];
  memory: { minKiB: number; maxKiB: number } | null;
  markers: number;
  approximateCallTree: boolean;
  extra: Record<string, string>;
  warnings: string[];
}

function iso(ms: number): string | null {
  if (!(ms > 0)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function profileFacts(profile: Profile): ProfileFacts {
  const { meta } = profile;
  let minRss = Infinity;
  let maxRss = -Infinity;
  let markers = 0;
  let totalWeight = 0;
  for (const t of profile.threads) {
    markers += t.markers.length;
    const { rss, weight, length } = t.samples;
    for (let i = 0; i < length; i++) totalWeight += weight[i];
    if (rss) {
      for (let i = 0; i < length; i++) {
        const v = rss[i];
        if (Number.isNaN(v)) continue;
        if (v < minRss) minRss = v;
        if (v > maxRss) maxRss = v;
      }
    }
  }
  // Memory can also come as a counter (e.g. from formats that sample it apart from stacks).
  for (const c of profile.counters) {
    if (c.unit !== 'KiB' && c.unit !== 'bytes') continue;
    const scale = c.unit === 'bytes' ? 1 / 1024 : 1;
    if (!/mem|rss/i.test(c.name) && !/mem/i.test(c.category)) continue;
    for (let i = 0; i < c.value.length; i++) {
      const v = c.value[i] * scale;
      if (v < minRss) minRss = v;
      if (v > maxRss) maxRss = v;
    }
  }
  return {
    format: meta.format,
    formatVersion: meta.formatVersion,
    interpreter: interpreterLabel(profile),
    flags: meta.flags.slice(),
    periodMs: meta.interval > 0 ? meta.interval : null,
    frequencyHz: meta.interval > 0 ? 1000 / meta.interval : null,
    startTime: iso(meta.startTime),
    endTime: iso(meta.endTime),
    durationMs: durationMs(profile),
    samples: totalSamples(profile),
    weightUnit: meta.weightUnit,
    totalWeight,
    weightedLooks: meta.weightUnit === 'samples' && totalWeight !== totalSamples(profile),
    functions: profile.funcs.length,
    stacks: profile.stacks.length,
    threads: profile.threads.map((t, index) => ({
      index,
      id: t.id,
      name: t.name,
      processId: t.processId,
      samples: t.samples.length,
      weight: t.samples.weight.reduce((a, b) => a + b, 0),
      markers: t.markers.length,
    })),
    memory: maxRss >= minRss ? { minKiB: minRss, maxKiB: maxRss } : null,
    markers,
    approximateCallTree: meta.approximateCallTree,
    extra: { ...meta.extra },
    warnings: meta.warnings.slice(),
  };
}

/**
 * The file's free-form facts, with families of numbered keys (`ts:0`, `ts:4`,
 * … as the recorder writes hundreds of them) folded into one line each.
 */
function groupedExtra(extra: Record<string, string>): [string, string][] {
  const families = new Map<string, number>();
  for (const k of Object.keys(extra)) {
    const colon = k.indexOf(':');
    if (colon > 0) families.set(k.slice(0, colon), (families.get(k.slice(0, colon)) ?? 0) + 1);
  }
  const out: [string, string][] = [];
  const folded = new Set<string>();
  for (const [k, v] of Object.entries(extra)) {
    const colon = k.indexOf(':');
    const family = colon > 0 ? k.slice(0, colon) : '';
    if (family && families.get(family)! > 3) {
      if (!folded.has(family)) {
        folded.add(family);
        out.push([`${family}:…`, `${formatNumber(families.get(family)!)} entries (--json lists them)`]);
      }
      continue;
    }
    const oneLine = v.includes('\n') ? `${v.split('\n')[0]} …` : v;
    out.push([k, oneLine]);
  }
  return out;
}

export function renderInfo(profile: Profile, style: Style): string {
  const f = profileFacts(profile);
  const rows: [string, string][] = [];
  rows.push(['format', sanitize(f.format) + (f.formatVersion !== null ? ` (version ${f.formatVersion})` : '')]);
  rows.push(['interpreter', f.interpreter || 'unknown']);
  rows.push(['flags', f.flags.length > 0 ? sanitize(f.flags.join(', ')) : 'none']);
  if (f.periodMs !== null) {
    rows.push(['period', `${formatNumber(f.periodMs, 3)} ms (${formatNumber(f.frequencyHz!, 1)} Hz)`]);
  } else {
    rows.push(['period', 'not a sampling profile']);
  }
  rows.push(['start', f.startTime ?? 'unknown']);
  rows.push(['stop', f.endTime ?? 'unknown']);
  rows.push(['duration', formatDuration(f.durationMs)]);
  if (f.weightedLooks) {
    // never call the looks "samples": each stands for several periods (vmprof's reader counts looks)
    const clock = f.extra.mode === 'wall' ? 'wall-clock' : f.extra.mode === 'cpu' ? 'CPU' : 'sampled';
    rows.push(['looks', `${formatNumber(f.samples)} (stack records, each weighted by the time it stands for)`]);
    rows.push([
      'weighted',
      `${formatNumber(f.totalWeight)} periods` +
        (f.periodMs !== null ? ` = ${formatDuration(f.totalWeight * f.periodMs)} of ${clock} time` : ''),
    ]);
  } else {
    rows.push([
      'samples',
      formatNumber(f.samples) + (f.weightUnit !== 'samples' ? ` (weights in ${f.weightUnit}: ${formatNumber(f.totalWeight, 1)})` : ''),
    ]);
  }
  rows.push(['functions', `${formatNumber(f.functions)} (${formatNumber(f.stacks)} distinct stacks)`]);
  rows.push(['memory', f.memory ? `${formatKiB(f.memory.minKiB)} – ${formatKiB(f.memory.maxKiB)} RSS` : 'not recorded']);
  rows.push(['markers', formatNumber(f.markers)]);
  // the file had no sample times: say how the timeline places them (model ProfileMeta.sampleTimes)
  if (profile.meta.sampleTimes === 'spread') rows.push(['sample times', 'not in the file: spread evenly over the recorded duration']);
  else if (profile.meta.sampleTimes === 'order') rows.push(['sample times', 'not in the file, nor a stop time: one period apart']);
  if (f.approximateCallTree) rows.push(['call tree', 'reconstructed (the format records no call paths)']);
  const keyW = Math.max(...rows.map(([k]) => k.length));
  const out = rows.map(([k, v]) => `${style.bold(padEnd(k, keyW))}  ${v}`);

  out.push('', style.bold(`threads (${f.threads.length})`));
  const idW = Math.max(2, ...f.threads.map((t) => sanitize(t.id).length));
  const countW = Math.max(7, ...f.threads.map((t) => formatNumber(t.samples).length));
  const weightW = Math.max(8, ...f.threads.map((t) => formatNumber(t.weight).length));
  const weightColumn = (text: string) => (f.weightedLooks ? `  ${text.padStart(weightW)}` : '');
  out.push(
    style.dim(`  ${padEnd('id', idW)}  ${(f.weightedLooks ? 'looks' : 'samples').padStart(countW)}${weightColumn('weighted')}  name`),
  );
  for (const t of f.threads) {
    const label = t.name ? sanitize(t.name) : style.dim('(unnamed)');
    const process = t.processId ? style.dim(`  pid ${sanitize(t.processId)}`) : '';
    out.push(
      `  ${padEnd(sanitize(t.id), idW)}  ${formatNumber(t.samples).padStart(countW)}${weightColumn(formatNumber(t.weight))}  ${label}${process}`,
    );
  }
  const extra = groupedExtra(f.extra).map(([k, v]): [string, string] => [sanitize(k), sanitize(v)]);
  if (extra.length > 0) {
    // What the file itself says (VMProf META records, headers): kept apart from the facts above.
    out.push('', style.bold('recorded in the file'));
    const extraW = Math.max(...extra.map(([k]) => displayWidth(k)));
    for (const [k, v] of extra) out.push(`  ${padEnd(k, extraW)}  ${ellipsize(v, Math.max(10, style.width - extraW - 4), 0)}`);
  }
  if (f.warnings.length > 0) {
    out.push('', style.bold(style.yellow(`warnings (${f.warnings.length})`)));
    for (const w of f.warnings) out.push(`  ${style.yellow(sanitize(w))}`);
  }
  return out.join('\n') + '\n';
}
