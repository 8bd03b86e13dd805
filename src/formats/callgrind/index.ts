/**
 * Callgrind / cachegrind profiles (valgrind --tool=callgrind, xdebug, ...).
 *
 * Layout (valgrind's "Callgrind Format" reference): text lines.
 *   header  `key: value` lines: `events: Ir Dr ...` (required), `positions: line`
 *           (default; or `instr line`, `instr`), `version:`, `creator:`, `cmd:`,
 *           `pid:`, `part:`, `desc:`, and `summary:` / `totals:` (may come last)
 *   names   `ob=` object, `fl=` file of the function, `fi=`/`fe=` file of inlined
 *           code that follows, `fn=` function; `cob=`/`cfi=`/`cfl=`/`cfn=` the same
 *           for the callee of the next call. Name compression: `(id) name` defines
 *           an id, `(id)` refers to it; files (fl, fi, fe, cfi, cfl, jfi), functions
 *           (fn, cfn, jfn) and objects (ob, cob) each have their own ids.
 *   costs   `<positions> <cost per event>`: exclusive costs of the current function
 *           at that position; missing trailing costs are 0. Positions may be
 *           relative to the previous cost line's: `+N`, `-N`, `*` (same), or hex `0x..`
 *           (valgrind --compress-pos=yes). Some writers compress costs the same way
 *           (speedscope's corpus): a cost `*`, `+N` or `-N` is read relative to the
 *           previous cost line's, with a warning.
 *   calls   `calls=<count> <target position>` and then one cost line giving the
 *           call site's position and the INCLUSIVE cost of those calls. As valgrind
 *           writes them, neither line moves the base of relative positions; `fn=`
 *           resets it (and the current position file) to the function's.
 *   The callee's file is `cfi=`/`cfl=` when given just before `cfn=`, else the
 *   current file (as callgrind_annotate reads it). `jump=`/`jcnd=` lines are ignored.
 *   `#` comments and blank lines anywhere.
 *
 * What the reader makes of it:
 * - functions keyed by (object, file, name); the function's file is its `fl=` file,
 *   or its object (the binary) when the file is unknown (`???`).
 * - `attachments.callgrind`: the exact per-function exclusive and inclusive costs for
 *   every event, the call edges (count and inclusive cost) and per-line exclusive
 *   costs. Inclusive = exclusive + the inclusive cost of calls to OTHER functions.
 * - samples: a call tree derived from the call graph (derived-call-tree.ts) weighted
 *   by the FIRST event, `meta.approximateCallTree = true`: callgrind has no stacks.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { FuncIndex, Profile, WeightUnit } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { StringLines } from '../text-lines.js';
import { withFormatErrors } from '../reader-guard.js';
import type { Format } from '../registry.js';
import { emitDerivedCallTree, framePerFunction } from '../derived-call-tree.js';
import { writeCallgrind } from './write.js';
import { callgrindSignature } from './signature.js';
export { sniffCallgrind } from './signature.js';

const FORMAT = 'callgrind';

export interface CallgrindFunction {
  /** Index into profile.funcs. */
  func: FuncIndex;
  name: string;
  file: string;
  object: string;
  /** Exclusive cost per event (same order as `events`). */
  self: number[];
  /** Inclusive cost per event. */
  inclusive: number[];
  /** Exclusive cost per source line (line 0 = unknown). `file` only when it differs from the function's. */
  lines: { line: number; file?: string; self: number[] }[];
}

export interface CallgrindCall {
  caller: FuncIndex;
  callee: FuncIndex;
  calls: number;
  /** Inclusive cost of these calls per event. */
  inclusive: number[];
}

export interface CallgrindData {
  events: string[];
  /** Sum of all exclusive costs per event. */
  totals: number[];
  /** The file's own `summary:` / `totals:` line, when present. */
  summary: number[] | null;
  functions: CallgrindFunction[];
  calls: CallgrindCall[];
}

interface FnState {
  func: FuncIndex;
  name: string;
  file: string;
  object: string;
  self: Float64Array;
  out: Float64Array; // inclusive cost of calls to other functions
  lines: Map<string, Float64Array>; // `${file}\0${line}` -> costs
}

class Names {
  private readonly ids = new Map<string, string>();
  constructor(private readonly kind: string) {}
  /** Resolves `(id) name`, `(id)` or a plain name. */
  resolve(value: string, fail: (detail: string) => never): string {
    if (value.charCodeAt(0) !== 0x28 /* ( */) return value;
    const close = value.indexOf(')');
    if (close < 0) return value;
    const id = value.slice(1, close);
    if (!/^\d+$/.test(id)) return value;
    const name = value.slice(close + 1).trim();
    if (name !== '') {
      this.ids.set(id, name);
      return name;
    }
    const known = this.ids.get(id);
    if (known === undefined) fail(`${this.kind} name id (${id}) used before it was defined`);
    return known;
  }
}

