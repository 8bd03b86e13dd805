/**
 * Where each function's time went: the split of sampled time into JIT code, interpreted
 * code, GC (minor, major, or seen on the stack only), JIT compiling, native code, idle and
 * other. A pure analysis of the model, shared by the CLI (`show --pypy`, `--json`), the
 * server and the browser (split column, flame colouring).
 *
 * A sample's time is split in two steps:
 * 1. Phases: the part of the time the sample stands for (from its time to the next sample
 *    of its thread; the last one: one period) that PyPy log sections cover is GC minor
 *    (`gc-minor*`), GC major (`gc-collect*`, `gc-major*`) or JIT compiling (`jit-tracing`,
 *    `jit-optimize`, `jit-backend*`); nested sections: the innermost wins (a minor collection
 *    during tracing is GC). Idle samples take no phase time: a waiting thread collects nothing.
 * 2. The rest goes to what the stack shows: any `<GC>` frame -> GC; the `<JIT compiler>`
 *    frame -> compiling; else the innermost frame's category: a Python function running as
 *    machine code (category jit) -> JIT code, the blackhole interpreter and Python frames ->
 *    interpreted, native and kernel -> native, idle -> idle.
 * So every sample's weight is split whole: per stack, per function (once per sample, like
 * its total) and per call-tree node, the classes sum to the time the tables show.
 * "JIT code" (running compiled machine code) and "JIT compiling" (making it) are kept apart
 * everywhere, in names and colours.
 */
import { lowerBoundTime, idleStacks, type CallTree, type SampleFilter } from './analysis.js';
import { CATEGORY_GC, CATEGORY_IDLE, CATEGORY_JIT, CATEGORY_KERNEL, CATEGORY_NATIVE, CATEGORY_PYTHON, type Profile } from './profile.js';

export type TimeClass = 'jit' | 'interpreted' | 'gc-minor' | 'gc-major' | 'gc' | 'compiling' | 'native' | 'idle' | 'other';
/** The classes in display order; a split is a row of TIME_CLASSES.length numbers in this order. */
export const TIME_CLASSES: readonly TimeClass[] = [
  'jit',
  'interpreted',
  'gc-minor',
  'gc-major',
  'gc',
  'compiling',
  'native',
  'idle',
  'other',
];
export const TIME_CLASS_COUNT = TIME_CLASSES.length;
export const TIME_CLASS_LABELS: Record<TimeClass, string> = {
  jit: 'JIT code',
  interpreted: 'interpreted',
  'gc-minor': 'GC minor',
  'gc-major': 'GC major',
  gc: 'GC (stack)',
  compiling: 'JIT compiling',
  native: 'native',
  idle: 'idle',
  other: 'other',
};
const JIT = 0;
const INTERPRETED = 1;
const GC_MINOR = 2;
const GC_MAJOR = 3;
const GC = 4;
const COMPILING = 5;
const NATIVE = 6;
const IDLE = 7;
const OTHER = 8;

/** The phase class of a PyPy log section name, or -1 for sections that are not time spent (summaries, settings). */
export function phaseClass(name: string): number {
  if (name.startsWith('gc-minor')) return GC_MINOR;
  if (name.startsWith('gc-collect') || name.startsWith('gc-major')) return GC_MAJOR;
  if (name === 'jit-tracing' || name === 'jit-optimize' || name.startsWith('jit-backend')) {
    return name === 'jit-backend-counts' ? -1 : COMPILING;
  }
  return -1;
}

/** What each stack shows (step 2 above), one class per stack. */
export function stackClasses(profile: Profile): Uint8Array {
  const { stacks, frames, funcs, strings } = profile;
  const compilerFunc = new Uint8Array(funcs.length);
  for (let f = 0; f < funcs.length; f++) if (strings[funcs.name[f]] === '<JIT compiler>') compilerFunc[f] = 1;
  const blackholeFunc = new Uint8Array(funcs.length);
  for (let f = 0; f < funcs.length; f++) if (strings[funcs.name[f]] === '<blackhole interpreter>') blackholeFunc[f] = 1;
  // inherited: GC or compiling anywhere on the stack (parents come first: one forward pass)
  const inherited = new Uint8Array(stacks.length).fill(255);
  const out = new Uint8Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) {
    const frame = stacks.frame[s];
    const func = frames.func[frame];
    const category = frames.category[frame];
    const p = stacks.prefix[s];
    let mark = p >= 0 ? inherited[p] : 255;
    if (mark === 255 && category === CATEGORY_GC) mark = GC;
    if (mark === 255 && compilerFunc[func] === 1) mark = COMPILING;
    inherited[s] = mark;
    if (category === CATEGORY_IDLE) out[s] = IDLE;
    else if (mark !== 255) out[s] = mark;
    else if (category === CATEGORY_JIT) out[s] = blackholeFunc[func] === 1 ? INTERPRETED : JIT;
    else if (category === CATEGORY_PYTHON) out[s] = INTERPRETED;
    else if (category === CATEGORY_NATIVE || category === CATEGORY_KERNEL) out[s] = NATIVE;
    else out[s] = OTHER;
  }
  return out;
}

