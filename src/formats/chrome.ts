/**
 * Chrome / Node CPU profiles (`.cpuprofile`, DevTools Protocol
 * `Profiler.Profile`) and Chrome trace event files carrying CPU profiles.
 *
 * Layouts (all times in microseconds):
 *   current  { nodes: [{ id, callFrame: { functionName, url, lineNumber (0-based),
 *              columnNumber, scriptId }, hitCount, children?: [id], parent?: id }],
 *              startTime, endTime, samples: [node id], timeDeltas: [delta from previous] }
 *   legacy   { head: { functionName, url, lineNumber (1-based), id, children: [node] },
 *              startTime, endTime (seconds), samples: [node id], timestamps: [absolute] }
 *              (old Node / Chrome; with one extra entry, the first is the start)
 *   trace    [event] or { traceEvents: [event] }: a `Profile` event (args.data.startTime)
 *            and `ProfileChunk` events with the same `id`, pid and tid, each carrying
 *            args.data.cpuProfile { nodes (with `parent`), samples } and args.data.timeDeltas.
 *
 * What the reader makes of it: the `(root)` node is dropped; `(idle)` frames get
 * the idle category, `(garbage collector)` is a gc function, `(program)` native.
 * Samples keep their times (ms from the first sample, sorted: Chrome's deltas
 * can be negative) and are weighted by the time until the next sample (the last
 * one by the time to `endTime`, or the mean interval when there is none), as
 * speedscope does, so weights are ms.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Category, FunctionKind, Profile, StackIndex } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile } from './json-input.js';

const FORMAT = 'chrome';

interface CallNode {
  id: number;
  parent: number; // node id, or -1
  name: string;
  url: string;
  line: number; // 1-based, 0 unknown
}

export function sniffChrome(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 16384));
  // Key order varies (Node writes "nodes" first, sorted dumps start with "endTime").
  if (/^\s*\{/.test(text) && /"nodes"\s*:\s*\[/.test(text) && /"callFrame"\s*:/.test(text)) return true;
  if (/^\s*\{/.test(text) && /"head"\s*:\s*\{/.test(text) && /"functionName"\s*:/.test(text)) return true;
  // Trace files: an array of events, or an object with traceEvents, mentioning CPU profile chunks.
  return /^\s*(?:\[|\{\s*"traceEvents")/.test(text) && /"(?:ProfileChunk|Profile)"/.test(new TextDecoder().decode(head));
}

export function readChrome(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  try {
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms' });
    if (Array.isArray(root) || (typeof root === 'object' && root !== null && 'traceEvents' in root)) {
      readTraceEvents(builder, root);
    } else {
      const o = asObject(root, '$');
      const thread = builder.thread('main', 'main');
      if (o.nodes !== undefined) readCurrent(builder, thread, o, '$');
      else if (o.head !== undefined) readLegacy(builder, thread, o);
      else throw new JsonShapeError('$: expected "nodes" (a .cpuprofile) or "head" (a legacy profile)');
    }
    return builder.build();
  } catch (e) {
    if (e instanceof JsonShapeError) throw new ProfileFormatError(FORMAT, e.message);
    throw e;
  }
}

function nodeFromCallFrame(raw: Record<string, unknown>, cf: Record<string, unknown>, path: string, lineBase: number): CallNode {
  const id = asNumber(raw.id, `${path}.id`);
  const line = typeof cf.lineNumber === 'number' && cf.lineNumber >= 0 ? cf.lineNumber + lineBase : 0;
  return {
    id,
    parent: typeof raw.parent === 'number' ? raw.parent : -1,
    name: typeof cf.functionName === 'string' ? cf.functionName : '',
    url: typeof cf.url === 'string' ? cf.url : '',
    line,
  };
}

/** Reads `nodes` (current layout) into the node map. */
function collectNodes(nodes: Map<number, CallNode>, rawNodes: unknown[], path: string): void {
  const children: [number, unknown[]][] = [];
  rawNodes.forEach((n, i) => {
    const np = `${path}.nodes[${i}]`;
    const raw = asObject(n, np);
    const node = nodeFromCallFrame(raw, asObject(raw.callFrame, `${np}.callFrame`), np, 1);
    nodes.set(node.id, node);
    if (Array.isArray(raw.children)) children.push([node.id, raw.children]);
  });
  for (const [parent, list] of children) {
    for (const c of list) {
      const child = nodes.get(c as number);
      if (child) child.parent = parent;
    }
  }
}

