/**
 * `pyrometer show --lines`: where inside the hottest functions the time went.
 *
 *   is_prime  primes.py:4   self 61.0%  total 61.0%
 *        line    self   total
 *           5   12.0%   12.0%  for d in range(2, n):
 *           6   49.0%   49.0%      if n % d == 0:
 *
 * Needs frames with line numbers (VMProf recorded with --lines, perf, austin,
 * ...). The source text is shown when the caller can read the file; reading is
 * the caller's job (`readSource`) so this stays a pure function.
 */
import { functionTable, functionsByCost, lineCosts, type LineCost } from '../model/analysis.js';
import { funcFile, funcName, type Profile } from '../model/profile.js';
import { caveatLines, emptyMessage, displayName, headerLine, PathShortener, select, type Selection } from './common.js';
import { displayWidth, ellipsize, formatNumber, formatPercent, heat, padStart, sanitize, type Style } from './text.js';
import { lineMetrics, metricColumn } from '../model/line-metrics.js';

export interface LinesOptions extends Selection {
  /** How many functions to break down (default 5). */
  top?: number;
  /** Lines of a source file, or null when it cannot be read. */
  readSource?: (file: string) => string[] | null;
  /** Only functions whose name or file contains this text (vmprofshow's `lines --filter`). */
  filter?: string;
}

/** True when some frame carries a line other than its function's first line. */
export function hasLineData(profile: Profile): boolean {
  if (profile.meta.flags.includes('lines')) return true;
  const { frames, funcs } = profile;
  for (let i = 0; i < frames.length; i++) {
    const line = frames.line[i];
    if (line > 0 && line !== funcs.line[frames.func[i]]) return true;
  }
  return false;
}

export const NO_LINE_DATA =
  'This profile has no line numbers, so there is nothing to break down per line.\n' +
  'Record one with line data:  pyrometer record --lines -o out.prof -- python3 your_program.py';

/**
 * The functions to break down: the hottest by self time (then total) that have any line numbers,
 * and, with `filter`, whose name or file contains it.
 */
export function hotLineFunctions(profile: Profile, weights: Float64Array, top: number, filter?: string) {
  const costs = functionTable(profile, weights);
  const perLine = lineCosts(profile, weights);
  // By self time, then total: callers with no self time still show where they made their calls.
  const hot = functionsByCost(costs.total)
    .sort((a, b) => costs.self[b] - costs.self[a] || costs.total[b] - costs.total[a] || a - b)
    .filter((f) => {
      const lines = perLine.get(f);
      if (lines === undefined || ![...lines.keys()].some((l) => l > 0)) return false;
      return !filter || funcName(profile, f).includes(filter) || funcFile(profile, f).includes(filter);
    })
    .slice(0, Math.max(1, top));
  return { costs, perLine, hot };
}

/** How many lines of one function are listed at most (the costliest ones, shown in source order). */
const MAX_LINES_PER_FUNCTION = 25;

