/**
 * Geometry of the flame graph and the stack chart, kept apart from drawing so
 * it can be unit-tested: rectangles in (weight or time units, depth rows), the
 * subtree skips that let the renderer cull whole invisible subtrees, and hit
 * testing. Everything is flat typed arrays: 50,000 nodes must lay out in a few
 * milliseconds and draw at 60 fps.
 */

/** The parts of the model's CallTree the layout reads (see src/model/analysis.ts). */
export interface TreeLike {
  length: number;
  func: Int32Array;
  parent: Int32Array;
  depth: Int32Array;
  total: Float64Array;
  self: Float64Array;
  childStart: Int32Array;
  childCount: Int32Array;
  children: Int32Array;
  roots: Int32Array;
  rootTotal: number;
}

export interface FlameLayout {
  tree: TreeLike;
  /** Left edge of node i, in weight units from 0 to `width`. */
  x: Float64Array;
  /** One past the last node of i's subtree (nodes are in depth-first pre-order). */
  subtreeEnd: Int32Array;
  /** The deepest depth in i's subtree (sub-pixel subtrees are drawn as runs down to it). */
  deepest: Int32Array;
  /** Total width: the sum of the roots' totals. */
  width: number;
  /** Number of rows (deepest depth + 1). */
  rows: number;
}

/**
 * Lays the roots side by side, widest first, each child at its parent's left edge plus its elder
 * siblings' widths. `deepestBelow`: for a tree cut short (model's callTreeBottomUpTop), the deepest
 * depth of each node's whole subtree, so a cut node is drawn as deep as the whole tree draws it.
 */
export function layoutFlame(tree: TreeLike, deepestBelow?: Int32Array): FlameLayout {
  const n = tree.length;
  const x = new Float64Array(n);
  const subtreeEnd = new Int32Array(n);
  const deepest = new Int32Array(n);
  let width = 0;
  for (let r = 0; r < tree.roots.length; r++) {
    const root = tree.roots[r];
    x[root] = width;
    width += tree.total[root];
  }
  let rows = 0;
  for (let i = 0; i < n; i++) {
    let offset = x[i];
    const start = tree.childStart[i];
    const end = start + tree.childCount[i];
    for (let k = start; k < end; k++) {
      const c = tree.children[k];
      x[c] = offset;
      offset += tree.total[c];
    }
    if (tree.depth[i] + 1 > rows) rows = tree.depth[i] + 1;
  }
  // Pre-order: a subtree is the contiguous run [i, subtreeEnd[i]). Children have larger
  // indices than their parent, so a backward pass sees every child's end before its parent.
  for (let i = n - 1; i >= 0; i--) {
    let end = i + 1;
    let deep = deepestBelow ? deepestBelow[i] : tree.depth[i];
    const start = tree.childStart[i];
    for (let k = start; k < start + tree.childCount[i]; k++) {
      const c = tree.children[k];
      if (subtreeEnd[c] > end) end = subtreeEnd[c];
      if (deepest[c] > deep) deep = deepest[c];
    }
    subtreeEnd[i] = end;
    deepest[i] = deep;
    if (deep + 1 > rows) rows = deep + 1;
  }
  return { tree, x, subtreeEnd, deepest, width, rows };
}

/** The node whose rectangle contains (wx, row), or -1. Walks down from the roots: O(depth × siblings). */
export function hitTestFlame(layout: FlameLayout, wx: number, row: number): number {
  const { tree, x } = layout;
  if (row < 0 || wx < 0 || wx >= layout.width) return -1;
  let candidates: ArrayLike<number> = tree.roots;
  let from = 0;
  let count = tree.roots.length;
  for (let depth = 0; ; depth++) {
    let found = -1;
    for (let k = 0; k < count; k++) {
      const c = candidates[from + k];
      if (wx >= x[c] && wx < x[c] + tree.total[c]) {
        found = c;
        break;
      }
    }
    if (found < 0) return -1;
    if (depth === row) return found;
    candidates = tree.children;
    from = tree.childStart[found];
    count = tree.childCount[found];
  }
}

/** Ancestors of a node, root first, ending with the node itself. */
export function pathToRoot(tree: { parent: Int32Array }, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n >= 0; n = tree.parent[n]) path.push(n);
  return path.reverse();
}

