/**
 * The one profile model every format reads into and every view reads from.
 *
 * Columns and integer indices, not object graphs (the shape of the Firefox
 * Profiler's processed format):
 *
 *   strings ◄── funcs (name, file, line, kind) ◄── frames (func, line, category)
 *                                                     ▲
 *   stacks: a prefix tree, one row per (parent stack, frame) pair
 *                                                     ▲
 *   threads[t].samples: stack index, time, weight, optional RSS
 *
 * Invariants the analyses rely on:
 * - `stacks.prefix[s] < s` for every stack (a parent is always created before
 *   its children), so a single forward pass over the stack table visits parents
 *   first and a backward pass visits children first. No recursion is needed,
 *   however deep the program recursed.
 * - A (prefix, frame) pair appears once in the stack table.
 * - A (name, file, line, kind) tuple appears once in the function table, and a
 *   (func, line, category) triple once in the frame table.
 * - Sample times are milliseconds from `meta.startTime` and are non-decreasing
 *   within a thread.
 *
 * This module is pure TypeScript with no Node APIs: the browser viewer uses it.
 */

/** Index into `Profile.strings`. */
export type StringIndex = number;
/** Index into `Profile.funcs`. */
export type FuncIndex = number;
/** Index into `Profile.frames`. */
export type FrameIndex = number;
/** Index into `Profile.stacks`; -1 means "no stack" (the root's parent, or a dropped sample). */
export type StackIndex = number;
/** Index into `Profile.threads`. */
export type ThreadIndex = number;

/** What kind of code a function is. Stored as its position in FUNCTION_KINDS. */
export type FunctionKind = 'python' | 'native' | 'jit' | 'gc' | 'other';
export const FUNCTION_KINDS: readonly FunctionKind[] = ['python', 'native', 'jit', 'gc', 'other'];
export const KIND_PYTHON = 0;
export const KIND_NATIVE = 1;
export const KIND_JIT = 2;
export const KIND_GC = 3;
export const KIND_OTHER = 4;

/**
 * Frame categories: why the program was in this frame at this moment. Usually
 * the function's kind, but a Python function running as JIT-compiled machine
 * code on PyPy has kind `python` and category `jit`, and a frame the sampler saw
 * waiting has category `idle`. Stored as its position in CATEGORIES.
 */
export type Category = 'python' | 'native' | 'jit' | 'gc' | 'other' | 'idle' | 'kernel';
export const CATEGORIES: readonly Category[] = ['python', 'native', 'jit', 'gc', 'other', 'idle', 'kernel'];
export const CATEGORY_PYTHON = 0;
export const CATEGORY_NATIVE = 1;
export const CATEGORY_JIT = 2;
export const CATEGORY_GC = 3;
export const CATEGORY_OTHER = 4;
export const CATEGORY_IDLE = 5;
export const CATEGORY_KERNEL = 6;

/** Functions: one row per distinct (name, file, first line, kind). */
export interface FuncTable {
  length: number;
  name: Int32Array; // StringIndex
  file: Int32Array; // StringIndex, -1 when unknown
  line: Int32Array; // first line, 0 when unknown
  kind: Uint8Array; // index into FUNCTION_KINDS
}

/** Frames: a function at a line (0 = line unknown) in a category. */
export interface FrameTable {
  length: number;
  func: Int32Array; // FuncIndex
  line: Int32Array; // 0 when unknown
  category: Uint8Array; // index into CATEGORIES
}

/** The stack prefix tree. Root frames have prefix -1. See the invariants above. */
export interface StackTable {
  length: number;
  frame: Int32Array; // FrameIndex
  prefix: Int32Array; // StackIndex or -1
  depth: Int32Array; // 1 for root frames
}

/** Samples of one thread, in time order. */
export interface SampleTable {
  length: number;
  stack: Int32Array; // StackIndex; -1 for a sample with an empty stack
  time: Float64Array; // ms since meta.startTime
  weight: Float64Array; // usually 1 per sample; ms, ns, bytes or instructions for non-sampled formats (see meta.weightUnit)
  /** Resident set size in KiB at this sample, when the profile recorded memory. */
  rss: Float64Array | null;
}

/** Time spans on a thread: GC steps, JIT phases, anything with a start and an end. */
export interface MarkerTable {
  length: number;
  name: Int32Array; // StringIndex
  start: Float64Array; // ms
  end: Float64Array; // ms; equal to start for an instant
  category: Int32Array; // StringIndex (free-form: "gc", "jit", ...)
  /** Nesting depth: markers nested inside another on the same thread have depth 1, 2, ... */
  depth: Int32Array;
  data: (Record<string, unknown> | null)[];
}

