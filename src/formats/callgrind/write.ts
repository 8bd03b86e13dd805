/**
 * callgrind writer: profiles for KCacheGrind / QCacheGrind / callgrind_annotate.
 *
 * Layout of the output (valgrind's "Callgrind Format"):
 *   # callgrind format
 *   version: 1 / creator: / cmd: / positions: line / events: <Event>... / summary: <totals>
 *   per function:   fl=(id) file      fn=(id) name
 *                   <line> <self cost>...             one line per source line with self cost
 *   per call edge:  cfi=(id) callee file (when it differs)   cfn=(id) callee
 *                   calls=<count> <callee first line>
 *                   <call-site line> <inclusive cost>...
 * Names are compressed: the first use of a file or function writes `(id) name`,
 * later uses `(id)`. Names are written on one line: control characters become
 * the text `\x0a`. Costs are integers (durations with fractions are written in
 * the next finer unit: ms -> us -> ns).
 *
 * From samples: a function's self cost at a line is the weight of samples
 * whose innermost frame is that function at that line; an edge caller -> callee
 * at the caller's line has the weight of the samples in which that call is on
 * the stack (counted once per sample, at its outermost occurrence), and its
 * call count is the number of such samples (sampling cannot count calls).
 * Memory measured per line (model/line-metrics.ts: Scalene's MB allocated) becomes a second
 * event, `AllocBytes`, at the lines that allocated (self cost only: the measure has no call paths).
 * A profile read from callgrind (attachments.callgrind) is written back with
 * its exact events, per-line costs, call counts and inclusive costs (functions
 * the reader mapped to one profile function are merged: its calls cannot tell them apart).
 */
import { lineMetrics, metricColumn } from '../../model/line-metrics.js';
import type { Profile, WeightUnit } from '../../model/profile.js';
import type { WriteOptions } from '../registry.js';
import type { CallgrindData } from './index.js';

const EVENT_NAMES: Record<WeightUnit, string> = {
  samples: 'Samples',
  ms: 'ms',
  us: 'us',
  ns: 'ns',
  bytes: 'Bytes',
  instructions: 'Ir',
  events: 'Events',
};

/** One line, no control characters (a newline would end the record). */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `(id) name` the first time a name is used, `(id)` after; files and functions have separate ids. */
class NameCompressor {
  private readonly ids = new Map<string, number>();
  ref(name: string): string {
    const id = this.ids.get(name);
    if (id !== undefined) return `(${id})`;
    const next = this.ids.size + 1;
    this.ids.set(name, next);
    return `(${next}) ${oneLine(name)}`;
  }
}

interface FunctionOut {
  name: string;
  file: string;
  object?: string;
  firstLine: number;
  /** line -> self cost per event */
  lines: Map<number, number[]>;
  /** callee key -> call edge */
  calls: Map<string, { callee: number; line: number; calls: number; inclusive: number[] }>;
}

function addCosts(target: number[], costs: ArrayLike<number>): void {
  for (let i = 0; i < costs.length; i++) target[i] += costs[i];
}

/** Chooses an integer unit: durations with fractions move to the next finer unit. */
function integerScale(profile: Profile): { unit: WeightUnit; factor: number } {
  let unit = profile.meta.weightUnit;
  let factor = 1;
  const fractional = () =>
    profile.threads.some((t) => {
      for (let i = 0; i < t.samples.length; i++) {
        const v = t.samples.weight[i] * factor;
        if (Math.abs(v - Math.round(v)) > 1e-6) return true;
      }
      return false;
    });
  const finer: Partial<Record<WeightUnit, WeightUnit>> = { ms: 'us', us: 'ns' };
  while (finer[unit] && fractional()) {
    unit = finer[unit]!;
    factor *= 1000;
  }
  return { unit, factor };
}

