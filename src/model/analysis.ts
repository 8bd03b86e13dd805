/**
 * Pure analyses of a Profile, shared by the CLI, the server and the browser.
 *
 * Everything starts from per-stack weights (`stackWeights`): the summed sample
 * weight of each stack index after thread, time-range and idle selection. The
 * trees and tables below are loops over the stack table, which lists parents
 * before children (see profile.ts), so no analysis recurses, whatever the depth
 * of the profiled program's stacks.
 */
import { GrowableColumn, IntPairMap } from './columns.js';
import { CATEGORY_IDLE, type FuncIndex, type Profile, type StackIndex, type ThreadIndex } from './profile.js';

export interface SampleFilter {
  /** Threads to include (indices into profile.threads); all when absent or empty. */
  threads?: ThreadIndex[];
  /** Keep samples with startTime <= time < endTime (ms since profile start). */
  startTime?: number;
  endTime?: number;
  /** Drop samples whose innermost frame is in the idle category (waiting, sleeping). */
  hideIdle?: boolean;
}

/** First sample index with time >= t (samples are in time order). */
export function lowerBoundTime(times: Float64Array, length: number, t: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True for stacks whose innermost frame is idle. */
export function idleStacks(profile: Profile): Uint8Array {
  const { stacks, frames } = profile;
  const idle = new Uint8Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) idle[s] = frames.category[stacks.frame[s]] === CATEGORY_IDLE ? 1 : 0;
  return idle;
}

/** Summed sample weight per stack index for the selected samples. */
export function stackWeights(profile: Profile, filter: SampleFilter = {}): Float64Array {
  const weights = new Float64Array(profile.stacks.length);
  const threads = filter.threads && filter.threads.length > 0 ? filter.threads : profile.threads.map((_, i) => i);
  const idle = filter.hideIdle ? idleStacks(profile) : null;
  for (const t of threads) {
    const samples = profile.threads[t]?.samples;
    if (!samples) continue;
    const from = filter.startTime === undefined ? 0 : lowerBoundTime(samples.time, samples.length, filter.startTime);
    const to = filter.endTime === undefined ? samples.length : lowerBoundTime(samples.time, samples.length, filter.endTime);
    const { stack, weight } = samples;
    for (let i = from; i < to; i++) {
      const s = stack[i];
      if (s < 0) continue;
      if (idle !== null && idle[s] === 1) continue;
      weights[s] += weight[i];
    }
  }
  return weights;
}

/** Sum of weights: the 100% every percentage is relative to. */
export function totalWeight(weights: Float64Array): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  return total;
}

/** Inclusive weight per stack: its own weight plus all its descendants'. */
export function stackTotals(profile: Profile, weights: Float64Array): Float64Array {
  const totals = Float64Array.from(weights);
  const prefix = profile.stacks.prefix;
  for (let s = totals.length - 1; s >= 0; s--) {
    const p = prefix[s];
    if (p >= 0) totals[p] += totals[s];
  }
  return totals;
}

/**
 * A call tree: nodes are functions along a call path (frames of the same
 * function at different lines merge). Nodes are numbered in depth-first
 * pre-order with children sorted by total weight, heaviest first, so a
 * parent's index is always below its children's and a flame graph can be laid
 * out in one forward pass.
 */
export interface CallTree {
  length: number;
  func: Int32Array;
  parent: Int32Array; // -1 for roots
  depth: Int32Array; // 0 for roots
  self: Float64Array;
  total: Float64Array;
  /** Children of node n are children[childStart[n] .. childStart[n] + childCount[n]). */
  childStart: Int32Array;
  childCount: Int32Array;
  children: Int32Array;
  roots: Int32Array;
  /** Sum of the roots' totals. */
  rootTotal: number;
  /** For a top-down tree: the node of each stack (-1 when the stack has no weight). Empty for bottom-up trees. */
  stackToNode: Int32Array;
}

class TreeAccumulator {
  func: GrowableColumn<Int32Array>;
  parent: GrowableColumn<Int32Array>;
  self: GrowableColumn<Float64Array>;
  total: GrowableColumn<Float64Array>;
  private index: IntPairMap;