// `s`: with `.` unable to cross a line separator, `:\s*(.*)$` backtracked quadratically on blanks.
const HEADER = /^([A-Za-z][\w-]*):(.*)$/s;

function weightUnitFor(event: string): WeightUnit {
  if (/^(Ir|Instructions?|instr)$/i.test(event)) return 'instructions';
  // The events pyrometer's callgrind writer uses for sampled and timed profiles.
  if (/^samples$/i.test(event)) return 'samples';
  if (/^(ms|us|ns)$/.test(event)) return event as WeightUnit;
  if (/^bytes$/i.test(event)) return 'bytes';
  return 'events';
}

export function readCallgrind(bytes: Uint8Array): Profile {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new ProfileFormatError(FORMAT, 'empty input', 0);

  const builder = new ProfileBuilder(FORMAT, { approximateCallTree: true, interpreter: '' });
  const fileNames = new Names('file');
  const fnNames = new Names('function');
  const obNames = new Names('object');

  let events: string[] | null = null;
  let nEvents = 0;
  let positions = ['line'];
  let lineColumn = 0;
  let last: number[] = [0];
  let summary: number[] | null = null;

  let object = '';
  let file = '';
  let posFile = '';
  let current: FnState | null = null;
  const functions = new Map<string, FnState>();
  const fnList: FnState[] = [];
  const calls = new Map<string, { caller: FnState; callee: FnState; calls: number; inclusive: Float64Array }>();

  let calleeObject: string | null = null;
  let calleeFile: string | null = null;
  let callee: FnState | null = null;
  let pendingCalls = -1; // >= 0: the next cost line is the inclusive cost of `pendingCalls` calls

  let lineNo = 0;
  const fail = (detail: string): never => {
    throw new ProfileFormatError(FORMAT, detail, -1, lineNo);
  };

  const fnState = (name: string, fnFile: string, fnObject: string): FnState => {
    const key = `${fnObject}\u0000${fnFile}\u0000${name}`;
    let s = functions.get(key);
    if (!s) {
      const displayFile = fnFile === '' || fnFile === '???' ? fnObject : fnFile;
      s = {
        func: builder.func(name, displayFile, 0, 'native'),
        name,
        file: fnFile,
        object: fnObject,
        self: new Float64Array(nEvents),
        out: new Float64Array(nEvents),
        lines: new Map(),
      };
      functions.set(key, s);
      fnList.push(s);
    }
    return s;
  };

  /** Parses the positions and costs of a cost line into `costs`; returns the line number position. */
  const costs = new Float64Array(64);
  const lastCosts = new Float64Array(64);
  let relativeCosts = false;
  const parseCostLine = (line: string, moveBase: boolean): number => {
    let i = 0;
    const n = line.length;
    let sourceLine = 0;
    for (let p = 0; p < positions.length; p++) {
      while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
      const start = i;
      while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
      const token = line.slice(start, i);
      let value: number;
      if (token === '*') value = last[p];
      else if (token[0] === '+') value = last[p] + parseNumber(token.slice(1));
      else if (token[0] === '-') value = last[p] - parseNumber(token.slice(1));
      else value = parseNumber(token);
      if (Number.isNaN(value)) fail(`bad position ${JSON.stringify(token)}`);
      if (moveBase) last[p] = value;
      if (p === lineColumn) sourceLine = value;
    }
    costs.fill(0, 0, nEvents);
    let e = 0;
    while (i < n) {
      while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
      if (i >= n) break;
      const start = i;
      while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
      if (e >= nEvents) fail(`more costs than the ${nEvents} events declared`);
      const token = line.slice(start, i);
      let v: number;
      // Not in valgrind's format, but in files other tools (and speedscope's corpus) write:
      // a cost of `*` repeats the previous cost line's, `+N` and `-N` are relative to it.
      if (token === '*') v = lastCosts[e];
      else if (token[0] === '-') v = lastCosts[e] - parseNumber(token.slice(1));
      else if (token[0] === '+') v = lastCosts[e] + parseNumber(token.slice(1));
      else v = parseNumber(token);
      if (Number.isNaN(v) || v < 0) fail(`bad cost ${JSON.stringify(token)}`);
      if (token === '*' || token[0] === '-' || token[0] === '+') relativeCosts = true;
      costs[e++] = v;
    }
    lastCosts.set(costs.subarray(0, nEvents));
    return lineColumn < 0 ? 0 : sourceLine;
  };

  const header = (key: string, value: string) => {
    switch (key) {
      case 'events':
        if (events !== null && fnList.length > 0) fail('a second events: line after costs');
        events = value.split(/\s+/).filter(Boolean);
        if (events.length === 0) fail('events: line names no events');
        if (events.length > costs.length) fail(`too many events (${events.length})`);
        nEvents = events.length;
        break;
      case 'positions':
        positions = value.split(/\s+/).filter(Boolean);
        if (positions.length === 0) positions = ['line'];
        lineColumn = positions.indexOf('line');
        last = positions.map(() => 0);
        break;
      case 'summary':
      case 'totals':
        summary = value.split(/\s+/).filter(Boolean).map(Number);
        builder.meta.extra[key] = value;
        break;
      case 'desc':
        builder.meta.extra.desc = builder.meta.extra.desc ? `${builder.meta.extra.desc}\n${value}` : value;
        break;
      default:
        builder.meta.extra[key] = value;
    }
  };

  const lines = new StringLines(text);
  for (let line = lines.next(); line !== null; line = lines.next()) {
    lineNo = lines.number;
    if (line === '' || line[0] === '#') continue;
    const c = line.charCodeAt(0);
    // Cost lines: start with a position (digit, +, -, * or 0x).
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (events === null) fail('cost line before the events: line');
      const fnNow: FnState = current ?? fail('cost line before any fn= line');
      const sourceLine = parseCostLine(line, pendingCalls < 0);
      if (pendingCalls >= 0) {
        const target: FnState = callee ?? fail('calls= without cfn=');
        if (target !== fnNow) {
          const key = `${fnNow.func}:${target.func}`;
          let edge = calls.get(key);
          if (!edge) {
            edge = { caller: fnNow, callee: target, calls: 0, inclusive: new Float64Array(nEvents) };
            calls.set(key, edge);
          }
          edge.calls += pendingCalls;
          for (let e = 0; e < nEvents; e++) {
            edge.inclusive[e] += costs[e];
            fnNow.out[e] += costs[e];
          }
        } else {
          // A call to itself: callgrind counts its cost inside the caller's own lines already.
          const key = `${fnNow.func}:${fnNow.func}`;
          let edge = calls.get(key);
          if (!edge) {
            edge = { caller: fnNow, callee: fnNow, calls: 0, inclusive: new Float64Array(nEvents) };
            calls.set(key, edge);
          }
          edge.calls += pendingCalls;
          for (let e = 0; e < nEvents; e++) edge.inclusive[e] += costs[e];
        }
        pendingCalls = -1;
        continue;
      }
      for (let e = 0; e < nEvents; e++) fnNow.self[e] += costs[e];
      const lineKey = posFile === fnNow.file ? `\u0000${sourceLine}` : `${posFile}\u0000${sourceLine}`;
      let lineCost = fnNow.lines.get(lineKey);
      if (!lineCost) {
        lineCost = new Float64Array(nEvents);
        fnNow.lines.set(lineKey, lineCost);
      }
      for (let e = 0; e < nEvents; e++) lineCost[e] += costs[e];
      continue;
    }
    const eq = line.indexOf('=');
    const colon = line.indexOf(':');
    if (eq > 0 && (colon < 0 || eq < colon) && /^[a-z]+$/.test(line.slice(0, eq))) {
      const spec = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (pendingCalls >= 0) fail(`expected the cost line of a call, found ${spec}=`);
      switch (spec) {
        case 'ob':
          object = obNames.resolve(value, fail);
          break;
        case 'fl':
          file = fileNames.resolve(value, fail);
          posFile = file;
          break;
        case 'fi':
        case 'fe':
          posFile = fileNames.resolve(value, fail);
          if (current === null) fail(`${spec}= before any fn= line`);
          break;
        case 'fn':
          if (events === null) fail('fn= before the events: line');
          current = fnState(fnNames.resolve(value, fail), file, object);
          posFile = file;
          last.fill(0);
          calleeObject = null;
          calleeFile = null;
          break;
        case 'cob':
          calleeObject = obNames.resolve(value, fail);
          break;
        case 'cfi':
        case 'cfl':
          calleeFile = fileNames.resolve(value, fail);
          break;
        case 'cfn': {
          if (events === null) fail('cfn= before the events: line');
          const name = fnNames.resolve(value, fail);
          callee = fnState(name, calleeFile ?? posFile, calleeObject ?? object);
          calleeFile = null;
          calleeObject = null;
          break;
        }
        case 'calls': {
          const m = /^(\d+)/.exec(value);
          if (!m) fail(`bad calls= count ${JSON.stringify(value)}`);
          if (callee === null) fail('calls= without cfn=');
          if (current === null) fail('calls= before any fn= line');
          pendingCalls = Number(m![1]);
          break;
        }
        case 'jfi':
          fileNames.resolve(value, fail); // may define an id
          break;
        case 'jfn':
          fnNames.resolve(value, fail);
          break;
        case 'jump':
        case 'jcnd':
          break;
        default:
          // Newer or rarer specifications (rec=, frfn=, ln=...) do not change costs.
          builder.warn(`ignored ${spec}= lines`);
      }
      continue;
    }
    const h = HEADER.exec(line);
    if (h) {
      header(h[1], h[2].trim());
      continue;
    }
    fail(`unexpected line ${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line)}`);
  }
  lineNo++;
  if (pendingCalls >= 0) fail('file ends after calls= without its cost line');
  if (events === null) throw new ProfileFormatError(FORMAT, 'missing events: line', -1, lineNo);
  const eventNames: string[] = events;

  builder.meta.weightUnit = weightUnitFor(eventNames[0]);
  builder.meta.extra.events = eventNames.join(' ');
  builder.meta.extra.weightEvent = eventNames[0];
  if (builder.meta.extra.cmd && /python/i.test(builder.meta.extra.cmd)) {
    builder.meta.interpreter = /pypy/i.test(builder.meta.extra.cmd) ? 'pypy' : 'cpython';
  }

  // The derived tree, weighted by the first event.
  const funcCount = builder.funcCount;
  const self = new Float64Array(funcCount);
  const total = new Float64Array(funcCount);
  // One model function can stand for several (object, file, name) triples, e.g. the
  // same libc source compiled into ld.so and libc.so: their costs add up.
  for (const f of fnList) {
    self[f.func] += f.self[0];
    total[f.func] += f.self[0] + f.out[0];
  }
  const edges = [...calls.values()];
  const thread = builder.thread(builder.meta.extra.pid ?? '0', 'main', builder.meta.extra.pid ?? '');
  emitDerivedCallTree(
    builder,
    thread,
    {
      funcCount,
      self,
      total,
      edgeCaller: Int32Array.from(edges, (e) => e.caller.func),
      edgeCallee: Int32Array.from(edges, (e) => e.callee.func),
      edgeCost: Float64Array.from(edges, (e) => e.inclusive[0]),
    },
    framePerFunction(builder, funcCount),
  );

  const totals = new Array<number>(nEvents).fill(0);
  for (const f of fnList) for (let e = 0; e < nEvents; e++) totals[e] += f.self[e];
  if (summary !== null && (summary as number[])[0] !== totals[0]) {
    builder.warn(`the file's summary (${(summary as number[])[0]}) differs from the sum of its costs (${totals[0]})`);
  }
  if (relativeCosts)
    builder.warn('costs written relative to the previous cost line (`*`, `+N`, `-N`) were read so; valgrind never writes them');
  builder.warn(
    'callgrind records no call paths: the call tree is reconstructed from call-edge costs (exact costs are in the function table)',
  );
  const data: CallgrindData = {
    events: eventNames,
    totals,
    summary,
    functions: fnList.map((f) => ({
      func: f.func,
      name: f.name,
      file: f.file,
      object: f.object,
      self: Array.from(f.self),
      inclusive: Array.from(f.self, (v, e) => v + f.out[e]),
      lines: [...f.lines].map(([key, c]) => {
        const sep = key.indexOf('\u0000');
        const lineFile = key.slice(0, sep);
        const row: { line: number; file?: string; self: number[] } = { line: Number(key.slice(sep + 1)), self: Array.from(c) };
        if (lineFile !== '') row.file = lineFile;
        return row;
      }),
    })),
    calls: edges.map((e) => ({ caller: e.caller.func, callee: e.callee.func, calls: e.calls, inclusive: Array.from(e.inclusive) })),
  };
  builder.attachments.callgrind = data;
  return builder.build();
}