/** PyPy log phases as non-overlapping segments, each with the class of its innermost section. */
export interface PhaseSegments {
  start: Float64Array;
  end: Float64Array;
  cls: Uint8Array;
  length: number;
}

export function phaseSegments(profile: Profile): PhaseSegments {
  // the phase sections as columns (a log has tens of thousands: no object per section)
  let count = 0;
  for (const t of profile.threads) count += t.markers.length;
  const itemStart = new Float64Array(count);
  const itemEnd = new Float64Array(count);
  const itemDepth = new Int32Array(count);
  const itemClass = new Uint8Array(count);
  const classOfName = new Map<number, number>();
  let n = 0;
  let sorted = true;
  for (const t of profile.threads) {
    const m = t.markers;
    for (let i = 0; i < m.length; i++) {
      if (!(m.end[i] > m.start[i])) continue;
      let cls = classOfName.get(m.name[i]);
      if (cls === undefined) classOfName.set(m.name[i], (cls = phaseClass(profile.strings[m.name[i]] ?? '')));
      if (cls < 0) continue;
      if (n > 0 && m.start[i] < itemStart[n - 1]) sorted = false;
      itemStart[n] = m.start[i];
      itemEnd[n] = m.end[i];
      itemDepth[n] = m.depth[i];
      itemClass[n] = cls;
      n++;
    }
  }
  // a log's sections come in the order they opened: sorted by start already, unless several threads have some
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (!sorted) order.sort((a, b) => itemStart[a] - itemStart[b] || a - b);
  const bounds = new Float64Array(2 * n);
  bounds.set(itemStart.subarray(0, n));
  bounds.set(itemEnd.subarray(0, n), n);
  bounds.sort();
  const start: number[] = [];
  const end: number[] = [];
  const cls: number[] = [];
  const active: number[] = []; // sections open at the current bound (they nest a few deep: a short list)
  let next = 0;
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b];
    const to = bounds[b + 1];
    if (!(to > from)) continue;
    while (next < n && itemStart[order[next]] <= from) active.push(order[next++]);
    let inner = -1;
    let kept = 0;
    for (let k = 0; k < active.length; k++) {
      const a = active[k];
      if (itemEnd[a] <= from) continue;
      active[kept++] = a;
      if (inner < 0 || itemDepth[a] > itemDepth[inner] || (itemDepth[a] === itemDepth[inner] && itemStart[a] >= itemStart[inner]))
        inner = a;
    }
    active.length = kept;
    if (inner < 0) continue;
    const last = cls.length - 1;
    if (last >= 0 && cls[last] === itemClass[inner] && end[last] === from) end[last] = to;
    else {
      start.push(from);
      end.push(to);
      cls.push(itemClass[inner]);
    }
  }
  return { start: Float64Array.from(start), end: Float64Array.from(end), cls: Uint8Array.from(cls), length: cls.length };
}

/**
 * The split of the selected samples' weight per stack: row s (TIME_CLASS_COUNT numbers from
 * s * TIME_CLASS_COUNT) sums to stackWeights(profile, filter)[s].
 */
export function stackTimeSplit(profile: Profile, filter: SampleFilter = {}): Float64Array {
  const K = TIME_CLASS_COUNT;
  const split = new Float64Array(profile.stacks.length * K);
  const classes = stackClasses(profile);
  const phases = phaseSegments(profile);
  const idle = filter.hideIdle ? idleStacks(profile) : null;
  const threads = filter.threads && filter.threads.length > 0 ? filter.threads : profile.threads.map((_, i) => i);
  const period = profile.meta.interval > 0 ? profile.meta.interval : 0;
  const share = new Float64Array(K);
  for (const t of threads) {
    const samples = profile.threads[t]?.samples;
    if (!samples) continue;
    const { stack, weight, time, length } = samples;
    const from = filter.startTime === undefined ? 0 : lowerBoundTime(time, length, filter.startTime);
    const to = filter.endTime === undefined ? length : lowerBoundTime(time, length, filter.endTime);
    let seg = 0; // phase cursor: sample times only grow within a thread
    for (let i = from; i < to; i++) {
      const s = stack[i];
      if (s < 0 || (idle !== null && idle[s] === 1)) continue;
      const w = weight[i];
      const own = classes[s];
      const row = s * K;
      if (phases.length === 0 || own === IDLE) {
        split[row + own] += w;
        continue;
      }
      const a = time[i];
      const b = i + 1 < length ? Math.max(a, time[i + 1]) : a + period;
      while (seg < phases.length && phases.end[seg] <= a) seg++;
      if (seg >= phases.length || phases.start[seg] >= b || (b === a && phases.start[seg] > a)) {
        split[row + own] += w; // most samples: no phase in their time
        continue;
      }
      share.fill(0);
      let covered = 0;
      if (b > a) {
        for (let k = seg; k < phases.length && phases.start[k] < b; k++) {
          const overlap = Math.min(b, phases.end[k]) - Math.max(a, phases.start[k]);
          if (overlap > 0) {
            share[phases.cls[k]] += overlap;
            covered += overlap;
          }
        }
        const span = b - a;
        for (let c = 0; c < K; c++) if (share[c] > 0) split[row + c] += (w * share[c]) / span;
        split[row + own] += (w * (span - covered)) / span;
      } else {
        // an instant: whatever phase it falls in takes it whole
        const inPhase = seg < phases.length && phases.start[seg] <= a ? phases.cls[seg] : own;
        split[row + inPhase] += w;
      }
    }
  }
  return split;
}

