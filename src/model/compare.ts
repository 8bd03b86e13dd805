/**
 * Comparing two profiles (before / after a change, CPython / PyPy, pstats /
 * VMProf): functions and call paths are matched across the two by a key that
 * survives what differs between runs and formats — the function's name and its
 * file name (the last path component), not its line (code moves) nor its
 * directory (checkouts, containers and interpreters live in different places).
 *
 * Two normalisations, chosen by the caller and stated in every output:
 * - `share`: each function's share of its own profile's total (the default:
 *   works for any two profiles, whatever they count);
 * - `time`: absolute milliseconds (samples × interval, or time weights), which
 *   needs both profiles to measure time.
 *
 * Pure and linear in the profiles' sizes: shared by `pyrometer diff`, the viewer
 * and the server.
 */
import { GrowableColumn, IntPairMap } from './columns.js';
import { callTreeTopDown, stackWeights, totalWeight, type CallTree, type SampleFilter } from './analysis.js';
import { funcFile, funcName, type FuncIndex, type Profile } from './profile.js';
import { applyTransforms, type Transform } from './transforms.js';

export type Normalization = 'share' | 'time';

/** What one unit of weight is in ms; null when the profile does not measure time. */
export function msPerWeight(profile: Profile): number | null {
  const { weightUnit, interval } = profile.meta;
  switch (weightUnit) {
    case 'ms':
      return 1;
    case 'us':
      return 1e-3;
    case 'ns':
      return 1e-6;
    case 'samples':
      return interval > 0 ? interval : null;
    default:
      return null;
  }
}

/** The last component of a path, either separator. */
function fileName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? path : path.slice(cut + 1);
}

/** Interns the matching key of functions from several profiles into one numbering. */
export class FunctionKeys {
  readonly names: string[] = [];
  readonly files: string[] = [];
  private readonly ids = new Map<string, number>();

  /** Per function of the profile: its key id. */
  keysOf(profile: Profile): Int32Array {
    const out = new Int32Array(profile.funcs.length);
    for (let f = 0; f < profile.funcs.length; f++) {
      const name = funcName(profile, f);
      const file = fileName(funcFile(profile, f));
      const key = `${name}\u0000${file}`;
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.names.length;
        this.ids.set(key, id);
        this.names.push(name);
        this.files.push(file);
      }
      out[f] = id;
    }
    return out;
  }

  get length(): number {
    return this.names.length;
  }
}

export interface CompareOptions extends Pick<SampleFilter, 'hideIdle'> {
  normalization?: Normalization;
  /**
   * View transforms (focus, merge, collapse, drop...) in the after profile's function numbering:
   * applied to the after profile, and to the before profile through the cross-profile function
   * matching, so both sides are the same view of their run.
   */
  transforms?: readonly Transform[];
}

/**
 * Transforms written against `from`'s functions, rewritten for `to`: each function becomes the
 * function of `to` with the same matching key (name and file name; the first of them when `to` has
 * several, its own line then preferred). Where `to` has no such function a focus keeps nothing (the
 * code never ran there), a merge, drop or recursion collapse does nothing, and a call path stops
 * matching. A module collapse names its file by path, else by file name. Transforms without
 * functions (category focus, drop below a share, merge files by pattern) carry over as they are.
 */
export function transformsForOther(transforms: readonly Transform[], from: Profile, to: Profile): Transform[] {
  if (transforms.length === 0) return [];
  const keys = new FunctionKeys();
  const fromKeys = keys.keysOf(from);
  const toKeys = keys.keysOf(to);
  const byKey = new Map<number, FuncIndex>();
  for (let f = 0; f < to.funcs.length; f++) {
    const known = byKey.get(toKeys[f]);
    if (known === undefined) byKey.set(toKeys[f], f);
  }
  const match = (f: FuncIndex): FuncIndex => {
    if (f < 0 || f >= fromKeys.length) return -1;
    const first = byKey.get(fromKeys[f]);
    if (first === undefined) return -1;
    // Same name and file at several first lines: the one at the same line, else the first.
    for (let g = first; g < to.funcs.length; g++) if (toKeys[g] === fromKeys[f] && to.funcs.line[g] === from.funcs.line[f]) return g;
    return first;
  };
  const out: Transform[] = [];
  for (const t of transforms) {
    switch (t.type) {
      case 'focus-function':
      case 'cut-below':
        out.push({ ...t, func: match(t.func) }); // -1 matches no frame: nothing is kept
        break;
      case 'merge-function':
      case 'drop-function': {
        const func = match(t.func);
        if (func >= 0) out.push({ ...t, func });
        break;
      }
      case 'collapse-recursion': {
        const func = t.func < 0 ? -1 : match(t.func);
        if (t.func < 0 || func >= 0) out.push({ ...t, func });
        break;
      }
      case 'focus-subtree':
      case 'merge-call-node':
        out.push({ ...t, path: t.path.map(match) });
        break;
      case 'collapse-module': {
        const path = t.file >= 0 ? from.strings[t.file] : '';
        let file = to.strings.indexOf(path);
        if (file < 0) {
          const name = fileName(path);
          for (let f = 0; f < to.funcs.length && file < 0; f++) {
            const g = to.funcs.file[f];
            if (g >= 0 && fileName(to.strings[g]) === name) file = g;
          }
        }
        if (file >= 0) out.push({ ...t, file });
        break;
      }
      default:
        out.push(t);
    }
  }
  return out;
}