  /** `expected`: about how many nodes there will be (sized up front: no rehash or regrowth on big trees). */
  constructor(expected = 1 << 12) {
    const capacity = Math.max(1 << 10, expected);
    this.func = new GrowableColumn(Int32Array, capacity);
    this.parent = new GrowableColumn(Int32Array, capacity);
    this.self = new GrowableColumn(Float64Array, capacity);
    this.total = new GrowableColumn(Float64Array, capacity);
    this.index = new IntPairMap(capacity);
  }

  /** A new node that no later lookup will look for (no hashing). */
  append(parent: number, func: FuncIndex): number {
    const n = this.func.length;
    this.func.push(func);
    this.parent.push(parent);
    this.self.push(0);
    this.total.push(0);
    return n;
  }

  node(parent: number, func: FuncIndex): number {
    const n = this.func.length;
    const found = this.index.getOrSet(parent, func, n);
    if (found !== -1) return found;
    this.func.push(func);
    this.parent.push(parent);
    this.self.push(0);
    this.total.push(0);
    return n;
  }

  /**
   * Sorts children by total (desc) and renumbers nodes in depth-first
   * pre-order. `parentsFirst` says every node's parent has a smaller index,
   * which both callers guarantee.
   */
  finish(): { tree: Omit<CallTree, 'stackToNode'>; newIndexOf: Int32Array } {
    const n = this.func.length;
    const func = this.func.data;
    const parent = this.parent.data;
    const self = this.self.data;
    const total = this.total.data;

    // Children lists (CSR) in the old numbering.
    const count = new Int32Array(n + 1);
    let rootCount = 0;
    for (let i = 0; i < n; i++) {
      if (parent[i] < 0) rootCount++;
      else count[parent[i]]++;
    }
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
    const fill = start.slice(0, n);
    const kids = new Int32Array(Math.max(0, n - rootCount));
    const roots: number[] = [];
    for (let i = 0; i < n; i++) {
      if (parent[i] < 0) roots.push(i);
      else kids[fill[parent[i]]++] = i;
    }
    const byTotalDesc = (a: number, b: number) => total[b] - total[a] || func[a] - func[b];
    roots.sort(byTotalDesc);
    for (let i = 0; i < n; i++) {
      if (count[i] > 8) {
        // In place: a typed subarray sorts without allocating an array per node (a million-node tree has as many).
        kids.subarray(start[i], start[i] + count[i]).sort(byTotalDesc);
      } else if (count[i] > 1) {
        // Few children (most nodes): an insertion sort, no call per comparison.
        const from = start[i];
        const to = from + count[i];
        for (let a = from + 1; a < to; a++) {
          const k = kids[a];
          let b = a - 1;
          while (b >= from && (total[kids[b]] < total[k] || (total[kids[b]] === total[k] && func[kids[b]] > func[k]))) {
            kids[b + 1] = kids[b];
            b--;
          }
          kids[b + 1] = k;
        }
      }
    }

    // Depth-first pre-order renumbering with an explicit stack.
    const newIndexOf = new Int32Array(n);
    const order = new Int32Array(n);
    const work: number[] = [];
    for (let r = roots.length - 1; r >= 0; r--) work.push(roots[r]);
    let next = 0;
    while (work.length > 0) {
      const old = work.pop()!;
      newIndexOf[old] = next;
      order[next++] = old;
      for (let k = start[old] + count[old] - 1; k >= start[old]; k--) work.push(kids[k]);
    }

    const tree = {
      length: n,
      func: new Int32Array(n),
      parent: new Int32Array(n),
      depth: new Int32Array(n),
      self: new Float64Array(n),
      total: new Float64Array(n),
      childStart: new Int32Array(n),
      childCount: new Int32Array(n),
      children: new Int32Array(kids.length),
      roots: Int32Array.from(roots, (r) => newIndexOf[r]),
      rootTotal: 0,
    };
    let childFill = 0;
    for (let i = 0; i < n; i++) {
      const old = order[i];
      tree.func[i] = func[old];
      const p = parent[old];
      tree.parent[i] = p < 0 ? -1 : newIndexOf[p];
      tree.depth[i] = p < 0 ? 0 : tree.depth[newIndexOf[p]] + 1;
      tree.self[i] = self[old];
      tree.total[i] = total[old];
      tree.childStart[i] = childFill;
      tree.childCount[i] = count[old];
      for (let k = start[old]; k < start[old] + count[old]; k++) tree.children[childFill++] = newIndexOf[kids[k]];
    }
    for (const r of tree.roots) tree.rootTotal += tree.total[r];
    return { tree, newIndexOf };
  }
}

