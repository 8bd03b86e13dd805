/**
 * Frame colours: by kind (Python, native, JIT, GC, other, idle) or by module.
 * Colours are small palettes indexed per function, so the renderer batches
 * rectangles by colour and sets fillStyle once per batch.
 */
import { moduleOf, type Profile } from '../../src/model/profile.js';
import { TIME_CLASS_LABELS, TIME_CLASSES, type TimeClass } from '../../src/model/time-split.js';

export const KIND_LABELS = ['Python', 'native', 'JIT', 'GC', 'other'];
/** Base hues per function kind (FUNCTION_KINDS order). */
const KIND_HUES = [210, 30, 130, 0, 270];
const SHADES = 4;
const MODULE_HUES = [210, 30, 130, 0, 270, 180, 50, 320, 95, 240, 15, 160];

export interface Palette {
  /** fillStyle per colour index. The last one is the dimmed colour for search non-matches. */
  fills: string[];
  dimmed: number;
  /** Colour index of each function. */
  funcColor: Uint8Array;
  legend: { label: string; color: string }[];
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${h} ${s}% ${l}%)`;
}

/**
 * Where time went (model/time-split.ts), one colour per class. "JIT code" keeps the JIT
 * kind's green; "JIT compiling" is a clearly different magenta; GC minor/major/stack are
 * shades of the GC red; interpreted the Python blue, native the native orange.
 */
const TIME_CLASS_HSL: Record<TimeClass, [number, number, number]> = {
  jit: [130, 55, 45],
  interpreted: [210, 60, 58],
  'gc-minor': [0, 70, 68],
  'gc-major': [0, 70, 45],
  gc: [0, 35, 58],
  compiling: [300, 60, 55],
  native: [30, 75, 55],
  idle: [0, 0, 75],
  other: [270, 10, 60],
};

export function timeClassColor(cls: TimeClass, dark = false): string {
  const [h, s, l] = TIME_CLASS_HSL[cls];
  return hsl(h, s, dark ? Math.max(25, l - 18) : l);
}

/** The palette of the "where time went" colouring: colour index = class index (TIME_CLASSES order). */
export function makeTimePalette(dark: boolean, totals: Float64Array | null, funcClass: Uint8Array): Palette {
  const fills = TIME_CLASSES.map((c) => timeClassColor(c, dark));
  const legend = TIME_CLASSES.map((c, i) => ({ label: TIME_CLASS_LABELS[c], color: fills[i], i }))
    .filter((l) => !totals || totals[l.i] > 0)
    .map(({ label, color }) => ({ label, color }));
  fills.push(dark ? '#3a3d42' : '#e4e4e4');
  // where a view colours functions rather than tree nodes (stack chart, sandwich): the function's main class
  return { fills, dimmed: fills.length - 1, funcColor: funcClass, legend };
}

/**
 * `mostlyJit` (kind colouring): functions whose self time was mostly in JIT-compiled
 * frames (PyPy) take the JIT colour although their kind is Python.
 */
export function makePalette(
  profile: Profile,
  colorBy: 'kind' | 'module',
  dark: boolean,
  funcWeight?: Float64Array,
  mostlyJit?: Uint8Array,
): Palette {
  const fills: string[] = [];
  const funcColor = new Uint8Array(profile.funcs.length);
  const legend: { label: string; color: string }[] = [];
  const sat = dark ? 45 : 60;
  const light = dark ? [36, 31, 41, 27] : [72, 66, 78, 62];
  if (colorBy === 'kind') {
    for (let k = 0; k < KIND_HUES.length; k++) {
      for (let s = 0; s < SHADES; s++) fills.push(hsl(KIND_HUES[k], k === 4 ? 5 : sat, light[s]));
      legend.push({ label: KIND_LABELS[k], color: fills[k * SHADES] });
    }
    // PyPy's JIT compiler (kind jit, as vmprof names it) is compiling, not JIT code running: its own colour
    const compiling = fills.length;
    let hasCompiler = false;
    fills.push(timeClassColor('compiling', dark));
    for (let f = 0; f < profile.funcs.length; f++) {
      const name = profile.strings[profile.funcs.name[f]];
      if (name === '<JIT compiler>') {
        funcColor[f] = compiling;
        hasCompiler = true;
        continue;
      }
      const kind = mostlyJit && mostlyJit[f] ? 2 : Math.min(profile.funcs.kind[f], KIND_HUES.length - 1);
      funcColor[f] = kind * SHADES + (hash(name) % SHADES);
    }
    if (hasCompiler) legend.push({ label: TIME_CLASS_LABELS.compiling, color: fills[compiling] });
  } else {
    const modules = new Map<string, number>();
    const weightOf = new Map<string, number>();
    for (let f = 0; f < profile.funcs.length; f++) {
      const m = moduleOf(profile, f);
      let index = modules.get(m);
      if (index === undefined) {
        index = modules.size;
        modules.set(m, index);
      }
      weightOf.set(m, (weightOf.get(m) ?? 0) + (funcWeight ? funcWeight[f] : 0));
      funcColor[f] = hash(m) % MODULE_HUES.length;
    }
    for (let i = 0; i < MODULE_HUES.length; i++) fills.push(hsl(MODULE_HUES[i], sat, light[i % 2]));
    const top = [...weightOf]
      .filter(([, w]) => w > 0 || !funcWeight)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    for (const [m] of top) legend.push({ label: m, color: fills[hash(m) % MODULE_HUES.length] });
  }
  fills.push(dark ? '#3a3d42' : '#e4e4e4');
  return { fills, dimmed: fills.length - 1, funcColor, legend };
}