export interface FunctionChange {
  name: string;
  /** File name (last path component) the match used; '' when the profiles record none. */
  file: string;
  /** Self and total in the chosen normalisation: percent of the profile's total, or ms. */
  beforeSelf: number;
  afterSelf: number;
  beforeTotal: number;
  afterTotal: number;
  /** afterSelf - beforeSelf. */
  delta: number;
  /** afterSelf / beforeSelf; Infinity for a new function, 0 for a vanished one. */
  ratio: number;
}

export interface Comparison {
  normalization: Normalization;
  /** 'percent of each profile's total' or 'ms'. */
  unit: '%' | 'ms';
  /** Totals of each profile in its own unit and, when known, in ms. */
  before: { total: number; unit: string; ms: number | null };
  after: { total: number; unit: string; ms: number | null };
  /** Every function present in either profile, biggest absolute self change first. */
  functions: FunctionChange[];
}

export class CompareError extends Error {}

/** Scale factor from a profile's weights to the chosen normalisation. */
function scaleOf(profile: Profile, total: number, normalization: Normalization, which: string): number {
  if (normalization === 'share') return total > 0 ? 100 / total : 0;
  const ms = msPerWeight(profile);
  if (ms === null) {
    throw new CompareError(
      `the ${which} profile counts ${profile.meta.weightUnit}, not time: compare by share of total instead (--normalize share)`,
    );
  }
  return ms;
}

/**
 * Self and total per function key (scaled): like functionTable, but functions
 * sharing a key (one name at two lines of a file) count once per sample.
 */
function keyCosts(
  profile: Profile,
  weights: Float64Array,
  keyOf: Int32Array,
  n: number,
  scale: number,
): { self: Float64Array; total: Float64Array } {
  const { stacks, frames } = profile;
  const self = new Float64Array(n);
  const total = new Float64Array(n);
  const seenAt = new Int32Array(n).fill(-1);
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s] * scale;
    if (w === 0) continue;
    self[keyOf[frames.func[stacks.frame[s]]]] += w;
    for (let cur = s; cur >= 0; cur = stacks.prefix[cur]) {
      const k = keyOf[frames.func[stacks.frame[cur]]];
      if (seenAt[k] === s) continue;
      seenAt[k] = s;
      total[k] += w;
    }
  }
  return { self, total };
}

/** Both profiles with the after profile's transforms applied, the before one's through function matching. */
function transformedPair(before: Profile, after: Profile, transforms: readonly Transform[] = []): [Profile, Profile] {
  if (transforms.length === 0) return [before, after];
  return [applyTransforms(before, transformsForOther(transforms, after, before)), applyTransforms(after, transforms)];
}

/** Function-level comparison: self and total per matched function, sorted by the absolute self change. */
export function compareFunctions(before: Profile, after: Profile, options: CompareOptions = {}): Comparison {
  [before, after] = transformedPair(before, after, options.transforms);
  return compareWeighted(
    before,
    stackWeights(before, { hideIdle: options.hideIdle }),
    after,
    stackWeights(after, { hideIdle: options.hideIdle }),
    options.normalization ?? 'share',
  );
}

