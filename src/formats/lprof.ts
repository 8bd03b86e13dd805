/**
 * line_profiler's `.lprof` files (`kernprof -l`, `LineProfiler.dump_stats`).
 *
 * Layout: a pickle (protocol 2 or later, HIGHEST_PROTOCOL of the Python that
 * wrote it) of a `line_profiler.line_profiler.LineStats` instance (older
 * versions: `line_profiler._line_profiler.LineStats`) whose state is
 *   { timings: { (filename, first_lineno, function_name): [(lineno, nhits, total_time), ...] },
 *     unit: seconds per timer unit }
 * It is read with pickle.ts, which never imports or runs anything.
 *
 * What the reader makes of it: one sample per profiled line that took time,
 * on a stack of just that function at that line (line_profiler records no
 * call paths), weighted by its time in ms; hits per line are kept in
 * `attachments.lprof`. A line that calls another profiled function includes
 * that function's time too, as in line_profiler's own report, so totals over
 * nested profiled functions count such time twice.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Profile } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format } from './registry.js';
import { PickleDict, PickleObject, PickleTuple, readPickle } from './pickle.js';
import { withFormatErrors } from './reader-guard.js';
import { lprofSignature } from './signatures/lprof.js';
export { sniffLprof } from './signatures/lprof.js';

const FORMAT = 'lprof';

export interface LprofLine {
  file: string;
  func: string;
  line: number;
  hits: number;
  ms: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function readLprof(bytes: Uint8Array): Profile {
  return withFormatErrors(FORMAT, () => {
    const value = readPickle(bytes, FORMAT);
    const fail = (detail: string): never => {
      throw new ProfileFormatError(FORMAT, detail);
    };
    if (!(value instanceof PickleObject) || !value.cls || !value.cls.name.endsWith('LineStats')) {
      fail('the pickle does not hold a line_profiler LineStats object');
    }
    const obj = value as PickleObject;
    // State from BUILD (a dict), or constructor arguments (timings, unit).
    let timings: unknown = obj.args[0];
    let unit: unknown = obj.args[1];
    if (obj.state instanceof PickleDict) {
      timings = obj.state.get('timings') ?? timings;
      unit = obj.state.get('unit') ?? unit;
    }
    const unitSeconds = num(unit);
    if (unitSeconds === null || unitSeconds <= 0) fail('LineStats.unit: expected a positive number of seconds per timer unit');
    if (!(timings instanceof PickleDict)) return fail('LineStats.timings: expected a dict');
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms', flags: ['lines'], interpreter: 'cpython' });
    builder.meta.approximateCallTree = true;
    builder.meta.extra.unitSeconds = String(unitSeconds);
    const thread = builder.thread('main', 'main');
    const lines: LprofLine[] = [];
    let time = 0;
    (timings as PickleDict).entries.forEach(([key, list], k) => {
      const where = `LineStats.timings entry ${k}`;
      if (!(key instanceof PickleTuple) || key.items.length < 3) fail(`${where}: the key is not (filename, first line, function)`);
      const [file, first, name] = (key as PickleTuple).items;
      if (typeof file !== 'string' || num(first) === null || typeof name !== 'string')
        fail(`${where}: the key is not (filename, first line, function)`);
      const func = builder.func(name as string, file as string, first as number, 'python');
      if (!Array.isArray(list)) fail(`${where}: expected a list of (line, hits, time)`);
      for (const [j, row] of (list as unknown[]).entries()) {
        const items = row instanceof PickleTuple ? row.items : Array.isArray(row) ? row : null;
        const line = items ? num(items[0]) : null;
        const hits = items ? num(items[1]) : null;
        const total = items ? num(items[2]) : null;
        if (line === null || hits === null || total === null || total < 0) fail(`${where}, line ${j}: expected (line, hits, time)`);
        const ms = (total as number) * (unitSeconds as number) * 1000;
        lines.push({ file: file as string, func: name as string, line: line as number, hits: hits as number, ms });
        if (ms > 0) {
          builder.addSample(thread, builder.stack(-1, builder.frame(func, line as number)), time, ms);
          time += ms;
        }
      }
    });
    builder.attachments.lprof = lines;
    builder.warn(
      'line_profiler records time per line, not call paths: each function is a root, and a line calling another profiled function includes its time',
    );
    return builder.build();
  });
}

export const lprofFormat: Format = {
  ...lprofSignature,
  read: (bytes) => readLprof(bytes),
};