/**
 * Stack chart boxes: for each depth row, runs of consecutive samples that share
 * the same stack prefix down to that depth merge into one box. Rows are sorted
 * by start time, so drawing a time window is a binary search per row.
 */
export interface StackChartRow {
  length: number;
  start: Float64Array;
  end: Float64Array;
  /** The stack index at this depth (its function is the box's label). */
  stack: Int32Array;
}

export interface StackChart {
  rows: StackChartRow[];
  startTime: number;
  endTime: number;
}

interface StackTableLike {
  length: number;
  prefix: Int32Array;
  depth: Int32Array;
}

class GrowRow {
  start = new Float64Array(256);
  end = new Float64Array(256);
  stack = new Int32Array(256);
  length = 0;
  push(start: number, end: number, stack: number): void {
    if (this.length === this.start.length) {
      const cap = this.length * 2;
      const s = new Float64Array(cap);
      s.set(this.start);
      this.start = s;
      const e = new Float64Array(cap);
      e.set(this.end);
      this.end = e;
      const k = new Int32Array(cap);
      k.set(this.stack);
      this.stack = k;
    }
    this.start[this.length] = start;
    this.end[this.length] = end;
    this.stack[this.length] = stack;
    this.length++;
  }
  finish(): StackChartRow {
    return {
      length: this.length,
      start: this.start.slice(0, this.length),
      end: this.end.slice(0, this.length),
      stack: this.stack.slice(0, this.length),
    };
  }
}

/**
 * Builds the stack chart of one thread. `stackOf(i)` may return -1 (empty or
 * filtered sample): it closes every open box. A sample lasts until the next
 * sample's time, the last one for `interval` ms.
 */
export function layoutStackChart(
  stacks: StackTableLike,
  sampleStack: Int32Array,
  sampleTime: Float64Array,
  interval: number,
  mapStack: (stack: number) => number = (s) => s,
): StackChart {
  const rows: GrowRow[] = [];
  const open: number[] = []; // stack index open at each depth
  const openStart: number[] = [];
  const n = sampleStack.length;
  const path: number[] = [];
  const fallbackInterval = interval > 0 ? interval : 1;
  const closeFrom = (depth: number, time: number): void => {
    for (let d = open.length - 1; d >= depth; d--) {
      rows[d].push(openStart[d], time, open[d]);
    }
    open.length = depth;
    openStart.length = depth;
  };
  for (let i = 0; i < n; i++) {
    const time = sampleTime[i];
    const stack = mapStack(sampleStack[i]);
    path.length = 0;
    for (let s = stack; s >= 0; s = stacks.prefix[s]) path.push(s);
    path.reverse();
    let same = 0;
    while (same < open.length && same < path.length && open[same] === path[same]) same++;
    closeFrom(same, time);
    for (let d = same; d < path.length; d++) {
      if (!rows[d]) rows[d] = new GrowRow();
      open.push(path[d]);
      openStart.push(time);
    }
  }
  const endTime = n > 0 ? sampleTime[n - 1] + fallbackInterval : 0;
  closeFrom(0, endTime);
  return { rows: rows.map((r) => r.finish()), startTime: n > 0 ? sampleTime[0] : 0, endTime };
}

/**
 * The chart's time axis is the run's: from its start (0) to its recorded duration, so
 * samples, phases and the memory curve share one axis whatever stretch the samples
 * cover. Profiles whose sample times are only an order (no times, no duration) keep
 * the samples' own span.
 */
export function onRunAxis(chart: StackChart, runMs: number, timing: 'recorded' | 'spread' | 'order'): StackChart {
  if (timing === 'order' || !(runMs > 0) || chart.rows.length === 0) return chart;
  return { ...chart, startTime: Math.min(0, chart.startTime), endTime: Math.max(runMs, chart.endTime) };
}

/** Index of the first box in a row that ends after `time` (binary search). */
/** Boxes in time order: a stack chart row or a marker row. */
export interface TimeBoxes {
  length: number;
  start: Float64Array;
  end: Float64Array;
}