/** compareFunctions on weights already selected (the viewer's threads, range and idle choice). */
export function compareWeighted(
  before: Profile,
  beforeWeights: Float64Array,
  after: Profile,
  afterWeights: Float64Array,
  normalization: Normalization,
): Comparison {
  const keys = new FunctionKeys();
  const sides = [
    [before, beforeWeights],
    [after, afterWeights],
  ].map(([profile, weights], i) => {
    const p = profile as Profile;
    const w = weights as Float64Array;
    const total = totalWeight(w);
    return { profile: p, weights: w, total, scale: scaleOf(p, total, normalization, i === 0 ? 'first' : 'second'), keyOf: keys.keysOf(p) };
  });
  const n = keys.length;
  const costs = sides.map((side) => keyCosts(side.profile, side.weights, side.keyOf, n, side.scale));
  const self = costs.map((c) => c.self);
  const total = costs.map((c) => c.total);
  const functions: FunctionChange[] = [];
  for (let k = 0; k < n; k++) {
    if (self[0][k] === 0 && self[1][k] === 0 && total[0][k] === 0 && total[1][k] === 0) continue;
    const delta = self[1][k] - self[0][k];
    const ratio = self[0][k] > 0 ? self[1][k] / self[0][k] : self[1][k] > 0 ? Infinity : 1;
    functions.push({
      name: keys.names[k],
      file: keys.files[k],
      beforeSelf: self[0][k],
      afterSelf: self[1][k],
      beforeTotal: total[0][k],
      afterTotal: total[1][k],
      delta,
      ratio,
    });
  }
  functions.sort(
    (a, b) =>
      Math.abs(b.delta) - Math.abs(a.delta) ||
      Math.abs(b.afterTotal - b.beforeTotal) - Math.abs(a.afterTotal - a.beforeTotal) ||
      a.name.localeCompare(b.name),
  );
  const describe = (side: (typeof sides)[number]) => {
    const ms = msPerWeight(side.profile);
    return { total: side.total, unit: side.profile.meta.weightUnit, ms: ms === null ? null : side.total * ms };
  };
  return { normalization, unit: normalization === 'share' ? '%' : 'ms', before: describe(sides[0]), after: describe(sides[1]), functions };
}

/**
 * Call-path matching: for each node of `tree` (a call tree of `profile`), the
 * total of the node with the same path of function keys in `otherTree` (of
 * `otherProfile`), 0 when the other profile never took that path. Both trees'
 * weights stay in their own units; the caller scales them.
 */
export function matchTreeNodes(
  tree: CallTree,
  profile: Profile,
  otherTree: CallTree,
  otherProfile: Profile,
  keys = new FunctionKeys(),
): Float64Array {
  const keyOf = keys.keysOf(profile);
  const otherKeyOf = keys.keysOf(otherProfile);
  // Path ids: (parent path id, key) -> id, over the other tree first.
  const paths = new IntPairMap(1 << 12);
  const otherTotal = new GrowableColumn(Float64Array);
  const otherPath = new Int32Array(otherTree.length);
  for (let i = 0; i < otherTree.length; i++) {
    const parent = otherTree.parent[i] < 0 ? -1 : otherPath[otherTree.parent[i]];
    const key = otherKeyOf[otherTree.func[i]];
    let id = paths.get(parent, key);
    if (id === -1) {
      id = otherTotal.length;
      otherTotal.push(0);
      paths.set(parent, key, id);
    }
    otherPath[i] = id;
    // Two nodes can share a key path (two functions of the same name in one file): their totals add.
    otherTotal.data[id] += otherTree.total[i];
  }
  const out = new Float64Array(tree.length);
  const pathOf = new Int32Array(tree.length);
  for (let i = 0; i < tree.length; i++) {
    const parent = tree.parent[i] < 0 ? -1 : pathOf[tree.parent[i]];
    const id = parent === -2 ? -1 : paths.get(parent, keyOf[tree.func[i]]);
    pathOf[i] = id === -1 ? -2 : id; // -2: this path (and all below it) is new
    out[i] = id === -1 ? 0 : otherTotal.data[id];
  }
  return out;
}

/** A differential flame graph's data: the shown tree and, per node, the other profile's total on the same path, both normalised. */
export interface TreeDiff {
  tree: CallTree;
  /** Per node of `tree`: its total, normalised. */
  shown: Float64Array;
  /** Per node of `tree`: the other profile's total on the same call path, normalised. */
  other: Float64Array;
}

/** Normalised node totals of `tree` and of the same paths in `otherTree`. */
export function diffTree(
  tree: CallTree,
  profile: Profile,
  total: number,
  otherTree: CallTree,
  otherProfile: Profile,
  otherTotal: number,
  normalization: Normalization,
): TreeDiff {
  const scale = scaleOf(profile, total, normalization, 'shown');
  const otherScale = scaleOf(otherProfile, otherTotal, normalization, 'other');
  const other = matchTreeNodes(tree, profile, otherTree, otherProfile);
  const shown = new Float64Array(tree.length);
  for (let i = 0; i < tree.length; i++) {
    shown[i] = tree.total[i] * scale;
    other[i] *= otherScale;
  }
  return { tree, shown, other };
}

/** Convenience for the CLI and server: both top-down trees and the after tree's diff. */
export function compareTrees(before: Profile, after: Profile, options: CompareOptions = {}): TreeDiff {
  [before, after] = transformedPair(before, after, options.transforms);
  const normalization = options.normalization ?? 'share';
  const wb = stackWeights(before, { hideIdle: options.hideIdle });
  const wa = stackWeights(after, { hideIdle: options.hideIdle });
  const tb = callTreeTopDown(before, wb);
  const ta = callTreeTopDown(after, wa);
  return diffTree(ta, after, totalWeight(wa), tb, before, totalWeight(wb), normalization);
}
