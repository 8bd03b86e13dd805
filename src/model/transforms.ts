/**
 * View transforms: each maps every stack of a Profile to a new stack (or to
 * "dropped") and returns a new Profile sharing the strings, functions and
 * frames of the original. The stack table is rebuilt in one forward pass
 * (parents first), so transforms are iterative and O(stacks + samples).
 *
 * A dropped sample keeps its time but gets stack -1, which every analysis
 * ignores: percentages after "focus on f" are relative to the samples that
 * contain f, as in the Firefox Profiler.
 */
import { StackTableBuilder } from './columns.js';
import { callTreeTopDown, stackWeights, totalWeight } from './analysis.js';
import { frameFunc, type FuncIndex, type Profile, type StackIndex } from './profile.js';

export type Transform =
  /** Keep only samples containing f; re-root them at the outermost call of f. */
  | { type: 'focus-function'; func: FuncIndex }
  /** Keep only samples whose root-first function path starts with `path`; re-root at its last element. */
  | { type: 'focus-subtree'; path: FuncIndex[] }
  /** Remove f's frames; its time goes to its caller. */
  | { type: 'merge-function'; func: FuncIndex }
  /** Fold direct self-calls of f (f -> f -> f becomes f); every function when func is -1. */
  | { type: 'collapse-recursion'; func: FuncIndex }
  /** Cut call-tree nodes below `percent` of the total; their time goes to the nearest kept ancestor. */
  | { type: 'drop-below'; percent: number }
  /** Merge every function whose file matches the regular expression (e.g. the standard library). */
  | { type: 'merge-files'; pattern: string }
  /** Drop every sample with f anywhere on its stack (the time leaves the profile). */
  | { type: 'drop-function'; func: FuncIndex }
  /** Keep only frames of one category (index into CATEGORIES); samples with none of them drop. */
  | { type: 'focus-category'; category: number }
  /** Calls inside one file (module or library) collapse into the frame that entered it. */
  | { type: 'collapse-module'; file: number }
  /** Remove the frames of one call node (a root-first function path) only; its time goes to its caller. */
  | { type: 'merge-call-node'; path: FuncIndex[] }
  /** Keep only samples containing f, cut at its outermost call: what f called becomes f's self time (the callers' half of a sandwich). */
  | { type: 'cut-below'; func: FuncIndex };

const DROPPED = -2;

/**
 * Rebuilds the stack table. `decide(s, parentNew)` returns the new stack for old
 * stack s given its parent's new stack: DROPPED, `parentNew` (skip this frame),
 * or `rebuild.stack(parentNew, frame)`.
 */
function remapStacks(
  profile: Profile,
  decide: (s: StackIndex, parentNew: StackIndex, rebuild: StackTableBuilder) => StackIndex,
  keep?: Uint8Array,
): Profile {
  const { stacks } = profile;
  const rebuild = new StackTableBuilder();
  const mapped = new Int32Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) {
    const p = stacks.prefix[s];
    const parentNew = p < 0 ? -1 : mapped[p];
    mapped[s] = parentNew === DROPPED ? DROPPED : decide(s, parentNew, rebuild);
  }
  const threads = profile.threads.map((t) => {
    const old = t.samples.stack;
    const stack = new Int32Array(old.length);
    for (let i = 0; i < old.length; i++) {
      const m = old[i] < 0 || (keep && !keep[old[i]]) ? -1 : mapped[old[i]];
      stack[i] = m === DROPPED ? -1 : m;
    }
    return { ...t, samples: { ...t.samples, stack } };
  });
  return { ...profile, stacks: rebuild.finish(), threads };
}

