/**
 * speedscope's file format (`.speedscope.json`; schema at
 * https://www.speedscope.app/file-format-schema.json).
 *
 * Layout: one JSON object
 *   { $schema, version?, exporter?, name?, activeProfileIndex?,
 *     shared: { frames: [{ name, file?, line?, col? }] },
 *     profiles: [ EventedProfile | SampledProfile ] }
 *   EventedProfile: { type: "evented", name, unit, startValue, endValue,
 *                     events: [{ type: "O" | "C", at, frame }] }   // open/close, nested
 *   SampledProfile: { type: "sampled", name, unit, startValue, endValue,
 *                     samples: [[frame, ...]] (root first), weights: [number] }
 *   unit: "none" | "nanoseconds" | "microseconds" | "milliseconds" | "seconds" | "bytes"
 * Files from speedscope 0.0.1 (`version: "0.0.1"`) have the same shape.
 *
 * What the reader makes of it: every profile becomes a thread (named after it).
 * Evented profiles become one sample per interval between two events while the
 * stack is not empty, weighted by the interval's length; sampled profiles keep
 * their samples and weights, with times accumulated from the weights. Time
 * units become ms; "bytes" stays bytes; "none" is counted as samples.
 *
 * The writer emits the current layout: every thread as a sampled profile over
 * one shared frame list (a frame per function and line), weights in the
 * profile's unit (ms -> "milliseconds", samples -> "none", ...).
 */
import { ProfileBuilder } from '../model/builder.js';
import { lineMetrics, metricColumn, type LineMetrics } from '../model/line-metrics.js';
import type { FrameIndex, Profile, WeightUnit } from '../model/profile.js';
import type { Format, WriteOptions } from './registry.js';
import { parseJsonProfile, JsonShapeError, asArray, asNumber, asObject, asString, withShapeErrors } from './json-input.js';
import { speedscopeSignature } from './signatures/speedscope.js';
export { sniffSpeedscope } from './signatures/speedscope.js';

const FORMAT = 'speedscope';
const SCHEMA_URL = 'https://www.speedscope.app/file-format-schema.json';

/** Multiplier from a speedscope unit to our weight unit. */
const UNITS: Record<string, { unit: WeightUnit; toMs: number }> = {
  none: { unit: 'samples', toMs: 0 },
  nanoseconds: { unit: 'ms', toMs: 1e-6 },
  microseconds: { unit: 'ms', toMs: 1e-3 },
  milliseconds: { unit: 'ms', toMs: 1 },
  seconds: { unit: 'ms', toMs: 1000 },
  bytes: { unit: 'bytes', toMs: 0 },
};

export function readSpeedscope(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    return buildFromJson(root);
  });
}

/** A line-metric profile our writer made (memoryProfile): bytes per one-frame sample back to MB per line. */
function readLineMetric(
  o: Record<string, unknown>,
  path: string,
  key: string,
  metrics: LineMetrics,
  lineAt: (value: unknown, path: string) => { func: number; line: number },
): void {
  const samples = asArray(o.samples, `${path}.samples`);
  const weights = asArray(o.weights, `${path}.weights`);
  if (weights.length !== samples.length)
    throw new JsonShapeError(`${path}.weights: ${weights.length} weights for ${samples.length} samples`);
  const column = metrics.columns.length;
  metrics.columns.push({ key, label: key, unit: 'MB' });
  metrics.values.push(new Array<number>(metrics.func.length).fill(0));
  samples.forEach((s, si) => {
    const stack = asArray(s, `${path}.samples[${si}]`);
    const { func, line } = lineAt(stack[stack.length - 1], `${path}.samples[${si}][${stack.length - 1}]`);
    metrics.func.push(func);
    metrics.line.push(line);
    for (let k = 0; k < metrics.values.length; k++)
      metrics.values[k].push(k === column ? asNumber(weights[si], `${path}.weights[${si}]`) / (1024 * 1024) : 0);
  });
}

