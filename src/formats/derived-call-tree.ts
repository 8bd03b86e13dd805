/**
 * Approximate call trees for formats that only record a call GRAPH (pstats,
 * callgrind): per function an exclusive ("self") cost, an inclusive cost, and
 * per caller->callee edge the inclusive cost spent in the callee on behalf of
 * that caller. Such files say nothing about call paths, so any flame graph made
 * from them is a guess; readers using this set `meta.approximateCallTree` and
 * keep the exact tables in `profile.attachments`.
 *
 * The method (the classic "gprof assumption": a function costs the same per call
 * whoever calls it):
 * 1. Roots: every function gets the part of its inclusive cost that no other
 *    function's edge accounts for (`total - sum of incoming edges`, ignoring
 *    self-calls, each edge capped at its caller's own inclusive cost so that a
 *    zero-cost pseudo caller does not hide a root). A function never called is a
 *    root with its whole inclusive cost.
 * 2. Expansion: a node for function f carrying weight W splits W over f's self
 *    cost and f's outgoing edges, in proportion to those exact numbers:
 *    self gets W * self_f / D, child g gets W * edge(f->g) / D, where
 *    D = self_f + sum of the edges considered. Direct self-calls are never
 *    followed; a function may appear `maxRepeat` times on a path (default 2, so
 *    interpreter-style cycles such as eval -> call -> eval show one level), and
 *    edges beyond that are not followed and not counted in D.
 *    The total weight is conserved: the tree sums to the root weights.
 * 3. Bounds: nodes are expanded heaviest first (a priority queue), at most
 *    `maxDepth` deep and `maxNodes` in all; a node that is not expanded (too
 *    deep, too light, or out of budget) keeps its whole weight as self cost.
 *    So the big paths get detail and the tail stays summed, whatever the graph.
 * 4. Exact self costs: a node that is not expanded keeps its whole weight as self,
 *    and cycles cut short push weight onto the nodes where they were cut, so the
 *    tree's self cost per function drifts from the file's (on CPython under
 *    callgrind, by ~20% of the total summed over functions). So, last, every
 *    node's self weight is scaled by (exact self of its function) / (its
 *    function's self in the tree): per-function self costs in the result are
 *    exact, the tree's total is the sum of all exclusive costs, and only the
 *    inclusive costs of paths carry the approximation. Functions with self cost
 *    that no path reached are hung under the heaviest node of a caller.
 */
import type { ProfileBuilder } from '../model/builder.js';
import type { FrameIndex, ThreadIndex } from '../model/profile.js';

export interface CallGraphInput {
  /** Number of functions; functions are 0..funcCount-1 in the caller's own numbering. */
  funcCount: number;
  /** Exclusive cost per function. */
  self: Float64Array;
  /** Inclusive cost per function. */
  total: Float64Array;
  /** Edges: caller, callee, inclusive cost of the callee's calls from that caller. One edge per pair. */
  edgeCaller: Int32Array;
  edgeCallee: Int32Array;
  edgeCost: Float64Array;
}

export interface DerivedTreeOptions {
  maxDepth?: number;
  maxNodes?: number;
  /** Nodes lighter than this fraction of the grand total are not expanded. */
  minFraction?: number;
  /** How many times one function may appear on a derived path. */
  maxRepeat?: number;
  /** Rescale nodes so every function's self weight is its exact self cost (default true). */
  exactSelf?: boolean;
}

export interface DerivedTreeResult {
  nodes: number;
  /** Sum of all emitted sample weights (equals the sum of the root weights). */
  totalWeight: number;
  /** True when the node budget stopped the expansion before every heavy path was expanded. */
  budgetExhausted: boolean;
  /** Functions with self cost that the expansion never reached, attached under a caller. */
  orphans: number;
}