/** Functions, per-line self costs and call edges from the samples. */
function fromSamples(profile: Profile, threads: number[] | undefined): { events: string[]; functions: FunctionOut[] } {
  const { stacks, frames, funcs } = profile;
  const { unit, factor } = integerScale(profile);
  const weight = new Float64Array(stacks.length);
  const count = new Float64Array(stacks.length);
  const selected = threads && threads.length > 0 ? threads : profile.threads.map((_, i) => i);
  for (const t of selected) {
    const s = profile.threads[t].samples;
    for (let i = 0; i < s.length; i++) {
      if (s.stack[i] < 0) continue;
      weight[s.stack[i]] += s.weight[i] * factor;
      count[s.stack[i]] += 1;
    }
  }
  const metrics = lineMetrics(profile);
  const alloc = metrics ? metricColumn(metrics, 'allocMb') : -1;
  const events = [EVENT_NAMES[unit], ...(alloc >= 0 ? ['AllocBytes'] : [])];
  const out = new Map<number, FunctionOut>();
  const fn = (f: number): FunctionOut => {
    let o = out.get(f);
    if (!o) {
      o = {
        name: profile.strings[funcs.name[f]],
        file: funcs.file[f] < 0 ? '???' : profile.strings[funcs.file[f]],
        firstLine: funcs.line[f],
        lines: new Map(),
        calls: new Map(),
      };
      out.set(f, o);
    }
    return o;
  };
  const outermost = new Map<number, number>(); // caller * funcs + callee -> caller's line, per sample
  for (let s = 0; s < stacks.length; s++) {
    const w = Math.round(weight[s]);
    if (count[s] === 0) continue;
    const leafFrame = stacks.frame[s];
    const leaf = fn(frames.func[leafFrame]);
    const line = frames.line[leafFrame];
    const self = leaf.lines.get(line) ?? new Array<number>(events.length).fill(0);
    self[0] += w;
    leaf.lines.set(line, self);
    outermost.clear();
    for (let cur = s; stacks.prefix[cur] >= 0; cur = stacks.prefix[cur]) {
      const callerFrame = stacks.frame[stacks.prefix[cur]];
      const key = frames.func[callerFrame] * funcs.length + frames.func[stacks.frame[cur]];
      outermost.set(key, frames.line[callerFrame]); // later = further out: the outermost wins
    }
    for (const [key, callLine] of outermost) {
      const caller = fn(Math.floor(key / funcs.length));
      const callee = key % funcs.length;
      fn(callee);
      const edgeKey = `${callee}:${callLine}`;
      let edge = caller.calls.get(edgeKey);
      if (!edge)
        caller.calls.set(edgeKey, (edge = { callee, line: callLine, calls: 0, inclusive: new Array<number>(events.length).fill(0) }));
      edge.calls += count[s];
      edge.inclusive[0] += w;
    }
  }
  if (metrics && alloc >= 0) {
    for (let r = 0; r < metrics.func.length; r++) {
      const bytes = Math.round(metrics.values[alloc][r] * 1024 * 1024);
      if (bytes <= 0) continue;
      const o = fn(metrics.func[r]);
      const self = o.lines.get(metrics.line[r]) ?? new Array<number>(events.length).fill(0);
      self[1] += bytes;
      o.lines.set(metrics.line[r], self);
    }
  }
  // Functions that are only ever callers still need a record (with no self cost).
  const functions = [...out.entries()].sort((a, b) => a[0] - b[0]);
  const index = new Map(functions.map(([f], i) => [f, i]));
  for (const [, o] of functions) for (const e of o.calls.values()) e.callee = index.get(e.callee)!;
  return { events, functions: functions.map(([, o]) => o) };
}