/** The top-down call tree of the weighted stacks (stacks with no weight are left out). */
export function callTreeTopDown(profile: Profile, weights: Float64Array): CallTree {
  const { stacks, frames } = profile;
  const totals = stackTotals(profile, weights);
  const acc = new TreeAccumulator();
  const nodeOfStack = new Int32Array(stacks.length).fill(-1);
  for (let s = 0; s < stacks.length; s++) {
    if (totals[s] === 0) continue;
    const p = stacks.prefix[s];
    const parentNode = p < 0 ? -1 : nodeOfStack[p];
    const node = acc.node(parentNode, frames.func[stacks.frame[s]]);
    nodeOfStack[s] = node;
    acc.self.data[node] += weights[s];
  }
  // Totals: children before parents, i.e. backwards over creation order (parents are created first).
  const self = acc.self.data;
  const total = acc.total.data;
  const parent = acc.parent.data;
  for (let i = acc.func.length - 1; i >= 0; i--) {
    total[i] += self[i];
    if (parent[i] >= 0) total[parent[i]] += total[i];
  }
  const { tree, newIndexOf } = acc.finish();
  const stackToNode = new Int32Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) stackToNode[s] = nodeOfStack[s] < 0 ? -1 : newIndexOf[nodeOfStack[s]];
  return { ...tree, stackToNode };
}

/**
 * The bottom-up (inverted) tree: roots are the functions where samples were
 * taken (their self time), children are their callers. A root's self equals its
 * total; deeper nodes carry only totals.
 */
export function callTreeBottomUp(profile: Profile, weights: Float64Array): CallTree {
  const { stacks, frames } = profile;
  const prefix = stacks.prefix;
  const funcOf = (stack: number) => frames.func[stacks.frame[stack]];
  // Most paths of an inverted tree are taken by one stack only, so walks are lazy: a walk that
  // creates a node stops there and leaves the rest of its callers as a pending chain (the stack
  // to continue from, and the weight it carries). A later walk through that node expands the
  // chain one step at a time, only as far as the two share it; whatever is still pending at the
  // end is appended without any hashing. Hash lookups are then paid for shared paths only
  // (a million-node inverted tree of 50,000 stacks: about 20 times fewer).
  let weighted = 0;
  for (let s = 0; s < stacks.length; s++) if (weights[s] !== 0) weighted++;
  const acc = new TreeAccumulator(Math.min(weighted * 4, 1 << 24));
  const pend = new GrowableColumn(Int32Array, Math.min(weighted * 4, 1 << 24));
  const pendWeight = new GrowableColumn(Float64Array, Math.min(weighted * 4, 1 << 24));
  /** The node for (parent, func), hashed; a new node gets an empty pending chain. */
  const child = (parent: number, func: FuncIndex): { node: number; fresh: boolean } => {
    const before = acc.func.length;
    const node = acc.node(parent, func);
    const fresh = node === before;
    if (fresh) {
      pend.push(-1);
      pendWeight.push(0);
    }
    return { node, fresh };
  };
  /** Materializes the first node of `node`'s pending chain (it has no other child: see below). */
  const expand = (node: number): void => {
    const from = pend.data[node];
    const { node: c } = child(node, funcOf(from));
    acc.total.data[c] += pendWeight.data[node];
    pend.data[c] = prefix[from];
    pendWeight.data[c] = pendWeight.data[node];
    pend.data[node] = -1;
  };
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    let node = child(-1, funcOf(s)).node;
    acc.self.data[node] += w;
    acc.total.data[node] += w;
    for (let cur = prefix[s]; cur >= 0; cur = prefix[cur]) {
      // A node with a pending chain has no materialized child: expand before looking among them.
      if (pend.data[node] >= 0) expand(node);
      const next = child(node, funcOf(cur));
      acc.total.data[next.node] += w;
      node = next.node;
      if (next.fresh) {
        if (prefix[cur] >= 0) {
          pend.data[node] = prefix[cur];
          pendWeight.data[node] = w;
        }
        break;
      }
    }
  }
  // What is still pending is a chain of single callers below its node: append it as it is.
  const hashed = acc.func.length;
  for (let n = 0; n < hashed; n++) {
    const w = pendWeight.data[n];
    let parent = n;
    for (let cur = pend.data[n]; cur >= 0; cur = prefix[cur]) {
      parent = acc.append(parent, funcOf(cur));
      acc.total.data[parent] += w;
    }
  }
  const { tree } = acc.finish();
  return { ...tree, stackToNode: new Int32Array(0) };
}

