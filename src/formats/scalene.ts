/**
 * Scalene's JSON profile (`scalene --json --outfile profile.json`, the file its
 * web viewer loads).
 *
 * Layout (scalene/scalene_json.py): { elapsed_time_sec, start_time_absolute?,
 *   memory (bool), max_footprint_mb, growth_rate, samples: [[ns since start, footprint MB]],
 *   files: { filename: { percent_cpu_time, functions: [FunctionDetail], lines: [LineDetail] } } }
 *   LineDetail: { lineno, line (source text), n_cpu_percent_python, n_cpu_percent_c,
 *     n_sys_percent (percent of the elapsed time), n_malloc_mb, n_peak_mb, n_avg_mb,
 *     n_mallocs, n_python_fraction, n_copy_mb_s, start_region_line?, ... }
 *   FunctionDetail: the same figures, with `line` = the function's name and `lineno` its first line.
 *
 * What the reader makes of it: per-line CPU time as line costs. Every line
 * with CPU time is a sample on a one-frame stack (its function at that line;
 * Scalene keeps no call paths), split by where the time went: Python
 * (category python), native code (native) and the system (kernel), each
 * weighted in ms (percent x elapsed time). A line belongs to the function
 * whose region starts where the line's does, else to the nearest function
 * above it, else to `<module>`. Memory per line (MB allocated, growth, peak,
 * average, allocation count, Python share, copy volume) becomes the model's line
 * metrics (model/line-metrics.ts: `show --lines`/`--json`, the viewer's source
 * view and the speedscope writer carry them); the footprint over time becomes a counter.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { LineMetricColumn, LineMetrics } from '../model/line-metrics.js';
import type { Category, Profile } from '../model/profile.js';
import type { Format } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile, withShapeErrors } from './json-input.js';
import { scaleneSignature } from './signatures/scalene.js';
export { sniffScalene } from './signatures/scalene.js';

const FORMAT = 'scalene';

/** Scalene's per-line memory fields, in the order they become line-metric columns. */
const MEMORY_FIELDS: [field: string, column: LineMetricColumn][] = [
  ['n_malloc_mb', { key: 'allocMb', label: 'alloc', unit: 'MB' }],
  // Net growth of the footprint on the line (negative when it freed more than it took).
  ['n_growth_mb', { key: 'growthMb', label: 'growth', unit: 'MB' }],
  ['n_peak_mb', { key: 'peakMb', label: 'peak', unit: 'MB' }],
  ['n_avg_mb', { key: 'avgMb', label: 'avg', unit: 'MB' }],
  ['n_mallocs', { key: 'mallocs', label: 'mallocs', unit: 'count' }],
  ['n_python_fraction', { key: 'pythonFraction', label: 'python', unit: 'fraction' }],
  ['n_copy_mb_s', { key: 'copyMbPerS', label: 'copy', unit: 'MB/s' }],
];

const numberOr = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

export function readScalene(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    const o = asObject(root, '$');
    const elapsedMs = asNumber(o.elapsed_time_sec, '$.elapsed_time_sec') * 1000;
    if (elapsedMs < 0) throw new JsonShapeError('$.elapsed_time_sec: negative');
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms', interpreter: 'cpython', flags: ['lines'] });
    if (o.memory === true) builder.meta.flags.push('memory');
    if (typeof o.start_time_absolute === 'number' && o.start_time_absolute > 0) {
      builder.meta.startTime = o.start_time_absolute * 1000;
      builder.meta.endTime = builder.meta.startTime + elapsedMs;
    }
    if (typeof o.program === 'string') builder.meta.extra.program = o.program;
    if (typeof o.max_footprint_mb === 'number') builder.meta.extra.maxFootprintMb = String(o.max_footprint_mb);
    const thread = builder.thread('main', 'main');
    const files = asObject(o.files, '$.files');
    const memory: LineMetrics = { columns: MEMORY_FIELDS.map(([, c]) => c), func: [], line: [], values: MEMORY_FIELDS.map(() => []) };
    let time = 0;
    for (const [file, value] of Object.entries(files)) {
      const fp = `$.files[${JSON.stringify(file)}]`;
      const f = asObject(value, fp);
      // Functions by first line; a line's function is the one its region starts at, else the nearest above.
      const functions = asArray(f.functions ?? [], `${fp}.functions`)
        .map((fn, i) => {
          const o = asObject(fn, `${fp}.functions[${i}]`);
          return {
            name: typeof o.line === 'string' ? o.line : `function@${String(o.lineno)}`,
            line: asNumber(o.lineno, `${fp}.functions[${i}].lineno`),
          };
        })
        .sort((a, b) => a.line - b.line);
      const byLine = new Map(functions.map((fn) => [fn.line, fn.name]));
      const owner = (line: number, region: number): { name: string; line: number } => {
        const named = byLine.get(region);
        if (named !== undefined) return { name: named, line: region };
        let best: { name: string; line: number } | null = null;
        for (const fn of functions) if (fn.line <= line) best = fn;
        return best ?? { name: '<module>', line: 1 };
      };
      asArray(f.lines ?? [], `${fp}.lines`).forEach((raw, i) => {
        const lp = `${fp}.lines[${i}]`;
        const l = asObject(raw, lp);
        const lineno = asNumber(l.lineno, `${lp}.lineno`);
        const parts: [Category, number][] = [
          ['python', numberOr(l.n_cpu_percent_python)],
          ['native', numberOr(l.n_cpu_percent_c)],
          ['kernel', numberOr(l.n_sys_percent)],
        ];
        for (const [, pct] of parts) if (pct < 0) throw new JsonShapeError(`${lp}: a negative CPU percentage`);
        const fn = owner(lineno, numberOr(l.start_region_line, -1));
        const func = builder.func(fn.name, file, fn.line, 'python');
        for (const [category, pct] of parts) {
          const ms = (pct / 100) * elapsedMs;
          if (ms <= 0) continue;
          builder.addSample(thread, builder.stack(-1, builder.frame(func, lineno, category)), time, ms);
          time += ms;
        }
        const values = MEMORY_FIELDS.map(([field]) => numberOr(l[field]));
        // A line that allocated, grew, peaked or copied is a row; Python's share alone is not a cost.
        if (values.some((v, k) => v !== 0 && MEMORY_FIELDS[k][1].key !== 'pythonFraction')) {
          memory.func.push(func);
          memory.line.push(lineno);
          values.forEach((v, k) => memory.values[k].push(v));
        }
      });
    }
    if (memory.func.length > 0) builder.attachments.lineMetrics = memory;
    // The footprint over time: [ns since the start, MB].
    if (Array.isArray(o.samples) && o.samples.length > 0) {
      const pairs = o.samples
        .filter((s): s is [number, number] => Array.isArray(s) && typeof s[0] === 'number' && typeof s[1] === 'number')
        .sort((a, b) => a[0] - b[0]);
      builder.addCounter({
        name: 'memory footprint',
        category: 'memory',
        unit: 'KiB',
        thread: -1,
        time: Float64Array.from(pairs, (p) => p[0] / 1e6),
        value: Float64Array.from(pairs, (p) => p[1] * 1024),
      });
    }
    builder.warn('Scalene keeps time per line, not call paths: each function is a root');
    return builder.build();
  });
}

export const scaleneFormat: Format = {
  ...scaleneSignature,
  read: (bytes) => readScalene(bytes),
};
