/**
 * The analyses one view state needs, computed lazily and cached: the viewer
 * reads the shared model analyses (src/model/analysis.ts), never a format.
 */
import type { Profile } from '../../src/model/profile.js';
import { CATEGORY_JIT } from '../../src/model/profile.js';
import {
  callTreeBottomUp,
  callTreeBottomUpTop,
  callTreeTopDown,
  fileLineCosts,
  functionTable,
  lineCosts,
  matchedWeight,
  matchingFunctions,
  stackWeights,
  totalWeight,
  type CallTree,
  type FunctionCosts,
  type LineCost,
} from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import {
  callTreeTimeSplit,
  functionTimeSplit,
  invertedTreeTimeSplit,
  stackTimeSplit,
  TIME_CLASS_COUNT,
  totalTimeSplit,
} from '../../src/model/time-split.js';
import type { ViewState } from './state.js';
import { toModelTransforms } from '../../src/model/view-transforms.js';
import { layoutFlame, type FlameLayout } from './layout.js';

/** Compiles the search box: a case-insensitive RegExp in regex mode, else a plain substring. Null when empty or invalid. */
export function compileSearch(search: string, regex: boolean): string | RegExp | null {
  if (!search) return null;
  // `/pattern/` (optionally `/pattern/i`) is a regular expression too, as the search box's placeholder says.
  const slashed = /^\/(.+)\/([a-z]*)$/.exec(search);
  if (slashed && !regex) {
    try {
      return new RegExp(slashed[1], 'i');
    } catch {
      return null;
    }
  }
  if (!regex) return search;
  try {
    return new RegExp(search, 'i');
  } catch {
    return null;
  }
}

/** The index of each row's largest class (rows of TIME_CLASS_COUNT numbers); rows without time get 'interpreted'. */
function dominantClasses(split: Float64Array): Uint8Array {
  const out = new Uint8Array(split.length / TIME_CLASS_COUNT).fill(1);
  for (let n = 0; n < out.length; n++) {
    let best = -1;
    for (let c = 0; c < TIME_CLASS_COUNT; c++) {
      const v = split[n * TIME_CLASS_COUNT + c];
      if (v > 0 && (best < 0 || v > split[n * TIME_CLASS_COUNT + best])) best = c;
    }
    if (best >= 0) out[n] = best;
  }
  return out;
}

/** Up to this many frames in the weighted stacks, the whole bottom-up tree is built at once (~100 ms at most). */
const WHOLE_INVERTED_AT_ONCE = 200_000;

export class ViewModel {
  readonly profile: Profile;
  readonly weights: Float64Array;
  readonly total: number;
  private topDownTree: CallTree | null = null;
  private bottomUpTree: CallTree | null = null;
  private flame: FlameLayout | null = null;
  private invertedFlame: FlameLayout | null = null;
  private invertedTop: { minTotal: number; layout: FlameLayout } | null = null;
  private funcs: FunctionCosts | null = null;
  private lineData: Map<number, Map<number, LineCost>> | null = null;
  private fileLineData = new Map<number, Map<number, LineCost>>();
  private jit: Float64Array | null = null;
  match: Uint8Array | null = null;
  matchWeight = 0;
  private searchKey = '';
  private readonly filter: Parameters<typeof stackWeights>[1];
  private splitByStack: Float64Array | null = null;
  private splitByFunc: Float64Array | null = null;
  private splitByNode: Float64Array | null = null;
  private splitByInvertedNode: Float64Array | null = null;
  private splitTotal: Float64Array | null = null;
  private nodeClass: Uint8Array | null = null;
  private invertedNodeClass: Uint8Array | null = null;
  private funcClass: Uint8Array | null = null;

  constructor(
    readonly base: Profile,
    state: ViewState,
    transformed?: Profile,
  ) {
    this.profile = transformed ?? applyTransforms(base, toModelTransforms(state.transforms));
    this.filter = {
      threads: state.threads.filter((t) => t < base.threads.length),
      startTime: state.range?.[0],
      endTime: state.range?.[1],
      hideIdle: state.hideIdle,
    };
    this.weights = stackWeights(this.profile, this.filter);
    this.total = totalWeight(this.weights);
    this.setSearch(state.search, state.regex);
  }

  /** The state parts that change the weights: a ViewModel is reused while they stay the same. */
  static key(state: ViewState): string {
    return JSON.stringify([state.profile, state.transforms, state.threads, state.range, state.hideIdle]);
  }

  /** Highlights functions matching the search (name or file); cached per query. */
  setSearch(search: string, regex: boolean): void {
    const key = `${regex ? 're' : 'sub'}:${search}`;
    if (key === this.searchKey) return;
    this.searchKey = key;
    const query = compileSearch(search, regex);
    this.match = query === null ? null : matchingFunctions(this.profile, query);
    this.matchWeight = this.match ? matchedWeight(this.profile, this.weights, this.match) : 0;
  }

  get unit(): string {
    return this.profile.meta.weightUnit;
  }

  topDown(): CallTree {
    return (this.topDownTree ??= callTreeTopDown(this.profile, this.weights));
  }

  bottomUp(): CallTree {
    return (this.bottomUpTree ??= callTreeBottomUp(this.profile, this.weights));
  }

