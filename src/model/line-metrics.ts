/**
 * Costs a profiler measured per source line besides the sampled weight: Scalene's memory (MB
 * allocated, net growth, peak, allocation count, Python's share, copy volume). A line can cost
 * memory and no CPU, so these are not sample weights but rows of their own:
 *
 *   columns[k]        what column k measures: key, label and unit
 *   func[r], line[r]  the function (FuncIndex) and line row r measures
 *   values[k][r]      column k's value for row r
 *
 * Kept in `attachments.lineMetrics` (so a serialized model keeps them); the readers that measure
 * such costs fill it, and `show --lines`, `show --json`, the viewer's source view and the writers
 * that can hold them (speedscope, as a profile of its own) read it through these functions.
 * Pure: the browser uses it.
 */
import type { FuncIndex, Profile } from './profile.js';

export interface LineMetricColumn {
  /** Stable name for JSON and tests, e.g. "allocMb". */
  key: string;
  /** A column heading, e.g. "alloc". */
  label: string;
  /** "MB", "count", "fraction", "MB/s". */
  unit: string;
}

export interface LineMetrics {
  columns: LineMetricColumn[];
  func: FuncIndex[];
  line: number[];
  values: number[][];
}

/** The profile's per-line metrics, or null when it has none (or they are malformed). */
export function lineMetrics(profile: Profile): LineMetrics | null {
  const m = profile.attachments.lineMetrics as LineMetrics | undefined;
  if (!m || !Array.isArray(m.columns) || !Array.isArray(m.func) || !Array.isArray(m.line) || !Array.isArray(m.values)) return null;
  if (m.values.length !== m.columns.length || m.func.length === 0) return null;
  return m;
}

/** Index of a column by key, or -1. */
export function metricColumn(m: LineMetrics, key: string): number {
  return m.columns.findIndex((c) => c.key === key);
}

/**
 * The metrics of every line of one source file (by the file's StringIndex), summed over the
 * functions that have the line (a line belongs to one function in practice).
 */
export function fileLineMetrics(profile: Profile, m: LineMetrics, file: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let r = 0; r < m.func.length; r++) {
    if (profile.funcs.file[m.func[r]] !== file) continue;
    let acc = out.get(m.line[r]);
    if (!acc) {
      acc = new Array(m.columns.length).fill(0);
      out.set(m.line[r], acc);
    }
    for (let k = 0; k < m.columns.length; k++) acc[k] += m.values[k][r];
  }
  return out;
}

/** Row indices ordered by one column, largest first (ties: by function, then line). */
export function rowsByMetric(m: LineMetrics, column: number): number[] {
  const rows = [...m.func.keys()];
  const v = m.values[column];
  return rows.sort((a, b) => v[b] - v[a] || m.func[a] - m.func[b] || m.line[a] - m.line[b]);
}