function buildFromJson(rootValue: unknown): Profile {
  const root = asObject(rootValue, '$');
  const shared = asObject(root.shared, '$.shared');
  const rawFrames = asArray(shared.frames, '$.shared.frames');
  const profiles = asArray(root.profiles, '$.profiles');
  const builder = new ProfileBuilder(FORMAT);
  if (typeof root.version === 'string') {
    builder.meta.extra.version = root.version;
    const major = Number.parseFloat(root.version);
    builder.meta.formatVersion = Number.isFinite(major) ? major : null;
  }
  if (typeof root.exporter === 'string') builder.meta.extra.exporter = root.exporter;
  if (typeof root.name === 'string') builder.meta.extra.name = root.name;

  const frameLines: { func: number; line: number }[] = [];
  const frames: FrameIndex[] = rawFrames.map((f, i) => {
    const path = `$.shared.frames[${i}]`;
    const o = asObject(f, path);
    const name = asString(o.name, `${path}.name`);
    const file = o.file === undefined || o.file === null ? '' : asString(o.file, `${path}.file`);
    const line = o.line === undefined || o.line === null ? 0 : Math.max(0, Math.trunc(asNumber(o.line, `${path}.line`)));
    const func = builder.func(name, file, 0, file === '' ? 'other' : 'python');
    frameLines.push({ func, line });
    return builder.frame(func, line);
  });
  const frameAt = (value: unknown, path: string): FrameIndex => {
    const i = asNumber(value, path);
    if (!Number.isInteger(i) || i < 0 || i >= frames.length)
      throw new JsonShapeError(`${path}: no frame ${i} (${frames.length} shared frames)`);
    return frames[i];
  };

  let weightUnit: WeightUnit | null = null;
  const metrics: LineMetrics = { columns: [], func: [], line: [], values: [] };
  profiles.forEach((p, pi) => {
    const path = `$.profiles[${pi}]`;
    const o = asObject(p, path);
    const metric = typeof o.name === 'string' && o.unit === 'bytes' && o.type === 'sampled' ? LINE_METRIC.exec(o.name) : null;
    if (metric)
      return readLineMetric(o, path, metric[1], metrics, (v, at) => {
        frameAt(v, at); // checks the index
        return frameLines[v as number];
      });
    const type = asString(o.type, `${path}.type`);
    const unitName = asString(o.unit, `${path}.unit`);
    const unit = UNITS[unitName];
    if (!unit) throw new JsonShapeError(`${path}.unit: unknown unit ${JSON.stringify(unitName)}`);
    if (weightUnit === null) weightUnit = unit.unit;
    else if (weightUnit !== unit.unit) builder.warn(`profiles mix units (${weightUnit} and ${unit.unit}); weights are not comparable`);
    const scale = unit.toMs || 1;
    const startValue = o.startValue === undefined ? 0 : asNumber(o.startValue, `${path}.startValue`);
    const name = typeof o.name === 'string' ? o.name : `profile ${pi + 1}`;
    const thread = builder.thread(String(pi), name);

    if (type === 'sampled') {
      const samples = asArray(o.samples, `${path}.samples`);
      const weights = o.weights === undefined ? null : asArray(o.weights, `${path}.weights`);
      if (weights && weights.length !== samples.length) {
        throw new JsonShapeError(`${path}.weights: ${weights.length} weights for ${samples.length} samples`);
      }
      let time = 0;
      samples.forEach((s, si) => {
        const stackFrames = asArray(s, `${path}.samples[${si}]`);
        let stack = -1;
        stackFrames.forEach((f, fi) => (stack = builder.stack(stack, frameAt(f, `${path}.samples[${si}][${fi}]`))));
        const w = weights ? asNumber(weights[si], `${path}.weights[${si}]`) : 1;
        if (w < 0) throw new JsonShapeError(`${path}.weights[${si}]: negative weight ${w}`);
        builder.addSample(thread, stack, time, w * scale);
        time += unit.toMs ? w * unit.toMs : w;
      });
    } else if (type === 'evented') {
      const events = asArray(o.events, `${path}.events`);
      const open: FrameIndex[] = [];
      const stacks: number[] = [];
      let last = startValue;
      events.forEach((e, ei) => {
        const ep = `${path}.events[${ei}]`;
        const ev = asObject(e, ep);
        const at = asNumber(ev.at, `${ep}.at`);
        const frame = frameAt(ev.frame, `${ep}.frame`);
        if (at < last) throw new JsonShapeError(`${ep}.at: ${at} goes back in time (previous event at ${last})`);
        if (open.length > 0 && at > last) {
          builder.addSample(thread, stacks[stacks.length - 1], (last - startValue) * (unit.toMs || 1), (at - last) * scale);
        }
        last = at;
        if (ev.type === 'O') {
          open.push(frame);
          stacks.push(builder.stack(stacks.length ? stacks[stacks.length - 1] : -1, frame));
        } else if (ev.type === 'C') {
          if (open.length === 0 || open[open.length - 1] !== frame) {
            throw new JsonShapeError(`${ep}: closes frame ${String(ev.frame)}, which is not the innermost open frame`);
          }
          open.pop();
          stacks.pop();
        } else {
          throw new JsonShapeError(`${ep}.type: expected "O" or "C", found ${JSON.stringify(ev.type)}`);
        }
      });
      if (open.length > 0) builder.warn(`${path}: ${open.length} frames never closed; their time after the last event is lost`);
    } else {
      throw new JsonShapeError(`${path}.type: expected "sampled" or "evented", found ${JSON.stringify(type)}`);
    }
  });
  builder.meta.weightUnit = weightUnit ?? 'samples';
  if (metrics.func.length > 0) builder.attachments.lineMetrics = metrics;
  if (profiles.length === 0) builder.warn('no profiles in the file');
  return builder.build();
}

const UNIT_NAMES: Record<WeightUnit, { unit: string; scale: number }> = {
  samples: { unit: 'none', scale: 1 },
  events: { unit: 'none', scale: 1 },
  instructions: { unit: 'none', scale: 1 },
  ms: { unit: 'milliseconds', scale: 1 },
  us: { unit: 'microseconds', scale: 1 },
  ns: { unit: 'nanoseconds', scale: 1 },
  bytes: { unit: 'bytes', scale: 1 },
};