export function firstBoxEndingAfter(row: TimeBoxes, time: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (row.end[mid] <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The box (index into rows[row]) containing `time`, or -1. */
export function hitTestStackChart(chart: StackChart, time: number, row: number): number {
  const r = chart.rows[row];
  if (!r) return -1;
  const i = firstBoxEndingAfter(r, time);
  return i < r.length && r.start[i] <= time ? i : -1;
}

/**
 * Stacks keyed by function path instead of frame path: frames of one function
 * at different lines become one node, so the stack chart draws one box while a
 * function runs, whatever line it is on. Returns a stack-like table of those
 * nodes, each stack's node, and each node's function.
 */
export function functionPaths(
  stacks: StackTableLike & { frame: Int32Array },
  frameFunc: Int32Array,
): { table: StackTableLike; nodeOf: Int32Array; func: Int32Array } {
  const n = stacks.length;
  const nodeOf = new Int32Array(n);
  const prefix: number[] = [];
  const depth: number[] = [];
  const func: number[] = [];
  const index = new Map<number, number>();
  for (let s = 0; s < n; s++) {
    const p = stacks.prefix[s];
    const parent = p < 0 ? -1 : nodeOf[p];
    const f = frameFunc[stacks.frame[s]];
    const key = (parent + 1) * 4294967296 + f; // exact below 2^53: parents and funcs < 2^21 · 2^32
    let node = index.get(key);
    if (node === undefined) {
      node = func.length;
      index.set(key, node);
      prefix.push(parent);
      depth.push(parent < 0 ? 1 : depth[parent] + 1);
      func.push(f);
    }
    nodeOf[s] = node;
  }
  return {
    table: { length: func.length, prefix: Int32Array.from(prefix), depth: Int32Array.from(depth) },
    nodeOf,
    func: Int32Array.from(func),
  };
}

/**
 * Several threads' stack charts stacked into one chart that shares the time
 * axis: each lane is a header row (the thread's name goes there) followed by
 * that thread's rows. The renderer, culling and hit testing stay those of a
 * single chart; `lanes` says which rows belong to which thread.
 */
export interface Lane {
  label: string;
  /** The row holding the lane's name; the lane's boxes are rows headerRow+1 .. headerRow+rows. */
  headerRow: number;
  rows: number;
}

export function stackLanes(charts: StackChart[], labels: string[]): { chart: StackChart; lanes: Lane[] } {
  const empty: StackChartRow = { length: 0, start: new Float64Array(0), end: new Float64Array(0), stack: new Int32Array(0) };
  const rows: StackChartRow[] = [];
  const lanes: Lane[] = [];
  let startTime = Infinity;
  let endTime = -Infinity;
  charts.forEach((c, i) => {
    lanes.push({ label: labels[i] ?? '', headerRow: rows.length, rows: c.rows.length });
    rows.push(empty, ...c.rows);
    // A thread without samples has a 0..0 span: it must not stretch the shared axis.
    if (c.rows.length > 0) {
      startTime = Math.min(startTime, c.startTime);
      endTime = Math.max(endTime, c.endTime);
    }
  });
  if (!(endTime > startTime)) {
    startTime = 0;
    endTime = 1;
  }
  return { chart: { rows, startTime, endTime }, lanes };
}

/** The lane a chart row belongs to (its header row included), or -1. */
export function laneOfRow(lanes: Lane[], row: number): number {
  for (let i = lanes.length - 1; i >= 0; i--) if (row >= lanes[i].headerRow) return row <= lanes[i].headerRow + lanes[i].rows ? i : -1;
  return -1;
}

/** One marker as the layout reads it (a view of the model's MarkerTable rows of several threads). */
export interface MarkerInput {
  start: number;
  end: number;
  depth: number;
  category: string;
}

/**
 * Marker rows (GC and JIT phases of PyPy logs): a marker goes to the first row at or
 * below its nesting depth that is free at its start, so nested sections sit under
 * their parent and markers of different threads never overlap. Within a row boxes
 * do not overlap and are sorted by start, hence also by end: culling a time window
 * is the stack chart's binary search (`firstBoxEndingAfter`).
 */
export interface MarkerLayout {
  rows: { length: number; start: Float64Array; end: Float64Array /** Index into the input. */; marker: Int32Array }[];
  /** Category names in order of first appearance; `categoryOf[i]` indexes it. */
  categories: string[];
  categoryOf: Int32Array;
}

export function layoutMarkers(markers: MarkerInput[]): MarkerLayout {
  const order = markers
    .map((_, i) => i)
    .sort((a, b) => markers[a].start - markers[b].start || markers[a].depth - markers[b].depth || markers[b].end - markers[a].end);
  const rowEnd: number[] = [];
  const rowItems: number[][] = [];
  const categories: string[] = [];
  const categoryIndex = new Map<string, number>();
  const categoryOf = new Int32Array(markers.length);
  for (const i of order) {
    const m = markers[i];
    let c = categoryIndex.get(m.category);
    if (c === undefined) {
      c = categories.length;
      categories.push(m.category);
      categoryIndex.set(m.category, c);
    }
    categoryOf[i] = c;
    let r = Math.max(0, m.depth);
    // An instant (end == start) still occupies its start moment.
    while (r < rowEnd.length && rowEnd[r] > m.start) r++;
    while (rowEnd.length <= r) {
      rowEnd.push(-Infinity);
      rowItems.push([]);
    }
    rowEnd[r] = Math.max(m.end, m.start + 1e-9);
    rowItems[r].push(i);
  }
  const rows = rowItems.map((items) => ({
    length: items.length,
    start: Float64Array.from(items, (i) => markers[i].start),
    end: Float64Array.from(items, (i) => markers[i].end),
    marker: Int32Array.from(items),
  }));
  return { rows, categories, categoryOf };
}

/** The marker box (index into the row) containing `time`, or -1; instants are hit within `slack`. */
export function hitTestMarkers(layout: MarkerLayout, time: number, row: number, slack = 0): number {
  const r = layout.rows[row];
  if (!r) return -1;
  let best = -1;
  let bestDistance = Infinity;
  for (let i = firstBoxEndingAfter(r, time - slack); i < r.length && r.start[i] <= time + slack; i++) {
    const distance = time < r.start[i] ? r.start[i] - time : time > r.end[i] ? time - r.end[i] : 0;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Wall-clock time per category: the union of its markers' intervals (nested sections
 * of one category count once), so "GC 12% of the run" never exceeds 100%.
 */
export function markerTimeByCategory(markers: MarkerInput[]): Map<string, number> {
  const byCategory = new Map<string, [number, number][]>();
  for (const m of markers) {
    if (!(m.end > m.start)) continue;
    let list = byCategory.get(m.category);
    if (!list) byCategory.set(m.category, (list = []));
    list.push([m.start, m.end]);
  }
  const out = new Map<string, number>();
  for (const [category, list] of byCategory) {
    list.sort((a, b) => a[0] - b[0]);
    let total = 0;
    let [curStart, curEnd] = list[0];
    for (let i = 1; i < list.length; i++) {
      const [s, e] = list[i];
      if (s > curEnd) {
        total += curEnd - curStart;
        curStart = s;
        curEnd = e;
      } else if (e > curEnd) curEnd = e;
    }
    out.set(category, total + curEnd - curStart);
  }
  return out;
}

/**
 * Keyboard moves in the flame graph: to the parent, the widest child, or the
 * previous/next sibling (roots are siblings of each other). Returns the node
 * itself when there is nowhere to go; from no node (-1) every move lands on
 * the widest root.
 */
export function flameNeighbor(tree: TreeLike, node: number, move: 'parent' | 'child' | 'prev' | 'next'): number {
  if (node < 0 || node >= tree.length) return tree.roots.length > 0 ? tree.roots[0] : -1;
  switch (move) {
    case 'parent':
      return tree.parent[node] >= 0 ? tree.parent[node] : node;
    case 'child':
      return tree.childCount[node] > 0 ? tree.children[tree.childStart[node]] : node;
    default: {
      const p = tree.parent[node];
      const list = p < 0 ? tree.roots : tree.children.subarray(tree.childStart[p], tree.childStart[p] + tree.childCount[p]);
      const at = list.indexOf(node);
      const next = at + (move === 'next' ? 1 : -1);
      return next >= 0 && next < list.length ? list[next] : node;
    }
  }
}