export function applyTransform(profile: Profile, transform: Transform): Profile {
  const { stacks } = profile;
  switch (transform.type) {
    case 'focus-function': {
      // A stack is "inside" once the focused function has appeared on it.
      const inside = new Uint8Array(stacks.length);
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const p = stacks.prefix[s];
        if (p >= 0 && inside[p]) {
          inside[s] = 1;
          return rebuild.stack(parentNew, stacks.frame[s]);
        }
        if (frameFunc(profile, s) === transform.func) {
          inside[s] = 1;
          return rebuild.stack(-1, stacks.frame[s]);
        }
        return -1; // not inside yet: cut this frame; a sample that never reaches f ends with no stack
      });
    }
    case 'focus-subtree': {
      const path = transform.path;
      if (path.length === 0) return profile;
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const depth = stacks.depth[s];
        if (depth < path.length) return frameFunc(profile, s) === path[depth - 1] ? -1 : DROPPED;
        if (depth === path.length) return frameFunc(profile, s) === path[depth - 1] ? rebuild.stack(-1, stacks.frame[s]) : DROPPED;
        return rebuild.stack(parentNew, stacks.frame[s]);
      });
    }
    case 'merge-function':
      return remapStacks(profile, (s, parentNew, rebuild) =>
        frameFunc(profile, s) === transform.func ? parentNew : rebuild.stack(parentNew, stacks.frame[s]),
      );
    case 'merge-files': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(transform.pattern);
      } catch {
        return profile;
      }
      const merged = new Uint8Array(profile.funcs.length);
      for (let f = 0; f < profile.funcs.length; f++) {
        const file = profile.funcs.file[f];
        merged[f] = file >= 0 && pattern.test(profile.strings[file]) ? 1 : 0;
      }
      return remapStacks(profile, (s, parentNew, rebuild) =>
        merged[frameFunc(profile, s)] ? parentNew : rebuild.stack(parentNew, stacks.frame[s]),
      );
    }
    case 'collapse-recursion':
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const f = frameFunc(profile, s);
        const p = stacks.prefix[s];
        const recursive = p >= 0 && frameFunc(profile, p) === f && (transform.func < 0 || transform.func === f);
        // The new parent's frame may be a different line of f: keep the outermost frame.
        return recursive ? parentNew : rebuild.stack(parentNew, stacks.frame[s]);
      });
    case 'drop-function': {
      // Dropped as soon as f appears: everything under it goes with it.
      return remapStacks(profile, (s, parentNew, rebuild) =>
        frameFunc(profile, s) === transform.func ? DROPPED : rebuild.stack(parentNew, stacks.frame[s]),
      );
    }
    case 'focus-category': {
      const category = profile.frames.category;
      return remapStacks(profile, (s, parentNew, rebuild) =>
        category[stacks.frame[s]] === transform.category ? rebuild.stack(parentNew, stacks.frame[s]) : parentNew,
      );
    }
    case 'collapse-module': {
      const file = profile.funcs.file;
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const p = stacks.prefix[s];
        // A frame of the module called from a frame of the same module folds into it.
        const inside = file[frameFunc(profile, s)] === transform.file && p >= 0 && file[frameFunc(profile, p)] === transform.file;
        return inside ? parentNew : rebuild.stack(parentNew, stacks.frame[s]);
      });
    }
    case 'merge-call-node': {
      const path = transform.path;
      if (path.length === 0) return profile;
      // How far each stack follows the path from its root: depth d matched means the first d functions agree.
      const matched = new Int32Array(stacks.length);
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const p = stacks.prefix[s];
        const upTo = p < 0 ? 0 : matched[p];
        const depth = stacks.depth[s];
        matched[s] = upTo === depth - 1 && depth <= path.length && frameFunc(profile, s) === path[depth - 1] ? depth : -1;
        return matched[s] === path.length ? parentNew : rebuild.stack(parentNew, stacks.frame[s]);
      });
    }
    case 'cut-below': {
      const inside = new Uint8Array(stacks.length);
      return remapStacks(
        profile,
        (s, parentNew, rebuild) => {
          const p = stacks.prefix[s];
          if (p >= 0 && inside[p]) {
            inside[s] = 1;
            return parentNew;
          }
          if (frameFunc(profile, s) === transform.func) inside[s] = 1;
          return rebuild.stack(parentNew, stacks.frame[s]);
        },
        inside,
      );
    }
    case 'drop-below': {
      const weights = stackWeights(profile);
      const threshold = (totalWeight(weights) * transform.percent) / 100;
      const tree = callTreeTopDown(profile, weights);
      return remapStacks(profile, (s, parentNew, rebuild) => {
        const node = tree.stackToNode[s];
        if (node >= 0 && tree.total[node] < threshold) return parentNew;
        return rebuild.stack(parentNew, stacks.frame[s]);
      });
    }
  }
}

/** Applies transforms in order (the breadcrumbs of a view). */
/**
 * Removes every frame of one category; its time goes to the nearest caller of another category
 * (vmprofshow flat --no-native: native frames' time is their Python caller's). A sample made only
 * of such frames has an empty stack.
 */
export function mergeCategory(profile: Profile, category: number): Profile {
  const frameCategory = profile.frames.category;
  const { stacks } = profile;
  return remapStacks(profile, (s, parentNew, rebuild) =>
    frameCategory[stacks.frame[s]] === category ? parentNew : rebuild.stack(parentNew, stacks.frame[s]),
  );
}

export function applyTransforms(profile: Profile, transforms: readonly Transform[]): Profile {
  let out = profile;
  for (const t of transforms) out = applyTransform(out, t);
  return out;
}