/** Max-heap of node ids by weight. */
class WeightHeap {
  private items: number[] = [];
  constructor(private readonly weight: number[]) {}
  get size(): number {
    return this.items.length;
  }
  push(node: number): void {
    const a = this.items;
    a.push(node);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.weight[a[p]] >= this.weight[a[i]]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.weight[a[l]] > this.weight[a[m]]) m = l;
        if (r < a.length && this.weight[a[r]] > this.weight[a[m]]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Builds the approximate tree and appends one sample per node (its self weight,
 * time 0) to `thread`. `frameOf(f)` gives the builder frame for function f.
 */
/** Each function's one frame (no line), made when the tree first needs it: what `frameOf` is for readers without lines. */
export function framePerFunction(builder: ProfileBuilder, funcCount: number): (func: number) => FrameIndex {
  const frames = new Int32Array(funcCount).fill(-1);
  return (f) => (frames[f] >= 0 ? frames[f] : (frames[f] = builder.frame(f)));
}

export function emitDerivedCallTree(
  builder: ProfileBuilder,
  thread: ThreadIndex,
  graph: CallGraphInput,
  frameOf: (func: number) => FrameIndex,
  options: DerivedTreeOptions = {},
): DerivedTreeResult {
  const maxDepth = options.maxDepth ?? 64;
  const maxNodes = options.maxNodes ?? 30_000;
  const minFraction = options.minFraction ?? 1e-5;
  const maxRepeat = options.maxRepeat ?? 2;
  const exactSelf = options.exactSelf ?? true;
  const n = graph.funcCount;

  // Outgoing edges per function (CSR) and incoming sums for the roots.
  const outCount = new Int32Array(n + 1);
  const incoming = new Float64Array(n);
  const edgeCost = new Float64Array(graph.edgeCost.length);
  for (let e = 0; e < graph.edgeCaller.length; e++) {
    const caller = graph.edgeCaller[e];
    const callee = graph.edgeCallee[e];
    edgeCost[e] = Math.min(graph.edgeCost[e], graph.total[caller]);
    if (caller === callee || !(edgeCost[e] > 0)) continue;
    outCount[caller + 1]++;
    incoming[callee] += edgeCost[e];
  }
  for (let f = 0; f < n; f++) outCount[f + 1] += outCount[f];
  const outStart = outCount;
  const fill = outStart.slice(0, n);
  const outCallee = new Int32Array(outStart[n]);
  const outCost = new Float64Array(outStart[n]);
  for (let e = 0; e < graph.edgeCaller.length; e++) {
    const caller = graph.edgeCaller[e];
    const callee = graph.edgeCallee[e];
    if (caller === callee || !(edgeCost[e] > 0)) continue;
    const k = fill[caller]++;
    outCallee[k] = callee;
    outCost[k] = edgeCost[e];
  }

  // Nodes: function, parent node, depth, weight, stack index, self weight.
  const nodeFunc: number[] = [];
  const nodeParent: number[] = [];
  const nodeDepth: number[] = [];
  const nodeWeight: number[] = [];
  const nodeStack: number[] = [];
  const nodeSelf: number[] = [];
  const heap = new WeightHeap(nodeWeight);
  const addNode = (func: number, parent: number, weight: number): number => {
    const id = nodeFunc.length;
    nodeFunc.push(func);
    nodeParent.push(parent);
    nodeDepth.push(parent < 0 ? 1 : nodeDepth[parent] + 1);
    nodeWeight.push(weight);
    nodeStack.push(builder.stack(parent < 0 ? -1 : nodeStack[parent], frameOf(func)));
    nodeSelf.push(weight);
    return id;
  };

  let grandTotal = 0;
  const rootWeights: [number, number][] = [];
  for (let f = 0; f < n; f++) {
    const deficit = graph.total[f] - incoming[f];
    // Float noise from summed edge costs must not make phantom roots.
    if (deficit > 1e-9 * Math.max(graph.total[f], 1e-300) && deficit > 0) {
      rootWeights.push([f, deficit]);
      grandTotal += deficit;
    }
  }
  rootWeights.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const minWeight = grandTotal * minFraction;
  for (const [f, w] of rootWeights) heap.push(addNode(f, -1, w));

  let budgetExhausted = false;
  const onPath = new Uint16Array(n);
  const childBuffer: number[] = [];
  while (heap.size > 0) {
    const node = heap.pop();
    const f = nodeFunc[node];
    const weight = nodeWeight[node];
    if (nodeDepth[node] >= maxDepth || weight < minWeight) continue;
    const start = outStart[f];
    const end = outStart[f + 1];
    if (start === end) continue;
    // Mark the path so cycles are not followed.
    for (let p = node; p >= 0; p = nodeParent[p]) onPath[nodeFunc[p]]++;
    let denominator = graph.self[f] > 0 ? graph.self[f] : 0;
    for (let k = start; k < end; k++) if (onPath[outCallee[k]] < maxRepeat) denominator += outCost[k];
    const children = childBuffer;
    children.length = 0;
    if (denominator > 0) {
      for (let k = start; k < end; k++) {
        if (onPath[outCallee[k]] >= maxRepeat) continue;
        children.push(k);
      }
    }
    for (let p = node; p >= 0; p = nodeParent[p]) onPath[nodeFunc[p]] = 0;
    if (children.length === 0) continue;
    if (nodeFunc.length + children.length > maxNodes) {
      budgetExhausted = true;
      continue;
    }
    let given = 0;
    for (const k of children) {
      const share = (weight * outCost[k]) / denominator;
      given += share;
      heap.push(addNode(outCallee[k], node, share));
    }
    nodeSelf[node] = Math.max(0, weight - given);
  }

  // 4. Exact self costs: scale each function's nodes so that its self weight in the
  //    tree equals its exact self cost; a function the expansion never reached with
  //    self weight hangs under the heaviest node of one of its callers (or at the root).
  const treeSelf = new Float64Array(n);
  for (let i = 0; i < nodeFunc.length; i++) treeSelf[nodeFunc[i]] += nodeSelf[i];
  let orphans = 0;
  if (exactSelf) {
    for (let i = 0; i < nodeFunc.length; i++) {
      const f = nodeFunc[i];
      if (treeSelf[f] > 0) nodeSelf[i] *= Math.max(0, graph.self[f]) / treeSelf[f];
    }
    const heaviestNodeOf = new Int32Array(n).fill(-1);
    for (let i = 0; i < nodeFunc.length; i++) {
      const f = nodeFunc[i];
      if (heaviestNodeOf[f] < 0 || nodeWeight[i] > nodeWeight[heaviestNodeOf[f]]) heaviestNodeOf[f] = i;
    }
    const bestCaller = new Int32Array(n).fill(-1);
    for (let e = 0; e < graph.edgeCaller.length; e++) {
      const caller = graph.edgeCaller[e];
      const callee = graph.edgeCallee[e];
      const candidate = heaviestNodeOf[caller];
      if (caller === callee || candidate < 0) continue;
      if (bestCaller[callee] < 0 || nodeWeight[candidate] > nodeWeight[bestCaller[callee]]) bestCaller[callee] = candidate;
    }
    for (let f = 0; f < n; f++) {
      if (treeSelf[f] > 0 || !(graph.self[f] > 0)) continue;
      const id = addNode(f, bestCaller[f], graph.self[f]);
      nodeSelf[id] = graph.self[f];
      orphans++;
    }
  }

  // Should a graph list one pair twice, the builder interns (prefix, frame), so
  // such nodes share a stack and their samples simply add up.
  let totalWeight = 0;
  for (let i = 0; i < nodeFunc.length; i++) {
    if (nodeSelf[i] > 0) {
      builder.addSample(thread, nodeStack[i], 0, nodeSelf[i]);
      totalWeight += nodeSelf[i];
    }
  }
  return { nodes: nodeFunc.length, totalWeight, budgetExhausted, orphans };
}
