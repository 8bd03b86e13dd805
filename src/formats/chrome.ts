/**
 * Chrome / Node CPU profiles (`.cpuprofile`, DevTools Protocol
 * `Profiler.Profile`). Trace files that carry CPU profiles (`Profile` /
 * `ProfileChunk` / `CpuProfile` events) are read by trace-event.ts, with the
 * node and sample helpers exported here.
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
 * What the reader makes of it: the `(root)` node and V8's internal
 * `native dummy.js` frames are dropped; `(idle)` frames get
 * the idle category, `(garbage collector)` is a gc function, `(program)` native.
 * Samples keep their times (ms from the first sample, sorted: Chrome's deltas
 * can be negative) and are weighted by the time until the next sample (the last
 * one by the time to `endTime`, or the mean interval when there is none), as
 * speedscope does, so weights are ms.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Category, FunctionKind, Profile, StackIndex } from '../model/profile.js';
import type { Format } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile, withShapeErrors } from './json-input.js';
import { chromeSignature } from './signatures/chrome.js';
export { sniffChrome } from './signatures/chrome.js';

const FORMAT = 'chrome';

export interface CallNode {
  id: number;
  parent: number; // node id, or -1
  name: string;
  url: string;
  line: number; // 1-based, 0 unknown
}

export function readChrome(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms' });
    const o = asObject(root, '$');
    const thread = builder.thread('main', 'main');
    if (o.nodes !== undefined) readCurrent(builder, thread, o, '$');
    else if (o.head !== undefined) readLegacy(builder, thread, o);
    else throw new JsonShapeError('$: expected "nodes" (a .cpuprofile) or "head" (a legacy profile)');
    return builder.build();
  });
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
export function collectNodes(nodes: Map<number, CallNode>, rawNodes: unknown[], path: string): void {
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

/** What a lenient resolver returns for a sample naming a node that is not in the profile. */
export const MISSING_NODE = -2;

/** Interns node stacks: parents first, iteratively (node trees can be deep). */
export function stackResolver(builder: ProfileBuilder, nodes: Map<number, CallNode>, lenient = false) {
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
    if (!cur) {
      // Traces cut short lose nodes their later samples name: drop those samples (as speedscope does).
      if (lenient) return MISSING_NODE;
      throw new JsonShapeError(`${path}: no node with id ${id}`);
    }
    let base: StackIndex = -1;
    while (cur) {
      const k = stacks.get(cur.id);
      if (k !== undefined) {
        base = k;
        break;
      }
      chain.push(cur);
      if (chain.length > nodes.size) throw new JsonShapeError(`${path}: node ${id} is its own ancestor`);
      cur = cur.parent >= 0 ? nodes.get(cur.parent) : undefined;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i];
      // The synthetic root is not a frame, nor V8's internal "native dummy.js" script (speedscope drops it too).
      if (!(node.parent < 0 && node.name === '(root)') && node.url !== 'native dummy.js') base = builder.stack(base, frameOf(node));
      stacks.set(node.id, base);
    }
    return base;
  };
}

/**
 * Adds samples at absolute times (us), weighting each by the time to the next.
 * Times become ms from `baseUs` (default: the first sample). Samples whose node
 * was missing (MISSING_NODE) are left out: the sample before them lasts longer.
 */
export function addTimedSamples(
  builder: ProfileBuilder,
  thread: number,
  stacks: StackIndex[],
  timesUs: number[],
  endUs: number,
  baseUs = NaN,
): void {
  const order = stacks
    .map((_, i) => i)
    .filter((i) => stacks[i] !== MISSING_NODE)
    .sort((a, b) => timesUs[a] - timesUs[b] || a - b);
  if (order.length < stacks.length)
    builder.warn(
      `${stacks.length - order.length} samples name call tree nodes the profile does not have (a trace cut short?); they were left out`,
    );
  if (order.length === 0) return;
  const first = timesUs[order[0]];
  const start = Number.isNaN(baseUs) ? first : baseUs;
  const span = timesUs[order[order.length - 1]] - first;
  const meanUs = order.length > 1 ? span / (order.length - 1) : 0;
  // The last sample lasts until the end, or the last (even dropped) sample, or one mean interval.
  let tail = -Infinity;
  for (const t of timesUs) if (t > tail) tail = t;
  order.forEach((i, k) => {
    const t = timesUs[i];
    const next = k + 1 < order.length ? timesUs[order[k + 1]] : endUs > t ? endUs : tail > t ? tail : t + meanUs;
    builder.addSample(thread, stacks[i], (t - start) / 1000, (next - t) / 1000);
  });
  builder.meta.interval ||= meanUs / 1000;
}

function readCurrent(builder: ProfileBuilder, thread: number, o: Record<string, unknown>, path: string): void {
  const nodes = new Map<number, CallNode>();
  collectNodes(nodes, asArray(o.nodes, `${path}.nodes`), path);
  const stackOf = stackResolver(builder, nodes);
  const samples = asArray(o.samples ?? [], `${path}.samples`);
  const deltas = asArray(o.timeDeltas ?? [], `${path}.timeDeltas`);
  if (deltas.length !== samples.length)
    throw new JsonShapeError(`${path}.timeDeltas: ${deltas.length} deltas for ${samples.length} samples`);
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
  if (timestamps.length < samples.length)
    throw new JsonShapeError(`$.timestamps: ${timestamps.length} timestamps for ${samples.length} samples`);
  const times = timestamps.map((t, i) => asNumber(t, `$.timestamps[${i}]`));
  const stacks = samples.map((s, i) => stackOf(asNumber(s, `$.samples[${i}]`), `$.samples[${i}]`));
  // One timestamp more than samples: the first is the recording's start (speedscope's
  // legacy sample is laid out so, and its times then match its current-format twin).
  const sampleTimes = times.length > samples.length ? times.slice(times.length - samples.length) : times;
  addTimedSamples(builder, thread, stacks, sampleTimes, -1);
}

export const chromeFormat: Format = {
  ...chromeSignature,
  read: (bytes) => readChrome(bytes),
};