/** Interns node stacks: parents first, iteratively (node trees can be deep). */
function stackResolver(builder: ProfileBuilder, nodes: Map<number, CallNode>) {
  const stacks = new Map<number, StackIndex>();
  const frameOf = (node: CallNode) => {
    const name = node.name === '' ? '(anonymous)' : node.name;
    let kind: FunctionKind = 'other';
    let category: Category | undefined;
    if (name === '(garbage collector)') kind = 'gc';
    else if (name === '(program)') kind = 'native';
    else if (name === '(idle)') category = 'idle';
    const func = builder.func(name, node.url, node.line, kind);
    return builder.frame(func, node.line, category);
  };
  return (id: number, path: string): StackIndex => {
    const known = stacks.get(id);
    if (known !== undefined) return known;
    const chain: CallNode[] = [];
    let cur = nodes.get(id);
    if (!cur) throw new JsonShapeError(`${path}: no node with id ${id}`);
    let base: StackIndex = -1;
    while (cur) {
      const k = stacks.get(cur.id);
      if (k !== undefined) { base = k; break; }
      chain.push(cur);
      if (chain.length > nodes.size) throw new JsonShapeError(`${path}: node ${id} is its own ancestor`);
      cur = cur.parent >= 0 ? nodes.get(cur.parent) : undefined;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i];
      // The synthetic root is not a frame.
      if (!(node.parent < 0 && node.name === '(root)')) base = builder.stack(base, frameOf(node));
      stacks.set(node.id, base);
    }
    return base;
  };
}

/** Adds samples at absolute times (us), weighting each by the time to the next. */
function addTimedSamples(builder: ProfileBuilder, thread: number, stacks: StackIndex[], timesUs: number[], endUs: number): void {
  const order = stacks.map((_, i) => i).sort((a, b) => timesUs[a] - timesUs[b] || a - b);
  if (order.length === 0) return;
  const start = timesUs[order[0]];
  const span = timesUs[order[order.length - 1]] - start;
  const meanUs = order.length > 1 ? span / (order.length - 1) : 0;
  order.forEach((i, k) => {
    const next = k + 1 < order.length ? timesUs[order[k + 1]] : endUs > timesUs[i] ? endUs : timesUs[i] + meanUs;
    builder.addSample(thread, stacks[i], (timesUs[i] - start) / 1000, (next - timesUs[i]) / 1000);
  });
  builder.meta.interval ||= meanUs / 1000;
}

function readCurrent(builder: ProfileBuilder, thread: number, o: Record<string, unknown>, path: string): void {
  const nodes = new Map<number, CallNode>();
  collectNodes(nodes, asArray(o.nodes, `${path}.nodes`), path);
  const stackOf = stackResolver(builder, nodes);
  const samples = asArray(o.samples ?? [], `${path}.samples`);
  const deltas = asArray(o.timeDeltas ?? [], `${path}.timeDeltas`);
  if (deltas.length !== samples.length) throw new JsonShapeError(`${path}.timeDeltas: ${deltas.length} deltas for ${samples.length} samples`);
  let t = o.startTime === undefined ? 0 : asNumber(o.startTime, `${path}.startTime`);
  const times: number[] = [];
  const stacks = samples.map((s, i) => {
    t += asNumber(deltas[i], `${path}.timeDeltas[${i}]`);
    times.push(t);
    return stackOf(asNumber(s, `${path}.samples[${i}]`), `${path}.samples[${i}]`);
  });
  const end = typeof o.endTime === 'number' ? o.endTime : t;
  addTimedSamples(builder, thread, stacks, times, end);
}