/**
 * The part of the bottom-up tree a flame graph shows where a node narrower than `minTotal` is drawn
 * as one block down to its subtree's deepest row (web/src/flamecanvas.ts): the roots, and the callers
 * of every node whose total is at least `minTotal`. Nodes, numbering order, totals and selfs are
 * those of `callTreeBottomUp` restricted to these nodes (sums are added in the same stack order, so
 * they are equal to the last bit); `deepest` gives each node's deepest depth in the whole tree.
 * On a big profile it is a few percent of the whole tree: what the inverted flame graph's first
 * paint needs, without the cost of materialising every path.
 */
export function callTreeBottomUpTop(profile: Profile, weights: Float64Array, minTotal: number): { tree: CallTree; deepest: Int32Array } {
  const { stacks, frames } = profile;
  const prefix = stacks.prefix;
  const stackDepth = stacks.depth;
  const funcOf = (stack: number) => frames.func[stacks.frame[stack]];
  let weighted = 0;
  for (let s = 0; s < stacks.length; s++) if (weights[s] !== 0) weighted++;
  const acc = new TreeAccumulator(weighted);
  const deep = new GrowableColumn(Int32Array, Math.max(1 << 10, weighted));
  const depthOf = new GrowableColumn(Int32Array, Math.max(1 << 10, weighted));
  /** The node for (parent, func), reached by a stack at `cur` with `w`: adds the weight and the depth below. */
  const visit = (parent: number, cur: number, w: number): number => {
    const before = acc.func.length;
    const node = acc.node(parent, funcOf(cur));
    if (node === before) {
      deep.push(0);
      depthOf.push(parent < 0 ? 0 : depthOf.data[parent] + 1);
    }
    acc.total.data[node] += w;
    // the stack's callers above `cur` continue the path below this node: depth[cur] - 1 more rows
    const reach = depthOf.data[node] + stackDepth[cur] - 1;
    if (reach > deep.data[node]) deep.data[node] = reach;
    return node;
  };
  // One level at a time, in stack order (so every node's sums are added in callTreeBottomUp's
  // order): each weighted stack is at a node and a frame (`cur`); only the stacks of nodes at
  // least `minTotal` wide go one caller further.
  let cur = new Int32Array(weighted);
  let node = new Int32Array(weighted);
  let weight = new Float64Array(weighted);
  let active = 0;
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    const n = visit(-1, s, w);
    acc.self.data[n] += w;
    cur[active] = s;
    node[active] = n;
    weight[active++] = w;
  }
  let nextCur = new Int32Array(weighted);
  let nextNode = new Int32Array(weighted);
  let nextWeight = new Float64Array(weighted);
  while (active > 0) {
    let kept = 0;
    const total = acc.total.data;
    for (let i = 0; i < active; i++) {
      const caller = prefix[cur[i]];
      if (caller < 0 || total[node[i]] < minTotal) continue;
      nextNode[kept] = visit(node[i], caller, weight[i]);
      nextCur[kept] = caller;
      nextWeight[kept++] = weight[i];
    }
    [cur, nextCur] = [nextCur, cur];
    [node, nextNode] = [nextNode, node];
    [weight, nextWeight] = [nextWeight, weight];
    active = kept;
  }
  const { tree, newIndexOf } = acc.finish();
  const deepest = new Int32Array(tree.length);
  for (let old = 0; old < tree.length; old++) deepest[newIndexOf[old]] = deep.data[old];
  return { tree: { ...tree, stackToNode: new Int32Array(0) }, deepest };
}