function parseNumber(token: string): number {
  if (token === '') return NaN;
  if (token.length > 2 && token[0] === '0' && (token[1] === 'x' || token[1] === 'X')) {
    return /^[0-9a-fA-F]+$/.test(token.slice(2)) ? parseInt(token.slice(2), 16) : NaN;
  }
  // Plain decimal digits only (Number() would also accept "1e3" or " ").
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  return Number(token);
}

/**
 * Exclusive cost (first event) per line of one source file, from a callgrind profile's exact
 * per-line costs: its samples are a derived call tree whose frames carry no lines, so a source
 * view reads the lines here. Null when the profile is not from callgrind or has no line of the file.
 */
export function callgrindFileLines(profile: Profile, file: string): Map<number, number> | null {
  const data = profile.attachments.callgrind as CallgrindData | undefined;
  if (!data) return null;
  const out = new Map<number, number>();
  for (const f of data.functions) {
    for (const row of f.lines) {
      if (row.line <= 0 || (row.file ?? f.file) !== file) continue;
      out.set(row.line, (out.get(row.line) ?? 0) + row.self[0]);
    }
  }
  return out.size > 0 ? out : null;
}

export const callgrindFormat: Format = {
  ...callgrindSignature,
  read: (bytes) => withFormatErrors(FORMAT, () => readCallgrind(bytes)),
  write: (profile, options) => writeCallgrind(profile, options),
};