function readLegacy(builder: ProfileBuilder, thread: number, o: Record<string, unknown>): void {
  const nodes = new Map<number, CallNode>();
  const todo: [unknown, number, string][] = [[o.head, -1, '$.head']];
  while (todo.length > 0) {
    const [value, parent, path] = todo.pop()!;
    const raw = asObject(value, path);
    // Legacy nodes carry the call frame fields themselves, with 1-based lines.
    const node = nodeFromCallFrame(raw, raw, path, 0);
    node.parent = parent;
    nodes.set(node.id, node);
    const children = raw.children === undefined ? [] : asArray(raw.children, `${path}.children`);
    children.forEach((c, i) => todo.push([c, node.id, `${path}.children[${i}]`]));
  }
  const stackOf = stackResolver(builder, nodes);
  const samples = asArray(o.samples ?? [], '$.samples');
  const timestamps = asArray(o.timestamps ?? [], '$.timestamps');
  if (timestamps.length < samples.length) throw new JsonShapeError(`$.timestamps: ${timestamps.length} timestamps for ${samples.length} samples`);
  const times = timestamps.map((t, i) => asNumber(t, `$.timestamps[${i}]`));
  const stacks = samples.map((s, i) => stackOf(asNumber(s, `$.samples[${i}]`), `$.samples[${i}]`));
  // One timestamp more than samples: the first is the recording's start (speedscope's
  // legacy sample is laid out so, and its times then match its current-format twin).
  const sampleTimes = times.length > samples.length ? times.slice(times.length - samples.length) : times;
  addTimedSamples(builder, thread, stacks, sampleTimes, -1);
}

function readTraceEvents(builder: ProfileBuilder, root: unknown): void {
  const events = Array.isArray(root) ? root : asArray(asObject(root, '$').traceEvents, '$.traceEvents');
  const base = Array.isArray(root) ? '$' : '$.traceEvents';
  interface Session { pid: string; tid: string; start: number; nodes: Map<number, CallNode>; samples: number[]; deltas: number[] }
  const sessions = new Map<string, Session>();
  const threadNames = new Map<string, string>();
  events.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) return;
    const ev = e as Record<string, unknown>;
    const pid = String(ev.pid ?? '');
    const tid = String(ev.tid ?? '');
    const args = (ev.args ?? {}) as Record<string, unknown>;
    if (ev.name === 'thread_name' && typeof (args as { name?: unknown }).name === 'string') {
      threadNames.set(`${pid}:${tid}`, (args as { name: string }).name);
    }
    if (ev.name !== 'Profile' && ev.name !== 'ProfileChunk') return;
    const path = `${base}[${i}]`;
    const key = `${pid}:${String(ev.id ?? '')}`;
    let session = sessions.get(key);
    if (!session) {
      session = { pid, tid, start: 0, nodes: new Map(), samples: [], deltas: [] };
      sessions.set(key, session);
    }
    const data = asObject(args.data ?? {}, `${path}.args.data`);
    if (ev.name === 'Profile') {
      session.tid = tid;
      if (typeof data.startTime === 'number') session.start = data.startTime;
      return;
    }
    const profile = data.cpuProfile === undefined ? {} : asObject(data.cpuProfile, `${path}.args.data.cpuProfile`);
    if (profile.nodes !== undefined) collectNodes(session.nodes, asArray(profile.nodes, `${path}.args.data.cpuProfile.nodes`), `${path}.args.data.cpuProfile`);
    const samples = asArray(profile.samples ?? [], `${path}.args.data.cpuProfile.samples`);
    const deltas = asArray(data.timeDeltas ?? [], `${path}.args.data.timeDeltas`);
    if (deltas.length !== samples.length) throw new JsonShapeError(`${path}.args.data.timeDeltas: ${deltas.length} deltas for ${samples.length} samples`);
    samples.forEach((s, k) => {
      session!.samples.push(asNumber(s, `${path}.args.data.cpuProfile.samples[${k}]`));
      session!.deltas.push(asNumber(deltas[k], `${path}.args.data.timeDeltas[${k}]`));
    });
  });
  if (sessions.size === 0) throw new JsonShapeError(`${base}: no Profile or ProfileChunk events (not a CPU profile trace)`);
  for (const s of sessions.values()) {
    const thread = builder.thread(s.tid, threadNames.get(`${s.pid}:${s.tid}`) ?? '', s.pid);
    const stackOf = stackResolver(builder, s.nodes);
    let t = s.start;
    const times: number[] = [];
    const stacks = s.samples.map((id, i) => {
      t += s.deltas[i];
      times.push(t);
      return stackOf(id, `${base}: sample ${i} of profile in process ${s.pid}`);
    });
    addTimedSamples(builder, thread, stacks, times, -1);
  }
}

export const chromeFormat: Format = {
  name: FORMAT,
  description: 'Chrome / Node CPU profile (.cpuprofile) and Chrome traces with ProfileChunk events',
  extensions: ['cpuprofile'],
  sniff: (head) => sniffChrome(head),
  read: (bytes) => readChrome(bytes),
};