export interface FunctionCosts {
  /** Indexed by FuncIndex: weight of samples whose innermost frame is the function. */
  self: Float64Array;
  /** Indexed by FuncIndex: weight of samples with the function anywhere on the stack, counted once per sample. */
  total: Float64Array;
}

/** Self and total per function; a recursive function counts once per sample. */
export function functionTable(profile: Profile, weights: Float64Array): FunctionCosts {
  const { stacks, frames, funcs } = profile;
  const self = new Float64Array(funcs.length);
  const total = new Float64Array(funcs.length);
  const seenAt = new Int32Array(funcs.length).fill(-1);
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    self[frames.func[stacks.frame[s]]] += w;
    for (let cur = s; cur >= 0; cur = stacks.prefix[cur]) {
      const f = frames.func[stacks.frame[cur]];
      if (seenAt[f] === s) continue;
      seenAt[f] = s;
      total[f] += w;
    }
  }
  return { self, total };
}

/** Function indices ordered by a cost column, heaviest first, leaving out zero rows. */
export function functionsByCost(costs: Float64Array): number[] {
  const out: number[] = [];
  for (let f = 0; f < costs.length; f++) if (costs[f] > 0) out.push(f);
  return out.sort((a, b) => costs[b] - costs[a] || a - b);
}

export interface LineCost {
  self: number;
  total: number;
}

/**
 * Per-line costs inside each function: `self` where the line was the innermost
 * frame, `total` where it was on the stack (once per sample). Line 0 collects
 * frames without line information.
 */
export function lineCosts(profile: Profile, weights: Float64Array): Map<FuncIndex, Map<number, LineCost>> {
  const { frames } = profile;
  const result = new Map<FuncIndex, Map<number, LineCost>>();
  addLineCosts(
    profile,
    weights,
    (frame) => frames.func[frame] * 2097152 + frames.line[frame], // exact: funcs < 2^31, lines < 2^21
    (frame) => {
      const f = frames.func[frame];
      let lines = result.get(f);
      if (!lines) result.set(f, (lines = new Map()));
      return costOf(lines, frames.line[frame]);
    },
  );
  return result;
}

/**
 * Per-line costs of one source file, across all its functions: `self` where a
 * line of the file was the innermost frame, `total` where it was anywhere on the
 * stack, once per sample. A line shared by two functions (a list comprehension
 * and the function around it, on Python 3.11 and older) counts once, so no
 * line exceeds 100%.
 */
export function fileLineCosts(profile: Profile, weights: Float64Array, file: number): Map<number, LineCost> {
  const { frames, funcs } = profile;
  const result = new Map<number, LineCost>();
  addLineCosts(
    profile,
    weights,
    (frame) => (funcs.file[frames.func[frame]] === file && frames.line[frame] > 0 ? frames.line[frame] : null),
    (frame) => costOf(result, frames.line[frame]),
  );
  return result;
}

function costOf(lines: Map<number, LineCost>, line: number): LineCost {
  let c = lines.get(line);
  if (!c) lines.set(line, (c = { self: 0, total: 0 }));
  return c;
}

/**
 * The walk both line views share: every frame of a weighted stack that the view keeps (`keyOf`
 * gives its line's key, null to leave it out) adds the stack's weight to its line's cost: to
 * `self` when it is the innermost frame, to `total` once per sample and key.
 */
