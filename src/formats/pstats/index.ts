/**
 * cProfile / profile statistics (`.pstats`, `.prof` from `python -m cProfile -o`).
 *
 * Layout: one `marshal.dump` of a dict (see marshal.ts). Keys are
 * `(filename, firstlineno, funcname)`; built-ins use `('~', 0, '<built-in method ...>')`.
 * Values are `(cc, nc, tt, ct, callers)`: primitive (non-recursive) calls, all
 * calls, self time and cumulative time in seconds, and `callers`, a dict from
 * caller key to `(nc, cc, tt, ct)` for the calls made from that caller (the first
 * two swapped relative to the outer tuple). The pure-Python `profile` module
 * stores a plain call count there instead of a tuple.
 *
 * What the reader makes of it:
 * - `attachments.pstats`: the exact table (every row, every caller edge, times in
 *   seconds as pstats prints them). This is the truth; use it for tables.
 * - samples: a call tree derived from the caller graph (derived-call-tree.ts),
 *   weights in ms, `meta.approximateCallTree = true`: pstats has no call paths.
 *   For `profile`-module files the per-edge time is unknown, so a callee's
 *   cumulative time is split over its callers in proportion to their call counts.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { FuncIndex, Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { withFormatErrors } from '../reader-guard.js';
import type { Format } from '../registry.js';
import { emitDerivedCallTree, framePerFunction } from '../derived-call-tree.js';
import { MarshalDict, MarshalReader, type MarshalValue } from './marshal.js';
import { pstatsSignature } from './signature.js';
export { sniffPstats } from './signature.js';

const FORMAT = 'pstats';

export interface PstatsCaller {
  /** The calling function (index into profile.funcs). */
  func: FuncIndex;
  calls: number;
  /** null in `profile`-module files, which record only a call count per caller. */
  primitiveCalls: number | null;
  tottime: number | null;
  cumtime: number | null;
}

export interface PstatsRow {
  func: FuncIndex;
  file: string;
  line: number;
  name: string;
  /** All calls, recursive ones included (the number before the '/' pstats prints). */
  calls: number;
  /** Calls that were not recursive. */
  primitiveCalls: number;
  /** Seconds in the function itself. */
  tottime: number;
  /** Seconds in the function and everything it called. */
  cumtime: number;
  callers: PstatsCaller[];
}

export interface PstatsTable {
  timeUnit: 's';
  /** 'cProfile' when callers carry times, 'profile' when they carry only call counts. */
  variant: 'cProfile' | 'profile';
  totalCalls: number;
  primitiveCalls: number;
  /** Sum of tottime: the run time pstats prints ("... function calls in X seconds"). */
  totalTime: number;
  rows: PstatsRow[];
}

interface Key {
  file: string;
  line: number;
  name: string;
}

