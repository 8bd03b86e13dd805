/**
 * The Chrome Trace Event Format (chrome://tracing, Perfetto's JSON export,
 * VizTracer, Hermes, and Chrome DevTools performance traces).
 *
 * Layout: `[event, ...]` (which may be cut off: no closing `]`, a trailing
 * comma) or `{ "traceEvents": [event, ...], ...other keys }`. An event is
 *   { ph, name?, cat?, pid, tid, ts (us), dur?/tdur? (us, for "X"), args?, id?, s? }
 * with ph "B"/"E" (begin/end of a slice on a thread), "X" (a complete slice),
 * "i"/"I"/"n"/"R" (instants), "C" (counter: args holds the series values),
 * "M" (metadata: thread_name, process_name), "P" (samples: DevTools'
 * `Profile`/`ProfileChunk` carrying a CPU profile in pieces), and the old
 * DevTools timelines' `CpuProfile` instant carrying a whole .cpuprofile. A
 * third layout, `{ traceEvents, stackFrames: {id: {name, category, parent}},
 * samples: [{pid, tid, ts, sf}] }`, carries samples of stack frames.
 *
 * What the reader makes of it:
 * - With CPU profile samples (DevTools traces): one thread per profile, its
 *   samples read as chrome.ts reads a .cpuprofile; the B/E/X slices become
 *   markers (with nesting depth) on their threads.
 * - Otherwise (tracers): one thread per (pid, tid); the B/E/X slices are the
 *   call stacks, one sample per interval between two slice boundaries,
 *   weighted by its length in ms, at its real time. Slices are matched the
 *   way speedscope's importer matches them (begin and end queues in time
 *   order; an end event closes the innermost open slice of the same name, a
 *   mismatched end is skipped with a warning; slices still open at the end
 *   close at the thread's last matched event).
 * - Instants become zero-length markers, async spans ("b"/"e", "S"/"F",
 *   matched by process, category, id and name) markers on the begin's thread;
 *   counters become counters (one per process, name and series).
 * - VizTracer names slices `func (file:line)`: those become Python functions
 *   with their file and line; Hermes puts url/line in args.
 * Times are ms from the earliest event. Big files are read as a stream of
 * events (json-stream.ts): memory follows the events kept, not the text.
 */
import { ProfileBuilder } from '../model/builder.js';
import { GrowableColumn } from '../model/columns.js';
import type { Profile, StackIndex } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format, ReadOptions } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject } from './json-input.js';
import { JsonArrayStream } from './json-stream.js';
import { addTimedSamples, collectNodes, stackResolver, type CallNode } from './chrome.js';
import { withFormatErrors } from './reader-guard.js';
import { traceEventSignature } from './signatures/trace-event.js';
export { sniffTraceEvents } from './signatures/trace-event.js';

const FORMAT = 'trace-event';

const PH_BEGIN = 0;
const PH_END = 1;

/** The B/E/X slices of one thread, as columns (a 100 MB trace has millions). */
class SliceColumns {
  phase = new GrowableColumn(Uint8Array);
  ts = new GrowableColumn(Float64Array);
  name = new GrowableColumn(Int32Array);
  key = new GrowableColumn(Int32Array); // name + args, as speedscope keys frames: -1 without args
  cat = new GrowableColumn(Int32Array);
}

interface ThreadData {
  pid: string;
  tid: string;
  slices: SliceColumns;
  xStart: number[]; // X events: index of their begin in `xSlices`
  /** Instants (end undefined) and async spans. */
  instants: { name: string; ts: number; end?: number; cat: string; args: Record<string, unknown> | null }[];
}

interface CpuSession {
  pid: string;
  tid: string;
  start: number;
  end: number;
  nodes: Map<number, CallNode>;
  samples: number[];
  deltas: number[];
}

interface Counter {
  pid: string;
  name: string;
  time: number[];
  value: number[];
}

/** Turns "x" / 12 / "12" into a key string; missing becomes "". */
function idOf(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function timeOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : NaN;
}

/** Reads events one at a time; `finish` builds the profile. */
class TraceReader {
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly threads = new Map<string, ThreadData>();
  private readonly threadNames = new Map<string, string>();
  private readonly processNames = new Map<string, string>();
  private readonly sessions = new Map<string, CpuSession>();
  private readonly counters = new Map<string, Counter>();
  private readonly ignored = new Map<string, number>();
  private readonly asyncOpen = new Map<string, { ts: number; tid: string; args: Record<string, unknown> | null }[]>();
  private minTs = Infinity;
  private count = 0;
  private xEvents = new Map<string, { ts: number; dur: number; name: number; key: number; cat: number; order: number }[]>();

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  private thread(pid: string, tid: string): ThreadData {
    const key = `${pid}\u0000${tid}`;
    let t = this.threads.get(key);
    if (!t) {
      t = { pid, tid, slices: new SliceColumns(), xStart: [], instants: [] };
      this.threads.set(key, t);
    }
    return t;
  }