function addLineCosts(
  profile: Profile,
  weights: Float64Array,
  keyOf: (frame: number) => number | null,
  cost: (frame: number) => LineCost,
): void {
  const { stacks } = profile;
  const seen = new Set<number>();
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    seen.clear();
    for (let cur = s; cur >= 0; cur = stacks.prefix[cur]) {
      const frame = stacks.frame[cur];
      const key = keyOf(frame);
      if (key === null) continue;
      const c = cost(frame);
      if (cur === s) c.self += w;
      if (seen.has(key)) continue;
      seen.add(key);
      c.total += w;
    }
  }
}

export interface CallersAndCallees {
  self: number;
  total: number;
  /** Direct callers with the weight of samples where they called the function (once per sample). */
  callers: { func: FuncIndex; weight: number }[];
  /** Direct callees with the weight of samples where the function called them (once per sample). */
  callees: { func: FuncIndex; weight: number }[];
}

/** The sandwich of one function: who calls it and whom it calls, with weights. */
export function callersAndCallees(profile: Profile, weights: Float64Array, func: FuncIndex): CallersAndCallees {
  const { stacks, frames } = profile;
  const callers = new Map<FuncIndex, number>();
  const callees = new Map<FuncIndex, number>();
  let self = 0;
  let total = 0;
  const seenCallers = new Set<number>();
  const seenCallees = new Set<number>();
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    let found = false;
    seenCallers.clear();
    seenCallees.clear();
    let child = -1; // the function called by `cur`, walking from leaf to root
    for (let cur = s; cur >= 0; cur = stacks.prefix[cur]) {
      const f = frames.func[stacks.frame[cur]];
      if (f === func) {
        found = true;
        if (cur === s) self += w;
        const p = stacks.prefix[cur];
        if (p >= 0) {
          const caller = frames.func[stacks.frame[p]];
          if (!seenCallers.has(caller)) {
            seenCallers.add(caller);
            callers.set(caller, (callers.get(caller) ?? 0) + w);
          }
        }
        if (child >= 0 && !seenCallees.has(child)) {
          seenCallees.add(child);
          callees.set(child, (callees.get(child) ?? 0) + w);
        }
      }
      child = f;
    }
    if (found) total += w;
  }
  const sorted = (m: Map<number, number>) =>
    [...m].map(([f, weight]) => ({ func: f, weight })).sort((a, b) => b.weight - a.weight || a.func - b.func);
  return { self, total, callers: sorted(callers), callees: sorted(callees) };
}

/** Functions along a stack, root first. */
export function stackFuncs(profile: Profile, stack: StackIndex): FuncIndex[] {
  const out: FuncIndex[] = [];
  for (let cur = stack; cur >= 0; cur = profile.stacks.prefix[cur]) out.push(profile.frames.func[profile.stacks.frame[cur]]);
  return out.reverse();
}

/** Functions whose name or file matches: a substring (case-insensitive) or a RegExp. */
export function matchingFunctions(profile: Profile, query: string | RegExp): Uint8Array {
  const { funcs, strings } = profile;
  const match = new Uint8Array(funcs.length);
  const lower = typeof query === 'string' ? query.toLowerCase() : '';
  for (let f = 0; f < funcs.length; f++) {
    const name = strings[funcs.name[f]];
    const file = funcs.file[f] < 0 ? '' : strings[funcs.file[f]];
    if (typeof query === 'string') {
      match[f] = name.toLowerCase().includes(lower) || file.toLowerCase().includes(lower) ? 1 : 0;
    } else {
      query.lastIndex = 0;
      const hit = query.test(name);
      query.lastIndex = 0;
      match[f] = hit || query.test(file) ? 1 : 0;
    }
  }
  return match;
}

/** Weight of samples with a matching function anywhere on their stack (each sample once). */
export function matchedWeight(profile: Profile, weights: Float64Array, match: Uint8Array): number {
  const { stacks, frames } = profile;
  const hit = new Uint8Array(stacks.length);
  let sum = 0;
  for (let s = 0; s < stacks.length; s++) {
    const p = stacks.prefix[s];
    hit[s] = (p >= 0 && hit[p]) || match[frames.func[stacks.frame[s]]] ? 1 : 0;
    if (hit[s]) sum += weights[s];
  }
  return sum;
}