export interface SpeedscopeFile {
  $schema: string;
  exporter: string;
  name: string;
  activeProfileIndex: number;
  shared: { frames: { name: string; file?: string; line?: number }[] };
  profiles: {
    type: 'sampled';
    name: string;
    unit: string;
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }[];
}

/** The speedscope document for a profile (exported for tests and the browser's "save as"). */
export function speedscopeDocument(profile: Profile, options: WriteOptions = {}): SpeedscopeFile {
  const threads = options.threads ?? profile.threads.map((_, i) => i);
  const { unit } = UNIT_NAMES[profile.meta.weightUnit] ?? UNIT_NAMES.samples;
  // One speedscope frame per (function, line); our frames also differ by category, which speedscope has no place for.
  const sharedFrames: SpeedscopeFile['shared']['frames'] = [];
  const sharedIndex = new Map<string, number>();
  const frameToShared = new Int32Array(profile.frames.length).fill(-1);
  const sharedOf = (frame: FrameIndex): number => {
    if (frameToShared[frame] >= 0) return frameToShared[frame];
    const func = profile.frames.func[frame];
    frameToShared[frame] = sharedOfLine(func, profile.frames.line[frame] || profile.funcs.line[func]);
    return frameToShared[frame];
  };
  const sharedOfLine = (func: number, line: number): number => {
    const name = profile.strings[profile.funcs.name[func]];
    const file = profile.funcs.file[func] < 0 ? '' : profile.strings[profile.funcs.file[func]];
    const key = `${line}\u0000${file}\u0000${name}`;
    let i = sharedIndex.get(key);
    if (i === undefined) {
      i = sharedFrames.length;
      const entry: SpeedscopeFile['shared']['frames'][number] = { name };
      if (file) entry.file = file;
      if (line > 0) entry.line = line;
      sharedFrames.push(entry);
      sharedIndex.set(key, i);
    }
    return i;
  };
  // Each stack's frame list, root first, computed once per stack and shared by its samples.
  const stackFrames = new Array<number[] | undefined>(profile.stacks.length);
  const framesOf = (stack: number): number[] => {
    const cached = stackFrames[stack];
    if (cached) return cached;
    const path: number[] = [];
    for (let s = stack; s >= 0; s = profile.stacks.prefix[s]) path.push(sharedOf(profile.stacks.frame[s]));
    path.reverse();
    stackFrames[stack] = path;
    return path;
  };
  const profiles = threads.map((t) => {
    const thread = profile.threads[t];
    const samples: number[][] = [];
    const weights: number[] = [];
    let total = 0;
    for (let i = 0; i < thread.samples.length; i++) {
      const s = thread.samples.stack[i];
      const w = thread.samples.weight[i];
      if (s < 0 || !(w > 0)) continue;
      samples.push(framesOf(s));
      weights.push(w);
      total += w;
    }
    const label = thread.name || `thread ${thread.id}`;
    return {
      type: 'sampled' as const,
      name: thread.processId ? `${label} (pid ${thread.processId})` : label,
      unit,
      startValue: 0,
      endValue: total,
      samples,
      weights,
    };
  });
  const memory = memoryProfile(profile, sharedOfLine);
  if (memory) profiles.push(memory);
  return {
    $schema: SCHEMA_URL,
    exporter: 'pyrometer',
    name: profile.meta.extra.name ?? `${profile.meta.format} profile`,
    activeProfileIndex: 0,
    shared: { frames: sharedFrames },
    profiles,
  };
}

/** Names the profile that carries a line metric, so our reader turns it back into one (not a thread). */
const LINE_METRIC = /\[pyrometer line metric (\w+)\]$/;

/**
 * Memory measured per line (model/line-metrics.ts: Scalene's MB allocated) as a profile of its
 * own, in bytes, one one-frame sample per line: speedscope lists it beside the threads.
 */
function memoryProfile(profile: Profile, sharedOfLine: (func: number, line: number) => number): SpeedscopeFile['profiles'][number] | null {
  const metrics = lineMetrics(profile);
  const alloc = metrics ? metricColumn(metrics, 'allocMb') : -1;
  if (!metrics || alloc < 0) return null;
  const samples: number[][] = [];
  const weights: number[] = [];
  for (let r = 0; r < metrics.func.length; r++) {
    const bytes = Math.round(metrics.values[alloc][r] * 1024 * 1024);
    if (bytes <= 0) continue;
    samples.push([sharedOfLine(metrics.func[r], metrics.line[r])]);
    weights.push(bytes);
  }
  if (samples.length === 0) return null;
  const total = weights.reduce((a, b) => a + b, 0);
  const name = `memory allocated per line [pyrometer line metric ${metrics.columns[alloc].key}]`;
  return { type: 'sampled', name, unit: 'bytes', startValue: 0, endValue: total, samples, weights };
}

export function writeSpeedscope(profile: Profile, options: WriteOptions = {}): string {
  return JSON.stringify(speedscopeDocument(profile, options));
}

export const speedscopeFormat: Format = {
  ...speedscopeSignature,
  read: (bytes) => readSpeedscope(bytes),
  write: (profile, options) => writeSpeedscope(profile, options),
};
