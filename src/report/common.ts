/**
 * What every terminal report shares: the sample selection (threads, idle),
 * the one-line header, and how a function's location is written.
 */
import { stackWeights, totalWeight } from '../model/analysis.js';
import { type FuncIndex, type Profile, funcFile, funcName, profileDuration, totalSamples, type WeightUnit } from '../model/profile.js';
import { commonDirectory, ellipsize, formatDuration, formatNumber, sanitize, shortenPath, type Style, wrapParts } from './text.js';

export interface Selection {
  /** Thread indices to include; all when absent or empty. */
  threads?: number[];
  /** Leave out samples whose innermost frame is idle (sleeping, waiting). */
  hideIdle?: boolean;
}

export interface Selected {
  weights: Float64Array;
  total: number;
  /** Number of samples selected (not their weight). */
  samples: number;
  threads: number[];
}

export function select(profile: Profile, selection: Selection = {}): Selected {
  const threads = selection.threads && selection.threads.length > 0 ? selection.threads : profile.threads.map((_, i) => i);
  const weights = stackWeights(profile, { threads, hideIdle: selection.hideIdle });
  let samples = 0;
  for (const t of threads) samples += profile.threads[t]?.samples.length ?? 0;
  return { weights, total: totalWeight(weights), samples, threads };
}

export function threadLabel(profile: Profile, thread: number): string {
  const t = profile.threads[thread];
  if (!t) return `#${thread}`;
  if (t.name && t.id && t.name !== t.id) return `${t.name} (${t.id})`;
  return t.name || t.id || `#${thread}`;
}

/** How weights are shown: times in ms (µs and ns are unreadably long), counts as they are. */
export function unitLabel(unit: WeightUnit): string {
  return unit === 'us' || unit === 'ns' ? 'ms' : unit;
}

const TO_MS: Partial<Record<WeightUnit, number>> = { us: 1e-3, ns: 1e-6 };

/** A weight as the column shows it (in unitLabel's unit): integers for counts, one decimal for small times. */
export function formatWeight(weight: number, unit: WeightUnit): string {
  if (unit === 'samples' || unit === 'events' || unit === 'instructions' || unit === 'bytes') return formatNumber(Math.round(weight));
  const ms = weight * (TO_MS[unit] ?? 1);
  return formatNumber(ms, ms >= 100 ? 0 : 1);
}

export function interpreterLabel(profile: Profile): string {
  const i = profile.meta.interpreter;
  // Only keys that mean the interpreter's version (`version` alone is often the file format's).
  const { extra } = profile.meta;
  const version = i ? (extra['python'] ?? extra['python_version'] ?? extra['interpreter_version'] ?? '') : '';
  const name = i === 'cpython' ? 'CPython' : i === 'pypy' ? 'PyPy' : i;
  return sanitize([name, version].filter(Boolean).join(' '));
}

/** "vmprof · CPython · 12,345 samples · 4.56 s · 3 threads (showing MainThread)" */
export function headerLine(profile: Profile, selected: Selected, style: Style, extra: string[] = []): string {
  const parts: string[] = [style.bold(sanitize(profile.meta.format))];
  const interp = interpreterLabel(profile);
  if (interp) parts.push(interp);
  const unit = profile.meta.weightUnit;
  if (unit === 'samples') {
    parts.push(`${formatNumber(selected.total)} samples`, formatDuration(durationMs(profile)));
  } else if (profileDuration(profile) > 0) {
    parts.push(
      `${formatNumber(selected.samples)} samples weighing ${formatWeight(selected.total, unit)} ${unitLabel(unit)}`,
      formatDuration(durationMs(profile)),
    );
  } else {
    // No timestamps (pstats, callgrind): the weights are the only measure of time, and "samples" are synthetic.
    parts.push(`${formatWeight(selected.total, unit)} ${unitLabel(unit)} in total`);
  }
  const n = profile.threads.length;
  let threads = `${n} thread${n === 1 ? '' : 's'}`;
  if (selected.threads.length < n) {
    threads += ` (showing ${selected.threads.map((t) => sanitize(threadLabel(profile, t))).join(', ')})`;
  }
  parts.push(threads);
  parts.push(...extra);
  return wrapParts(parts, style.dim(' · '), style.width);
}

const MS_PER_UNIT: Partial<Record<WeightUnit, number>> = { ms: 1, us: 1e-3, ns: 1e-6 };

/**
 * How long the profile covers, in ms: its recorded span, or for profiles
 * without timestamps whose weights are times (pstats, callgrind in ns), the
 * summed time of all samples.
 */
export function durationMs(profile: Profile): number {
  const span = profileDuration(profile);
  if (span > 0) return span;
  const scale = MS_PER_UNIT[profile.meta.weightUnit];
  if (scale === undefined) return 0;
  let total = 0;
  for (const t of profile.threads) for (let i = 0; i < t.samples.length; i++) total += t.samples.weight[i];
  return total * scale;
}

/** Why there is nothing to show: the file has no samples at all, or the selection left none. */
export function emptyMessage(profile: Profile, selection: Selection): string {
  if (totalSamples(profile) === 0) {
    let markers = 0;
    for (const t of profile.threads) markers += t.markers.length;
    return markers > 0
      ? `This profile has no samples, only ${formatNumber(markers)} timeline marker${markers === 1 ? '' : 's'} (GC, JIT, …): see them with 'pyrometer view' or count them with 'pyrometer info'.`
      : 'This profile has no samples.';
  }
  if (selection.hideIdle) return 'No samples selected: every selected sample was idle (try without --hide-idle).';
  return 'No samples selected.';
}

/** Lines that warn the reader before they trust the numbers. */
export function caveatLines(profile: Profile, style: Style): string[] {
  const out: string[] = [];
  // Readers usually say it themselves in a warning; say it once.
  if (profile.meta.approximateCallTree && !profile.meta.warnings.some((w) => /reconstruct/i.test(w))) {
    out.push(style.yellow('note: this format has no call paths; the call tree is reconstructed from caller/callee totals'));
  }
  for (const w of profile.meta.warnings) out.push(style.yellow(`warning: ${sanitize(w)}`));
  return out;
}

/** Display paths for a set of functions: relative to their common directory, ~ for home. */
export class PathShortener {
  readonly common: string;
  constructor(
    private readonly profile: Profile,
    funcs: Iterable<FuncIndex>,
    private readonly home: string,
    private readonly cwd = '',
  ) {
    const files = new Set<string>();
    for (const f of funcs) {
      const file = funcFile(profile, f);
      if (file) files.add(file);
    }
    // The header names the directory taken off (note()), so even one file loses nothing.
    this.common = commonDirectory(files);
  }

  /** `file:line` for a function, shortened and sanitized ('' when the file is unknown). */
  location(func: FuncIndex, line = this.profile.funcs.line[func]): string {
    const file = funcFile(this.profile, func);
    if (!file) return '';
    const short = sanitize(shortenPath(file, this.common, this.home, this.cwd));
    return line > 0 ? `${short}:${line}` : short;
  }

  /** "files under ~/src/app/" for the header when paths were shortened. */
  note(style: Style): string {
    if (!this.common) return '';
    const prefix = 'paths relative to ';
    return style.dim(prefix + ellipsize(sanitize(shortenPath(this.common, '', this.home)), style.width - prefix.length, 0.7));
  }
}

export function displayName(profile: Profile, func: FuncIndex): string {
  return sanitize(funcName(profile, func));
}