/** The exact data a callgrind reader kept, back in writer form. */
function fromCallgrind(data: CallgrindData, profile: Profile): { events: string[]; functions: FunctionOut[] } {
  // Calls name their ends by profile function, so functions the reader mapped to
  // one profile function (same name and file in two objects) are written as one.
  const byFunc = new Map<number, number>();
  const functions: FunctionOut[] = [];
  for (const f of data.functions) {
    let i = byFunc.get(f.func);
    if (i === undefined) {
      i = functions.length;
      byFunc.set(f.func, i);
      functions.push({
        name: f.name,
        file: f.file || '???',
        object: f.object || undefined,
        firstLine: profile.funcs.line[f.func] ?? 0,
        lines: new Map(),
        calls: new Map(),
      });
    }
    const lines = functions[i].lines;
    for (const l of f.lines) {
      const costs = lines.get(l.line) ?? new Array<number>(data.events.length).fill(0);
      addCosts(costs, l.self);
      lines.set(l.line, costs);
    }
  }
  for (const c of data.calls) {
    const caller = byFunc.get(c.caller);
    const callee = byFunc.get(c.callee);
    if (caller === undefined || callee === undefined) continue;
    const key = `${callee}:0`;
    const edge = functions[caller].calls.get(key);
    if (edge) {
      edge.calls += c.calls;
      addCosts(edge.inclusive, c.inclusive);
    } else {
      functions[caller].calls.set(key, { callee, line: 0, calls: c.calls, inclusive: c.inclusive.slice() });
    }
  }
  return { events: data.events, functions };
}

function costText(costs: number[]): string {
  return costs.map((c) => String(Math.round(c))).join(' ');
}

export function writeCallgrind(profile: Profile, options: WriteOptions = {}): string {
  const exact = profile.attachments.callgrind as CallgrindData | undefined;
  const useExact = exact !== undefined && Array.isArray(exact.functions) && !(options.threads && options.threads.length > 0);
  const { events, functions } = useExact ? fromCallgrind(exact, profile) : fromSamples(profile, options.threads);

  const totals = new Array<number>(events.length).fill(0);
  const body: string[] = [];
  const files = new NameCompressor();
  const names = new NameCompressor();
  const objects = new NameCompressor();
  for (const f of functions) {
    body.push('');
    if (f.object) body.push(`ob=${objects.ref(f.object)}`);
    body.push(`fl=${files.ref(f.file)}`, `fn=${names.ref(f.name)}`);
    const lines = [...f.lines.entries()].sort((a, b) => a[0] - b[0]);
    if (lines.length === 0) body.push(`${Math.max(0, f.firstLine)} ${costText(new Array(events.length).fill(0))}`);
    for (const [line, costs] of lines) {
      addCosts(totals, costs);
      body.push(`${Math.max(0, line)} ${costText(costs)}`);
    }
    const calls = [...f.calls.values()].sort((a, b) => a.line - b.line || a.callee - b.callee);
    for (const c of calls) {
      const callee = functions[c.callee];
      if (callee.object && callee.object !== f.object) body.push(`cob=${objects.ref(callee.object)}`);
      if (callee.file !== f.file) body.push(`cfi=${files.ref(callee.file)}`);
      body.push(
        `cfn=${names.ref(callee.name)}`,
        `calls=${Math.round(c.calls)} ${Math.max(0, callee.firstLine)}`,
        `${Math.max(0, c.line)} ${costText(c.inclusive)}`,
      );
    }
  }
  const command = profile.meta.extra.argv ?? profile.meta.extra.cmd ?? profile.meta.extra.command;
  const header = [
    '# callgrind format',
    'version: 1',
    'creator: pyrometer',
    ...(command ? [`cmd: ${oneLine(command)}`] : []),
    `desc: Converted from ${oneLine(profile.meta.format)}${profile.meta.interpreter ? ` (${oneLine(profile.meta.interpreter)})` : ''}`,
    'positions: line',
    `events: ${events.map(oneLine).join(' ')}`,
    `summary: ${costText(totals)}`,
  ];
  return `${header.join('\n')}\n${body.join('\n')}\n\ntotals: ${costText(totals)}\n`;
}