  /** The flame graph: top-down, or bottom-up when inverted (roots are the functions that spent the time). */
  flameLayout(inverted = false): FlameLayout {
    if (inverted) return (this.invertedFlame ??= layoutFlame(this.bottomUp()));
    return (this.flame ??= layoutFlame(this.topDown()));
  }

  /**
   * The inverted flame graph for a first paint at most `widthPx` wide, unzoomed. A bottom-up tree has
   * a node per distinct path from a leaf, a million of them on a big profile, nearly all under a
   * pixel: when the whole tree would be big, this lays out only the nodes such a paint draws one by
   * one and the callers below them (model's callTreeBottomUpTop: the same picture), and
   * `hasWholeInvertedFlame()` says the whole is still to be built (`flameLayout(true)`).
   */
  invertedFlameFirst(widthPx: number): FlameLayout {
    if (this.invertedFlame) return this.invertedFlame;
    const { stacks } = this.profile;
    let paths = 0; // the whole tree's size at most: one node per frame of each weighted stack
    for (let s = 0; s < stacks.length; s++) if (this.weights[s] !== 0) paths += stacks.depth[s];
    if (paths <= WHOLE_INVERTED_AT_ONCE) return this.flameLayout(true);
    const minTotal = (0.5 * this.total) / Math.max(1, widthPx); // the canvas's half pixel, unzoomed
    if (this.invertedTop?.minTotal !== minTotal) {
      const { tree, deepest } = callTreeBottomUpTop(this.profile, this.weights, minTotal);
      this.invertedTop = { minTotal, layout: layoutFlame(tree, deepest) };
    }
    return this.invertedTop.layout;
  }

  hasWholeInvertedFlame(): boolean {
    return this.invertedFlame !== null;
  }

  functions(): FunctionCosts {
    return (this.funcs ??= functionTable(this.profile, this.weights));
  }

  /** Per-line costs of one file (string index), each line once per sample. */
  fileLines(file: number): Map<number, LineCost> {
    let lines = this.fileLineData.get(file);
    if (!lines) this.fileLineData.set(file, (lines = fileLineCosts(this.profile, this.weights, file)));
    return lines;
  }

  lines(): Map<number, Map<number, LineCost>> {
    return (this.lineData ??= lineCosts(this.profile, this.weights));
  }

  /** Per function: self weight spent in JIT-compiled frames (PyPy), to show each function's JIT share. */
  jitSelf(): Float64Array {
    if (this.jit) return this.jit;
    const { stacks, frames, funcs } = this.profile;
    const jit = new Float64Array(funcs.length);
    for (let s = 0; s < stacks.length; s++) {
      const w = this.weights[s];
      if (w === 0) continue;
      const frame = stacks.frame[s];
      if (frames.category[frame] === CATEGORY_JIT) jit[frames.func[frame]] += w;
    }
    return (this.jit = jit);
  }

  /** Functions whose own (self) time is mostly JIT-compiled code: drawn in the JIT colour. */
  mostlyJit(): Uint8Array {
    const { stacks, frames, funcs } = this.profile;
    const self = new Float64Array(funcs.length);
    const jit = this.jitSelf();
    for (let s = 0; s < stacks.length; s++) {
      const w = this.weights[s];
      if (w !== 0) self[frames.func[stacks.frame[s]]] += w;
    }
    const out = new Uint8Array(funcs.length);
    for (let f = 0; f < funcs.length; f++) out[f] = self[f] > 0 && jit[f] * 2 >= self[f] ? 1 : 0;
    return out;
  }

  /** Where the selected time went per stack (model/time-split.ts): TIME_CLASS_COUNT numbers per row. */
  timeSplit(): Float64Array {
    return (this.splitByStack ??= stackTimeSplit(this.profile, this.filter));
  }

  /** Per function: the split of its total time. */
  functionSplit(): Float64Array {
    return (this.splitByFunc ??= functionTimeSplit(this.profile, this.timeSplit()));
  }

  /** Per node of the top-down tree: the split of its total time. */
  treeSplit(): Float64Array {
    return (this.splitByNode ??= callTreeTimeSplit(this.topDown(), this.timeSplit()));
  }

  /** Per node of the bottom-up (inverted) tree: the split of its total time. */
  invertedTreeSplit(): Float64Array {
    return (this.splitByInvertedNode ??= invertedTreeTimeSplit(this.profile, this.bottomUp(), this.timeSplit()));
  }

  /** The whole selection's split. */
  splitTotals(): Float64Array {
    return (this.splitTotal ??= totalTimeSplit(this.timeSplit()));
  }

  /** Worth a column: the time went to more than one class. */
  hasSplit(): boolean {
    let classes = 0;
    for (const v of this.splitTotals()) if (v > 0) classes++;
    return classes > 1;
  }

  /** Per node of the top-down or inverted tree: the class with most of its time (the flame graph's "where time went" colouring). */
  dominantClassOfNodes(inverted = false): Uint8Array {
    if (inverted) return (this.invertedNodeClass ??= dominantClasses(this.invertedTreeSplit()));
    return (this.nodeClass ??= dominantClasses(this.treeSplit()));
  }

  /** Per function: the class with most of its total time (the stack chart's and sandwich's colouring). */
  dominantClassOfFunctions(): Uint8Array {
    return (this.funcClass ??= dominantClasses(this.functionSplit()));
  }

  hasJit(): boolean {
    const jit = this.jitSelf();
    for (let i = 0; i < jit.length; i++) if (jit[i] > 0) return true;
    return false;
  }
}