export function renderLines(profile: Profile, options: LinesOptions, style: Style): string {
  const selected = select(profile, options);
  const out: string[] = [headerLine(profile, selected, style, ['lines'])];
  out.push(...caveatLines(profile, style));
  const memory = memoryLines(profile, options, style);
  if (selected.total <= 0) {
    out.push('', emptyMessage(profile, options), ...memory);
    return out.join('\n') + '\n';
  }
  if (!hasLineData(profile)) {
    out.push('', NO_LINE_DATA);
    return out.join('\n') + '\n';
  }
  const { costs, perLine, hot } = hotLineFunctions(profile, selected.weights, options.top ?? 5, options.filter);
  if (hot.length === 0 && options.filter) {
    out.push('', `No function with line numbers has "${sanitize(options.filter)}" in its name or file.`);
    return out.join('\n') + '\n';
  }
  const paths = new PathShortener(profile, hot, style.home, style.cwd);
  if (paths.common) out.push(paths.note(style));
  const total = selected.total;
  for (const func of hot) {
    const lines = perLine.get(func)!;
    const location = paths.location(func);
    out.push('');
    out.push(
      style.bold(displayName(profile, func)) +
        (location ? '  ' + style.dim(location) : '') +
        `   self ${formatPercent(costs.self[func], total)}  total ${formatPercent(costs.total[func], total)}`,
    );
    const file = funcFile(profile, func);
    const source = file && options.readSource ? options.readSource(file) : null;
    let entries: [number, LineCost][] = [...lines.entries()].filter(([, c]) => c.total > 0);
    let omitted = 0;
    if (entries.length > MAX_LINES_PER_FUNCTION) {
      entries.sort((a, b) => b[1].total - a[1].total || a[0] - b[0]);
      omitted = entries.length - MAX_LINES_PER_FUNCTION;
      entries = entries.slice(0, MAX_LINES_PER_FUNCTION);
    }
    entries.sort((a, b) => a[0] - b[0]);
    const lineW = Math.max(4, ...entries.map(([l]) => String(l).length));
    out.push(style.dim(`  ${padStart('line', lineW)}    self   total`));
    for (const [line, cost] of entries) {
      const selfPct = (100 * cost.self) / total;
      const totalPct = (100 * cost.total) / total;
      const prefix =
        `  ${padStart(line > 0 ? String(line) : '?', lineW)}  ` +
        heat(style, padStart(formatPercent(cost.self, total), 6), selfPct) +
        '  ' +
        heat(style, padStart(formatPercent(cost.total, total), 6), totalPct);
      let text = '';
      if (line === 0) text = style.dim('(no line number)');
      else if (source && line <= source.length) {
        const room = style.width - displayWidth(prefix) - 2;
        text = ellipsize(sanitize(source[line - 1].replace(/\s+$/, '').replace(/\t/g, '    ')), Math.max(8, room), 0);
      }
      out.push((prefix + (text ? '  ' + text : '')).trimEnd());
    }
    if (omitted > 0) out.push(style.dim(`  … ${omitted} cheaper line${omitted === 1 ? '' : 's'} not shown`));
  }
  out.push(...memory);
  return out.join('\n') + '\n';
}

/**
 * Memory cost columns per line, for profiles that measured them (Scalene): the lines that
 * allocated most, with MB allocated, net growth, peak, allocation count and Python's share.
 * A line can cost memory and no CPU, so this is its own ranking, not a column of the CPU one.
 */
function memoryLines(profile: Profile, options: LinesOptions, style: Style): string[] {
  const m = lineMetrics(profile);
  const alloc = m ? metricColumn(m, 'allocMb') : -1;
  if (!m || alloc < 0) return [];
  const column = (key: string) => {
    const k = metricColumn(m, key);
    return (r: number) => (k < 0 ? 0 : m.values[k][r]);
  };
  const [growth, peak, mallocs, python] = ['growthMb', 'peakMb', 'mallocs', 'pythonFraction'].map(column);
  const rows = [...m.func.keys()].filter((r) => m.values[alloc][r] > 0 || peak(r) > 0 || growth(r) !== 0);
  if (rows.length === 0) return [];
  rows.sort(
    (a, b) => m.values[alloc][b] - m.values[alloc][a] || peak(b) - peak(a) || fileOf(a).localeCompare(fileOf(b)) || m.line[a] - m.line[b],
  );
  function fileOf(r: number): string {
    return funcFile(profile, m!.func[r]);
  }
  const shown = rows.slice(0, 2 * Math.max(1, options.top ?? 5));
  const mb = (n: number) => padStart(formatNumber(n, Math.abs(n) < 10 ? 1 : 0), 9);
  const out = ['', style.bold('memory per line') + style.dim('  (MB; Scalene measured it, not sampled call paths)')];
  out.push(
    style.dim(
      `  ${padStart('alloc', 9)} ${padStart('growth', 9)} ${padStart('peak', 9)} ${padStart('mallocs', 8)} ${padStart('python', 7)}  line`,
    ),
  );
  for (const r of shown) {
    const file = fileOf(r);
    const line = m.line[r];
    const source = options.readSource?.(file);
    const text = source && line <= source.length ? `  ${sanitize(source[line - 1].trim())}` : '';
    const row =
      `  ${mb(m.values[alloc][r])} ${mb(growth(r))} ${mb(peak(r))} ${padStart(formatNumber(mallocs(r)), 8)} ` +
      `${padStart(`${Math.round(100 * python(r))}%`, 7)}  ${funcName(profile, m.func[r])} ${file}:${line}`;
    out.push(ellipsize(row + text, style.width, 0));
  }
  if (rows.length > shown.length) out.push(style.dim(`  … ${rows.length - shown.length} more lines that allocated`));
  return out;
}