export interface Thread {
  /** The thread id as the source wrote it (a number, a pointer, a name); unique within `processId`. */
  id: string;
  name: string;
  processId: string;
  samples: SampleTable;
  markers: MarkerTable;
}

/** A value over time, e.g. memory. Sampled at `time` (ms). */
export interface Counter {
  name: string;
  category: string;
  unit: string; // e.g. "KiB", "bytes", "count"
  thread: ThreadIndex | -1;
  time: Float64Array;
  value: Float64Array;
}

/** What the weights of samples measure. */
export type WeightUnit = 'samples' | 'ms' | 'us' | 'ns' | 'bytes' | 'instructions' | 'events';

export interface ProfileMeta {
  /** The format it was read from, e.g. "vmprof", "pstats". */
  format: string;
  /** "cpython", "pypy", or whatever the file says. Empty when unknown. */
  interpreter: string;
  /** Format version as written in the file, when it has one. */
  formatVersion: number | null;
  /** Sampling period in ms (0 when not a sampling profile). */
  interval: number;
  /** Wall-clock start, ms since the Unix epoch (0 when unknown). */
  startTime: number;
  /** Wall-clock end, ms since the Unix epoch (0 when unknown). */
  endTime: number;
  weightUnit: WeightUnit;
  /** Recording modes that were on, e.g. "memory", "lines", "native", "real-time", "jit". */
  flags: string[];
  /** Free-form facts the file carried (vmprof META records, austin headers, ...). */
  extra: Record<string, string>;
  /** True when the call tree is a reconstruction (pstats has no call paths). */
  approximateCallTree: boolean;
  /** Problems found while reading that did not stop it (e.g. a truncated file). */
  warnings: string[];
  /**
   * Where sample times came from: `recorded` (the file has them: the default when absent),
   * `spread` (the file has none, but a start and stop: samples are spread evenly over that
   * duration, in file order, every thread on the one clock) or `order` (neither: sample i is
   * at i x period, an order rather than a time).
   */
  sampleTimes?: SampleTiming;
}

export type SampleTiming = 'recorded' | 'spread' | 'order';

export interface Profile {
  meta: ProfileMeta;
  strings: string[];
  funcs: FuncTable;
  frames: FrameTable;
  stacks: StackTable;
  threads: Thread[];
  counters: Counter[];
  /** Extra parsed side data (PyPy JIT traces, pstats caller tables) keyed by name. */
  attachments: Record<string, unknown>;
}

/** Display helpers shared by every view. */
export function funcName(profile: Profile, func: FuncIndex): string {
  return profile.strings[profile.funcs.name[func]];
}

export function funcFile(profile: Profile, func: FuncIndex): string {
  const file = profile.funcs.file[func];
  return file < 0 ? '' : profile.strings[file];
}

/** The module a function belongs to: its file's directory-less stem, or the dotted prefix of its name. */
export function moduleOf(profile: Profile, func: number): string {
  const file = profile.funcs.file[func];
  if (file >= 0) {
    const path = profile.strings[file];
    const parts = path.split(/[\\/]/);
    const siteIndex = parts.findIndex((p) => p === 'site-packages' || p === 'dist-packages');
    if (siteIndex >= 0 && siteIndex + 1 < parts.length) return parts[siteIndex + 1].replace(/\.py$/, '');
    const libIndex = parts.findIndex((p) => /^(python|pypy)\d/.test(p) || p === 'lib-python' || p === 'lib_pypy');
    if (libIndex >= 0) return 'stdlib';
    return parts[parts.length - 1] || path;
  }
  const name = profile.strings[profile.funcs.name[func]];
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name.split(/[:\s]/)[0] || '(unknown)';
}

export function funcKind(profile: Profile, func: FuncIndex): FunctionKind {
  return FUNCTION_KINDS[profile.funcs.kind[func]];
}

export function frameFunc(profile: Profile, stack: StackIndex): FuncIndex {
  return profile.frames.func[profile.stacks.frame[stack]];
}

export function totalSamples(profile: Profile): number {
  let n = 0;
  for (const t of profile.threads) n += t.samples.length;
  return n;
}

/** Profile duration in ms: from the recorded start/end when present, else from sample times. */
export function profileDuration(profile: Profile): number {
  if (profile.meta.startTime > 0 && profile.meta.endTime > profile.meta.startTime) {
    return profile.meta.endTime - profile.meta.startTime;
  }
  let end = 0;
  for (const t of profile.threads) {
    const n = t.samples.length;
    if (n > 0) end = Math.max(end, t.samples.time[n - 1] + (profile.meta.interval || 0));
    for (let i = 0; i < t.markers.length; i++) end = Math.max(end, t.markers.end[i]);
  }
  return end;
}