function describe(v: MarshalValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a ${v.length}-tuple`;
  if (v instanceof MarshalDict) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

/** The `profile` module keys its own pseudo-frame by a code object instead of a name. */
function codeName(v: MarshalValue): string | null {
  if (v !== null && typeof v === 'object' && 'code' in v) {
    const c = v.code;
    return `<code object ${c.name} (${c.filename}:${c.firstLineNumber})>`;
  }
  return null;
}

function asKey(v: MarshalValue, offset: number, what: () => string): Key {
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number') {
    const name = codeName(v[2]);
    if (name !== null) return { file: v[0], line: v[1], name };
  }
  if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'string' || typeof v[1] !== 'number' || typeof v[2] !== 'string') {
    throw new ProfileFormatError(FORMAT, `${what()}: expected a (filename, line, function) tuple, found ${describe(v)}`, offset);
  }
  return { file: v[0], line: v[1], name: v[2] };
}

function num(v: MarshalValue, offset: number, what: () => string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ProfileFormatError(FORMAT, `${what()}: expected a number, found ${describe(v)}`, offset);
}

const keyString = (k: Key): string => `${k.file}\u0000${k.line}\u0000${k.name}`;

export function readPstats(bytes: Uint8Array): Profile {
  if (bytes.length === 0) throw new ProfileFormatError(FORMAT, 'empty input', 0);
  const reader = new MarshalReader(bytes, FORMAT);
  const top = reader.read();
  if (!(top instanceof MarshalDict)) {
    throw new ProfileFormatError(FORMAT, `expected a marshalled dict, found ${describe(top)}`, 0);
  }
  if (!reader.atEnd)
    throw new ProfileFormatError(FORMAT, `${bytes.length - reader.offset} unexpected bytes after the statistics dict`, reader.offset);

  const builder = new ProfileBuilder(FORMAT, {
    weightUnit: 'ms',
    approximateCallTree: true,
    interpreter: '',
  });
  const funcOf = new Map<string, FuncIndex>();
  // Marshal back-references make a caller key the very tuple object of an earlier key: look that up first.
  const funcOfTuple = new Map<MarshalValue, FuncIndex>();
  // Where we are, for error messages only (built when one is thrown).
  const at = { entry: 0, key: null as Key | null, caller: -1 };
  const where = (): string =>
    `entry ${at.entry + 1}` +
    (at.key ? ` (${at.key.file}:${at.key.line} ${at.key.name})` : '') +
    (at.caller >= 0 ? `, caller ${at.caller + 1}` : '');
  const intern = (tuple: MarshalValue, offset: number, known?: Key): FuncIndex => {
    let f = funcOfTuple.get(tuple);
    if (f === undefined) {
      const key = known ?? asKey(tuple, offset, where);
      const s = keyString(key);
      f = funcOf.get(s);
      if (f === undefined) {
        // cProfile writes built-ins as ('~', 0, name); the profile module as ('', 0, name).
        const builtin = key.file === '~' || (key.file === '' && key.line === 0);
        f = builder.func(key.name, builtin ? '' : key.file, builtin ? 0 : key.line, builtin ? 'native' : 'python');
        funcOf.set(s, f);
      }
      funcOfTuple.set(tuple, f);
    }
    return f;
  };

  const rows: PstatsRow[] = [];
  let sawTupleCallers = false;
  let sawIntCallers = false;
  for (let i = 0; i < top.keys.length; i++) {
    const offset = top.offsets[i];
    at.entry = i;
    at.key = null;
    at.caller = -1;
    const key = asKey(top.keys[i], offset, where);
    at.key = key;
    const func = intern(top.keys[i], offset, key);
    const value = top.values[i];
    if (!Array.isArray(value) || value.length !== 5 || !(value[4] instanceof MarshalDict)) {
      throw new ProfileFormatError(FORMAT, `${where()}: expected (cc, nc, tt, ct, callers), found ${describe(value)}`, offset);
    }
    const callersDict = value[4] as MarshalDict;
    const row: PstatsRow = {
      func,
      file: key.file,
      line: key.line,
      name: key.name,
      primitiveCalls: num(value[0], offset, where),
      calls: num(value[1], offset, where),
      tottime: num(value[2], offset, where),
      cumtime: num(value[3], offset, where),
      callers: [],
    };
    for (let j = 0; j < callersDict.keys.length; j++) {
      const cOffset = callersDict.offsets[j];
      at.caller = j;
      const caller = intern(callersDict.keys[j], cOffset);
      const cv = callersDict.values[j];
      if (Array.isArray(cv) && cv.length === 4) {
        sawTupleCallers = true;
        row.callers.push({
          func: caller,
          calls: num(cv[0], cOffset, where),
          primitiveCalls: num(cv[1], cOffset, where),
          tottime: num(cv[2], cOffset, where),
          cumtime: num(cv[3], cOffset, where),
        });
      } else if (typeof cv === 'number' || typeof cv === 'bigint') {
        sawIntCallers = true;
        row.callers.push({ func: caller, calls: Number(cv), primitiveCalls: null, tottime: null, cumtime: null });
      } else {
        throw new ProfileFormatError(FORMAT, `${where()}: expected (nc, cc, tt, ct) or a call count, found ${describe(cv)}`, cOffset);
      }
    }
    rows.push(row);
  }

  // Callers may name functions that have no row of their own (a profiler enabled
  // mid-call): they exist in the function table with zero cost.
  const funcCount = builder.funcCount;
  const self = new Float64Array(funcCount);
  const total = new Float64Array(funcCount);
  const edgeCaller: number[] = [];
  const edgeCallee: number[] = [];
  const edgeCost: number[] = [];
  let totalCalls = 0;
  let primitiveCalls = 0;
  let totalTime = 0;
  for (const row of rows) {
    self[row.func] += row.tottime * 1000;
    total[row.func] += row.cumtime * 1000;
    totalCalls += row.calls;
    primitiveCalls += row.primitiveCalls;
    totalTime += row.tottime;
    // Without per-caller times, split the cumulative time by call counts; direct
    // recursive calls are left out since the outermost call's time includes them.
    const countSum = row.callers.reduce((s, c) => s + (c.func === row.func ? 0 : c.calls), 0);
    for (const c of row.callers) {
      const cost =
        c.cumtime !== null ? c.cumtime * 1000 : countSum > 0 && c.func !== row.func ? (row.cumtime * 1000 * c.calls) / countSum : 0;
      edgeCaller.push(c.func);
      edgeCallee.push(row.func);
      edgeCost.push(cost);
    }
  }

  const thread = builder.thread('0', 'main');
  emitDerivedCallTree(
    builder,
    thread,
    {
      funcCount,
      self,
      total,
      edgeCaller: Int32Array.from(edgeCaller),
      edgeCallee: Int32Array.from(edgeCallee),
      edgeCost: Float64Array.from(edgeCost),
    },
    framePerFunction(builder, funcCount),
  );

  const variant = sawIntCallers && !sawTupleCallers ? 'profile' : 'cProfile';
  builder.meta.extra.variant = variant;
  builder.meta.extra.totalCalls = String(totalCalls);
  builder.meta.extra.primitiveCalls = String(primitiveCalls);
  builder.meta.extra.totalSeconds = String(totalTime);
  builder.warn(
    'pstats records no call paths: the call tree is reconstructed from caller/callee totals (exact numbers are in the function table)',
  );
  const table: PstatsTable = { timeUnit: 's', variant, totalCalls, primitiveCalls, totalTime, rows };
  builder.attachments.pstats = table;
  return builder.build();
}

export const pstatsFormat: Format = {
  ...pstatsSignature,
  read: (bytes) => withFormatErrors(FORMAT, () => readPstats(bytes)),
};