/** Per function (row f): the split of its total time, each sample counted once however often the function recurses. */
export function functionTimeSplit(profile: Profile, split: Float64Array): Float64Array {
  const K = TIME_CLASS_COUNT;
  const { stacks, frames, funcs } = profile;
  const out = new Float64Array(funcs.length * K);
  const seenAt = new Int32Array(funcs.length).fill(-1);
  for (let s = 0; s < stacks.length; s++) {
    const row = s * K;
    let any = false;
    for (let c = 0; c < K; c++) if (split[row + c] !== 0) any = true;
    if (!any) continue;
    for (let cur = s; cur >= 0; cur = stacks.prefix[cur]) {
      const f = frames.func[stacks.frame[cur]];
      if (seenAt[f] === s) continue;
      seenAt[f] = s;
      for (let c = 0; c < K; c++) out[f * K + c] += split[row + c];
    }
  }
  return out;
}

/** Per node of a top-down call tree (row n): the split of its total time. */
export function callTreeTimeSplit(tree: CallTree, split: Float64Array): Float64Array {
  const K = TIME_CLASS_COUNT;
  const out = new Float64Array(tree.length * K);
  const stackToNode = tree.stackToNode;
  for (let s = 0; s < stackToNode.length; s++) {
    const n = stackToNode[s];
    if (n < 0) continue;
    for (let c = 0; c < K; c++) out[n * K + c] += split[s * K + c];
  }
  // children have higher indices than their parents (pre-order): one backward pass adds them up
  for (let n = tree.length - 1; n >= 0; n--) {
    const p = tree.parent[n];
    if (p < 0) continue;
    for (let c = 0; c < K; c++) out[p * K + c] += out[n * K + c];
  }
  return out;
}

/**
 * Per node of a bottom-up (inverted) call tree (row n): the split of its total time. A node
 * stands for the samples whose stack ends with its path (its function innermost, then the
 * callers), so each stack's row is added to the nodes met walking from its innermost frame
 * outwards. `tree` must be built from the same selection as `split`.
 */
export function invertedTreeTimeSplit(profile: Profile, tree: CallTree, split: Float64Array): Float64Array {
  const K = TIME_CLASS_COUNT;
  const { stacks, frames, funcs } = profile;
  const out = new Float64Array(tree.length * K);
  const rootOf = new Int32Array(funcs.length).fill(-1);
  for (const r of tree.roots) rootOf[tree.func[r]] = r;
  // most nodes have a caller or two: a scan; a node called from many places gets a map, once
  const wide = new Map<number, Map<number, number>>();
  const childOf = (node: number, func: number): number => {
    const from = tree.childStart[node];
    const count = tree.childCount[node];
    if (count <= 8) {
      for (let k = from; k < from + count; k++) if (tree.func[tree.children[k]] === func) return tree.children[k];
      return -1;
    }
    let byFunc = wide.get(node);
    if (!byFunc) {
      byFunc = new Map();
      for (let k = from; k < from + count; k++) byFunc.set(tree.func[tree.children[k]], tree.children[k]);
      wide.set(node, byFunc);
    }
    return byFunc.get(func) ?? -1;
  };
  for (let s = 0; s < stacks.length; s++) {
    const row = s * K;
    let any = false;
    for (let c = 0; c < K; c++) if (split[row + c] !== 0) any = true;
    if (!any) continue;
    let node = rootOf[frames.func[stacks.frame[s]]];
    for (let cur = s; node >= 0; ) {
      for (let c = 0; c < K; c++) out[node * K + c] += split[row + c];
      cur = stacks.prefix[cur];
      if (cur < 0) break;
      node = childOf(node, frames.func[stacks.frame[cur]]);
    }
  }
  return out;
}

/** Totals per class over all stacks. */
export function totalTimeSplit(split: Float64Array): Float64Array {
  const K = TIME_CLASS_COUNT;
  const out = new Float64Array(K);
  for (let i = 0; i < split.length; i++) out[i % K] += split[i];
  return out;
}

/** The row of `split` for index i as an object of the non-zero classes, for JSON. */
export function splitRecord(split: Float64Array, i: number): Partial<Record<TimeClass, number>> {
  const out: Partial<Record<TimeClass, number>> = {};
  for (let c = 0; c < TIME_CLASS_COUNT; c++) {
    const v = split[i * TIME_CLASS_COUNT + c];
    if (v !== 0) out[TIME_CLASSES[c]] = v;
  }
  return out;
}