  event(value: unknown, where: string): void {
    this.count++;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new JsonShapeError(`${where}: expected an event object`);
    }
    const ev = value as Record<string, unknown>;
    const ph = typeof ev.ph === 'string' ? ev.ph : '';
    const pid = idOf(ev.pid);
    const tid = idOf(ev.tid);
    const name = typeof ev.name === 'string' ? ev.name : '';
    const args = typeof ev.args === 'object' && ev.args !== null && !Array.isArray(ev.args) ? (ev.args as Record<string, unknown>) : null;
    if (name === 'Profile' || name === 'ProfileChunk' || name === 'CpuProfile') {
      this.cpuProfileEvent(ev, name, pid, tid, args, where);
      return;
    }
    switch (ph) {
      case 'B':
      case 'E':
      case 'X': {
        const ts = timeOf(ev.ts);
        if (Number.isNaN(ts)) throw new JsonShapeError(`${where}.ts: expected a number for a "${ph}" event`);
        if (ts < this.minTs) this.minTs = ts;
        const label = name === '' ? '(unnamed)' : name;
        const nameId = this.intern(label);
        const key = args && Object.keys(args).length > 0 ? this.intern(`${label} ${JSON.stringify(args)}`) : -1;
        const cat = this.intern(typeof ev.cat === 'string' ? ev.cat : '');
        const t = this.thread(pid, tid);
        if (args && typeof args.url === 'string' && !this.frameInfo.has(nameId)) {
          // Hermes: the source position is in args.
          const line = typeof args.line === 'number' ? args.line : 0;
          this.frameInfo.set(nameId, { file: args.url, line });
        }
        if (ph === 'X') {
          const dur = timeOf(ev.dur ?? ev.tdur ?? 0);
          const list = this.xEvents.get(`${pid}\u0000${tid}`) ?? [];
          if (list.length === 0) this.xEvents.set(`${pid}\u0000${tid}`, list);
          list.push({ ts, dur: Number.isNaN(dur) || dur < 0 ? 0 : dur, name: nameId, key, cat, order: list.length });
          return;
        }
        t.slices.phase.push(ph === 'B' ? PH_BEGIN : PH_END);
        t.slices.ts.push(ts);
        t.slices.name.push(nameId);
        t.slices.key.push(key);
        t.slices.cat.push(cat);
        return;
      }
      case 'i':
      case 'I':
      case 'n':
      case 'R': {
        const ts = timeOf(ev.ts);
        if (Number.isNaN(ts)) return;
        if (ts < this.minTs) this.minTs = ts;
        this.thread(pid, tid).instants.push({ name: name || '(instant)', ts, cat: typeof ev.cat === 'string' ? ev.cat : 'instant', args });
        return;
      }
      case 'C': {
        const ts = timeOf(ev.ts);
        if (Number.isNaN(ts) || !args) return;
        if (ts < this.minTs) this.minTs = ts;
        const id = ev.id === undefined ? '' : ` ${idOf(ev.id)}`;
        for (const [series, v] of Object.entries(args)) {
          const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
          if (!Number.isFinite(n)) continue;
          const counterName = `${name}${id}${series === 'value' || Object.keys(args).length === 1 ? '' : `.${series}`}`;
          const key = `${pid}\u0000${counterName}`;
          let c = this.counters.get(key);
          if (!c) {
            c = { pid, name: counterName, time: [], value: [] };
            this.counters.set(key, c);
          }
          c.time.push(ts);
          c.value.push(n);
        }
        return;
      }
      case 'b':
      case 'S':
      case 'e':
      case 'F': {
        // Async spans: begin and end share (process, category, id, name); the span goes on the begin's thread.
        const ts = timeOf(ev.ts);
        if (Number.isNaN(ts)) return;
        if (ts < this.minTs) this.minTs = ts;
        const id = idOf(ev.id ?? (typeof ev.id2 === 'object' && ev.id2 !== null ? JSON.stringify(ev.id2) : ''));
        const key = `${pid}\u0000${typeof ev.cat === 'string' ? ev.cat : ''}\u0000${id}\u0000${name}`;
        if (ph === 'b' || ph === 'S') {
          const open = this.asyncOpen.get(key) ?? [];
          open.push({ ts, tid, args });
          this.asyncOpen.set(key, open);
        } else {
          const begin = this.asyncOpen.get(key)?.pop();
          if (!begin) {
            this.ignored.set(`unmatched ${ph}`, (this.ignored.get(`unmatched ${ph}`) ?? 0) + 1);
            return;
          }
          this.thread(pid, begin.tid).instants.push({
            name: name || '(async)',
            ts: begin.ts,
            end: ts,
            cat: typeof ev.cat === 'string' ? ev.cat : 'async',
            args: begin.args,
          });
        }
        return;
      }
      case 'M':
        if (args && typeof args.name === 'string') {
          if (name === 'thread_name') this.threadNames.set(`${pid}\u0000${tid}`, args.name);
          else if (name === 'process_name') this.processNames.set(pid, args.name);
        }
        return;
      default:
        this.ignored.set(ph, (this.ignored.get(ph) ?? 0) + 1);
    }
  }

  private readonly frameInfo = new Map<number, { file: string; line: number }>();

  private cpuProfileEvent(
    ev: Record<string, unknown>,
    name: string,
    pid: string,
    tid: string,
    args: Record<string, unknown> | null,
    where: string,
  ): void {
    const data = args && typeof args.data === 'object' && args.data !== null ? (args.data as Record<string, unknown>) : null;
    const key = `${pid}\u0000${ev.id === undefined ? `${pid}:${tid}` : idOf(ev.id)}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = { pid, tid, start: NaN, end: NaN, nodes: new Map(), samples: [], deltas: [] };
      this.sessions.set(key, session);
    }
    if (name === 'Profile') {
      // The Profile event says which thread was sampled; chunks may come from a helper thread.
      session.tid = tid;
      if (data && typeof data.startTime === 'number') session.start = data.startTime;
      return;
    }
    if (!data) return; // Some DevTools traces have chunks without data.
    const profile = name === 'CpuProfile' ? data.cpuProfile : data.cpuProfile;
    const cpu = profile === undefined ? {} : asObject(profile, `${where}.args.data.cpuProfile`);
    const path = `${where}.args.data.cpuProfile`;
    if (cpu.nodes !== undefined) collectNodes(session.nodes, asArray(cpu.nodes, `${path}.nodes`), path);
    const samples = asArray(cpu.samples ?? [], `${path}.samples`);
    // Old timelines keep timeDeltas, startTime and endTime inside cpuProfile; chunks keep deltas beside it.
    const source = name === 'CpuProfile' ? cpu : data;
    const deltas = asArray(source.timeDeltas ?? [], `${where}.timeDeltas`);
    if (deltas.length !== samples.length)
      throw new JsonShapeError(`${where}.timeDeltas: ${deltas.length} deltas for ${samples.length} samples`);
    if (name === 'CpuProfile') session.tid = tid;
    if (typeof source.startTime === 'number' && Number.isNaN(session.start)) session.start = source.startTime;
    if (typeof source.endTime === 'number') session.end = source.endTime;
    for (let k = 0; k < samples.length; k++) {
      session.samples.push(asNumber(samples[k], `${path}.samples[${k}]`));
      session.deltas.push(asNumber(deltas[k], `${where}.timeDeltas[${k}]`));
    }
  }

  finish(others: Record<string, unknown>, truncated: boolean, droppedPartial: boolean): Profile {
    const hasCpu = [...this.sessions.values()].some((s) => s.samples.length > 0);
    const builder = new ProfileBuilder(hasCpu ? 'chrome' : FORMAT, { weightUnit: 'ms' });
    if (truncated)
      builder.warn(`the trace ends without closing its event list${droppedPartial ? ' (the last, unfinished event was dropped)' : ''}`);
    const stackFrames = others.stackFrames;
    const sampleList = others.samples;
    if (Array.isArray(sampleList) && typeof stackFrames === 'object' && stackFrames !== null) {
      this.readFrameSamples(builder, stackFrames as Record<string, unknown>, sampleList);
    } else if (hasCpu) {
      this.readCpuSessions(builder);
    }
    const base = Number.isFinite(this.minTs) ? this.minTs : 0;
    const sliceMode = hasCpu || builder.stackCount > 0 ? 'markers' : 'samples';
    const keys = [...new Set([...this.threads.keys(), ...this.xEvents.keys()])].sort(compareThreadKeys);
    for (const key of keys) {
      const [pid, tid] = key.split('\u0000');
      const data = this.thread(pid, tid);
      const thread = builder.thread(tid, this.threadName(pid, tid), pid);
      this.readSlices(builder, thread, data, this.xEvents.get(key) ?? [], base, sliceMode);
      for (const m of data.instants)
        builder.addMarker(thread, m.name, (m.ts - base) / 1000, ((m.end ?? m.ts) - base) / 1000, m.cat, m.args);
    }
    for (const c of this.counters.values()) {
      const order = c.time.map((_, i) => i).sort((a, b) => c.time[a] - c.time[b] || a - b);
      const processName = this.processNames.get(c.pid);
      builder.addCounter({
        name: c.pid ? `${c.name} (${processName ? `${processName}, ` : ''}pid ${c.pid})` : c.name,
        category: 'trace',
        unit: 'count',
        thread: -1,
        time: Float64Array.from(order, (i) => (c.time[i] - base) / 1000),
        value: Float64Array.from(order, (i) => c.value[i]),
      });
    }
    if (this.ignored.size > 0) {
      const list = [...this.ignored].map(([ph, n]) => `${n} "${ph}"`).join(', ');
      builder.warn(`events of phases this reader does not use were skipped: ${list}`);
    }
    if (this.count === 0) builder.warn('the trace has no events');
    return builder.build();
  }

  private threadName(pid: string, tid: string): string {
    return this.threadNames.get(`${pid}\u0000${tid}`) ?? this.processNames.get(pid) ?? '';
  }

  private readCpuSessions(builder: ProfileBuilder): void {
    let base = Infinity;
    for (const s of this.sessions.values())
      if (s.samples.length > 0 && Number.isFinite(s.start)) base = Math.min(base, s.start + (s.deltas[0] ?? 0));
    for (const s of this.sessions.values()) {
      if (s.samples.length === 0) continue;
      const thread = builder.thread(s.tid, this.threadName(s.pid, s.tid), s.pid);
      const stackOf = stackResolver(builder, s.nodes, true);
      let t = Number.isFinite(s.start) ? s.start : 0;
      const times: number[] = [];
      const stacks: StackIndex[] = s.samples.map((id, i) => {
        t += s.deltas[i];
        times.push(t);
        return stackOf(id, `sample ${i} of the profile in process ${s.pid}`);
      });
      addTimedSamples(builder, thread, stacks, times, Number.isFinite(s.end) ? s.end : -1, Number.isFinite(base) ? base : NaN);
    }
    // Markers share the samples' clock: trace timestamps and profile times are both the trace clock.
    if (Number.isFinite(base)) this.minTs = Math.min(this.minTs, base);
  }

  /** The `samples` + `stackFrames` layout: each sample names its innermost frame; weights are the time to the next sample. */
  private readFrameSamples(builder: ProfileBuilder, stackFrames: Record<string, unknown>, samples: unknown[]): void {
    const stacks = new Map<string, StackIndex>();
    const stackOf = (id: string, where: string): StackIndex => {
      const known = stacks.get(id);
      if (known !== undefined) return known;
      const chain: string[] = [];
      for (let cur: string | undefined = id; cur !== undefined && cur !== '' && !stacks.has(cur); ) {
        chain.push(cur);
        if (chain.length > 100000) throw new JsonShapeError(`${where}: stack frame ${id} is its own ancestor`);
        const raw: unknown = stackFrames[cur];
        if (typeof raw !== 'object' || raw === null) throw new JsonShapeError(`${where}: no stack frame ${cur}`);
        const parent: unknown = (raw as Record<string, unknown>).parent;
        cur = parent === undefined || parent === null ? undefined : idOf(parent);
      }
      let top: StackIndex =
        chain.length > 0 ? (stacks.get(idOf((stackFrames[chain[chain.length - 1]] as Record<string, unknown>).parent)) ?? -1) : -1;
      for (let i = chain.length - 1; i >= 0; i--) {
        const raw = stackFrames[chain[i]] as Record<string, unknown>;
        const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : '(unnamed)';
        const category = typeof raw.category === 'string' ? raw.category : '';
        const func = builder.func(name, category, 0, 'other');
        top = builder.stack(top, builder.frame(func));
        stacks.set(chain[i], top);
      }
      return top;
    };
    const byThread = new Map<string, { pid: string; tid: string; ts: number[]; stack: StackIndex[] }>();
    samples.forEach((value, i) => {
      const s = asObject(value, `$.samples[${i}]`);
      const pid = idOf(s.pid);
      const tid = idOf(s.tid);
      const ts = timeOf(s.ts);
      if (Number.isNaN(ts)) throw new JsonShapeError(`$.samples[${i}].ts: expected a number`);
      const key = `${pid}\u0000${tid}`;
      let list = byThread.get(key);
      if (!list) {
        list = { pid, tid, ts: [], stack: [] };
        byThread.set(key, list);
      }
      list.ts.push(ts);
      list.stack.push(stackOf(idOf(s.sf), `$.samples[${i}].sf`));
      if (ts < this.minTs) this.minTs = ts;
    });
    const base = this.minTs;
    for (const key of [...byThread.keys()].sort(compareThreadKeys)) {
      const list = byThread.get(key)!;
      const thread = builder.thread(list.tid, this.threadName(list.pid, list.tid), list.pid);
      // As speedscope: each sample lasts until the next one of its thread; the last has no length.
      for (let i = 0; i < list.ts.length; i++) {
        const next = i + 1 < list.ts.length ? list.ts[i + 1] : list.ts[i];
        builder.addSample(thread, list.stack[i], (list.ts[i] - base) / 1000, Math.max(0, next - list.ts[i]) / 1000);
      }
    }
  }

  private readonly frameOfName = new Map<number, number>();

  /** The frame for a slice name, made once per name (the VizTracer pattern is a regex). */
  private funcFrame(builder: ProfileBuilder, nameId: number): number {
    let frame = this.frameOfName.get(nameId);
    if (frame === undefined) {
      frame = this.makeFrame(builder, nameId);
      this.frameOfName.set(nameId, frame);
    }
    return frame;
  }

  private makeFrame(builder: ProfileBuilder, nameId: number): number {
    const name = this.strings[nameId];
    const info = this.frameInfo.get(nameId);
    if (info) return builder.frame(builder.func(name, info.file, info.line, 'other'), info.line);
    // VizTracer: "func (path/to/file.py:12)".
    const m = /^(.+) \(([^()]+\.pyw?):(\d+)\)$/.exec(name);
    if (m) return builder.frame(builder.func(m[1], m[2], Number(m[3]), 'python'), Number(m[3]));
    return builder.frame(builder.func(name, '', 0, 'other'));
  }

  /** Matches begins and ends of one thread's slices in time order and emits samples or markers. */
  private readSlices(
    builder: ProfileBuilder,
    thread: number,
    data: ThreadData,
    xs: { ts: number; dur: number; name: number; key: number; cat: number; order: number }[],
    base: number,
    mode: 'samples' | 'markers',
  ): void {
    const c = data.slices;
    const n = c.phase.length;
    // Begin and end queues: indices into one table of events (slices first, then X begins, then X ends).
    const ts: number[] = [];
    const name: number[] = [];
    const key: number[] = [];
    const cat: number[] = [];
    const begins: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < n; i++) {
      ts.push(c.ts.get(i));
      name.push(c.name.get(i));
      key.push(c.key.get(i));
      cat.push(c.cat.get(i));
      (c.phase.get(i) === PH_BEGIN ? begins : ends).push(i);
    }
    // Of X slices starting together the longer one encloses the shorter.
    xs.sort((a, b) => a.ts - b.ts || b.dur - a.dur || a.order - b.order);
    for (const x of xs) {
      for (const [at, queue] of [
        [x.ts, begins],
        [x.ts + x.dur, ends],
      ] as const) {
        queue.push(ts.length);
        ts.push(at);
        name.push(x.name);
        key.push(x.key);
        cat.push(x.cat);
      }
    }
    // Stable sorts: equal times keep file order.
    begins.sort((a, b) => ts[a] - ts[b] || a - b);
    ends.sort((a, b) => ts[a] - ts[b] || a - b);

    const open: { event: number; stack: StackIndex; start: number }[] = [];
    let last = NaN;
    let bi = 0;
    let ei = 0;
    let unmatched = 0;
    const advance = (t: number) => {
      if (mode === 'samples' && open.length > 0 && t > last) {
        builder.addSample(thread, open[open.length - 1].stack, (last - base) / 1000, (t - last) / 1000);
      }
      if (!(t <= last)) last = t;
    };
    const close = (t: number) => {
      const top = open.pop()!;
      if (mode === 'markers') {
        builder.addMarker(
          thread,
          this.strings[name[top.event]],
          (top.start - base) / 1000,
          (t - base) / 1000,
          this.strings[cat[top.event]] || 'trace',
          null,
          open.length,
        );
      }
    };
    const sameKey = (a: number, b: number) => key[a] === key[b] && name[a] === name[b];
    while (bi < begins.length || ei < ends.length) {
      let takeBegin: boolean;
      if (ei >= ends.length) takeBegin = true;
      else if (bi >= begins.length) takeBegin = false;
      else {
        const b = begins[bi];
        const e = ends[ei];
        // A begin and an end at the same time: a zero-length slice opens first, otherwise the end closes first.
        takeBegin = ts[b] < ts[e] || (ts[b] === ts[e] && sameKey(b, e));
      }
      if (takeBegin) {
        const b = begins[bi++];
        advance(ts[b]);
        const prefix = open.length > 0 ? open[open.length - 1].stack : -1;
        const stack = mode === 'samples' ? builder.stack(prefix, this.funcFrame(builder, name[b])) : -1;
        open.push({ event: b, stack, start: ts[b] });
        continue;
      }
      // Among ends at the same time, prefer one that matches the innermost open slice (by key, then by name).
      if (open.length > 0) {
        const top = open[open.length - 1].event;
        const t0 = ts[ends[ei]];
        let pick = -1;
        for (let j = ei; j < ends.length && ts[ends[j]] === t0 && j < ei + 1024; j++) {
          if (sameKey(ends[j], top)) {
            pick = j;
            break;
          }
        }
        if (pick < 0) {
          for (let j = ei; j < ends.length && ts[ends[j]] === t0 && j < ei + 1024; j++) {
            if (name[ends[j]] === name[top]) {
              pick = j;
              break;
            }
          }
        }
        if (pick > ei) [ends[ei], ends[pick]] = [ends[pick], ends[ei]];
      }
      const e = ends[ei++];
      // A skipped end is no evidence of time passing (speedscope's rule too): only matched ends advance the clock.
      if (open.length === 0 || name[open[open.length - 1].event] !== name[e]) {
        unmatched++;
        continue;
      }
      advance(ts[e]);
      close(ts[e]);
    }
    if (unmatched > 0) builder.warn(`${unmatched} end events matched no open slice of the same name and were skipped`);
    if (open.length > 0) {
      builder.warn(`${open.length} slices were still open at the end of their thread; they end at its last matched event`);
      while (open.length > 0) close(last);
    }
  }
}

function compareThreadKeys(a: string, b: string): number {
  const [pa, ta] = a.split('\u0000');
  const [pb, tb] = b.split('\u0000');
  const np = Number(pa) - Number(pb);
  if (np) return np;
  if (pa !== pb) return pa < pb ? -1 : 1;
  const nt = Number(ta) - Number(tb);
  if (nt) return nt;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

function streamReader(): { reader: TraceReader; stream: JsonArrayStream } {
  const reader = new TraceReader();
  let index = 0;
  const stream = new JsonArrayStream(FORMAT, 'traceEvents', (json, offset) => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new ProfileFormatError(FORMAT, `invalid JSON in event ${index}`, offset);
    }
    try {
      reader.event(value, `event ${index}`);
    } catch (e) {
      if (e instanceof JsonShapeError) throw new ProfileFormatError(FORMAT, e.message, offset);
      throw e;
    }
    index++;
  });
  return { reader, stream };
}

function finish(reader: TraceReader, stream: JsonArrayStream): Profile {
  const end = stream.end();
  try {
    return reader.finish(stream.others, !end.complete, end.droppedPartial);
  } catch (e) {
    if (e instanceof JsonShapeError) throw new ProfileFormatError(FORMAT, e.message);
    throw e;
  }
}

export function readTraceEvents(bytes: Uint8Array): Profile {
  return withFormatErrors(FORMAT, () => {
    const { reader, stream } = streamReader();
    stream.feed(bytes);
    return finish(reader, stream);
  });
}

export async function readTraceEventStream(chunks: AsyncIterable<Uint8Array>): Promise<Profile> {
  const { reader, stream } = streamReader();
  try {
    for await (const chunk of chunks) stream.feed(chunk);
    return finish(reader, stream);
  } catch (e) {
    return withFormatErrors(FORMAT, () => {
      throw e;
    });
  }
}

export const traceEventFormat: Format = {
  ...traceEventSignature,
  read: (bytes: Uint8Array, _options?: ReadOptions) => readTraceEvents(bytes),
  readStream: (chunks) => readTraceEventStream(chunks),
};
