/**
 * pprof profiles (`.pb.gz`, `.pprof`): Go's pprof, and the Python profilers
 * that emit it (Pyroscope, ddtrace, py-spy forks, ...).
 *
 * Layout: a protobuf `perftools.profiles.Profile` (schema in profile-proto.ts),
 * usually gzip-compressed (the loader gunzips). Everything refers to strings by
 * index into `string_table` (entry 0 is ""). A Sample lists location ids, LEAF
 * FIRST, and one value per `sample_type` (e.g. samples/count and cpu/nanoseconds).
 * A Location is an address whose `line`s are the functions inlined there,
 * innermost first. A Function has a name, a file and a start line. Samples have
 * no times; `time_nanos`/`duration_nanos` bound the whole profile.
 *
 * What the reader makes of it:
 * - weights: the `default_sample_type` if set, else `cpu`, else `samples`, else
 *   the first sample type; its unit becomes meta.weightUnit (nanoseconds -> ns,
 *   count -> samples, bytes -> bytes). All sample types are listed in
 *   `attachments.pprof.sampleTypes` and meta.extra.sampleTypes.
 * - threads: from a thread label (`thread id`, `thread_id`, `thread`, `tid`,
 *   with `thread name` for the name) and process label (`pid`), else one thread.
 * - labels: kept per sample in `attachments.pprof.labels[thread][sample]`.
 * - sample times: cumulative weight (pprof has none), in ms for time units.
 *
 * The writer emits gzip-compressed protobuf: sample types [samples/count,
 * <measure>/<unit>] (cpu/nanoseconds for time weights or sample counts with a
 * known interval, space/bytes for bytes), period and period_type from the
 * interval, one Function per function, one Location (one Line) per frame, a
 * thread label per sample, samples aggregated per (thread, stack).
 */
import protobuf from 'protobufjs';
import { gzipSync } from 'fflate';
import { ProfileBuilder } from '../../model/builder.js';
import type { FrameIndex, Profile, StackIndex, WeightUnit } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import type { Format, WriteOptions } from '../registry.js';
import { PROFILE_PROTO } from './profile-proto.js';
import { pprofSignature } from './signature.js';
export { sniffPprof } from './signature.js';

const FORMAT = 'pprof';

let profileType: protobuf.Type | null = null;
/** The decoded `Profile` message type (the schema is parsed once, on first use). */
export function pprofProfileType(): protobuf.Type {
  profileType ??= protobuf.parse(PROFILE_PROTO, { keepCase: true }).root.lookupType('perftools.profiles.Profile');
  return profileType;
}

export interface PprofValueType {
  type: number;
  unit: number;
}
export interface PprofLabel {
  key: number;
  str?: number;
  num?: number;
  num_unit?: number;
}
export interface PprofSample {
  location_id: number[];
  value: number[];
  label: PprofLabel[];
}
export interface PprofLine {
  function_id?: number;
  line?: number;
  column?: number;
}
export interface PprofLocation {
  id: number;
  mapping_id?: number;
  address?: number;
  line: PprofLine[];
  is_folded?: boolean;
}
export interface PprofFunction {
  id: number;
  name?: number;
  system_name?: number;
  filename?: number;
  start_line?: number;
}
export interface PprofMapping {
  id: number;
  filename?: number;
  build_id?: number;
}
export interface PprofMessage {
  sample_type: PprofValueType[];
  sample: PprofSample[];
  mapping: PprofMapping[];
  location: PprofLocation[];
  function: PprofFunction[];
  string_table: string[];
  drop_frames?: number;
  keep_frames?: number;
  time_nanos?: number;
  duration_nanos?: number;
  period_type?: PprofValueType;
  period?: number;
  comment: number[];
  default_sample_type?: number;
}

/** Decodes the protobuf bytes (not gzip) into plain objects, int64s as numbers. */
export function decodePprof(bytes: Uint8Array): PprofMessage {
  const type = pprofProfileType();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const at = /offset (\d+)|out of range: (\d+)/.exec(text);
    const offset = at ? Number(at[1] ?? at[2]) : bytes.length;
    const what = /wire type/.test(text)
      ? 'invalid wire type'
      : /out of range/.test(text)
        ? 'truncated field or bad varint'
        : 'malformed message';
    throw new ProfileFormatError(FORMAT, `not a valid pprof protobuf: ${what}`, offset);
  }
  return type.toObject(message, { longs: Number, arrays: true }) as unknown as PprofMessage;
}

const THREAD_KEYS = ['thread id', 'thread_id', 'thread', 'tid', 'thread native id'];
const THREAD_NAME_KEYS = ['thread name', 'thread_name'];
const PROCESS_KEYS = ['pid', 'process id', 'process_id'];

function unitOf(unit: string): { weightUnit: WeightUnit; toMs: number } {
  switch (unit) {
    case 'nanoseconds':
      return { weightUnit: 'ns', toMs: 1e-6 };
    case 'microseconds':
      return { weightUnit: 'us', toMs: 1e-3 };
    case 'milliseconds':
      return { weightUnit: 'ms', toMs: 1 };
    case 'seconds':
      return { weightUnit: 'ms', toMs: 1000 };
    case 'bytes':
      return { weightUnit: 'bytes', toMs: 0 };
    case 'count':
    case 'samples':
      return { weightUnit: 'samples', toMs: 0 };
    default:
      return { weightUnit: 'events', toMs: 0 };
  }
}

export interface PprofAttachment {
  sampleTypes: { type: string; unit: string }[];
  /** Index into sampleTypes of the type used as weights. */
  weightType: number;
  /** Labels of each kept sample, per thread, in sample order (null when a sample had none). */
  labels: (Record<string, string | number> | null)[][];
}

export function readPprof(bytes: Uint8Array): Profile {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new ProfileFormatError(FORMAT, 'gzip-compressed input: decompress first (the file loader does this)', 0);
  }
  const m = decodePprof(bytes);
  const strings = m.string_table;
  const str = (i: number | undefined, what: string): string => {
    if (i === undefined || i === 0) return '';
    if (!Number.isInteger(i) || i < 0 || i >= strings.length) {
      throw new ProfileFormatError(FORMAT, `${what} refers to string ${i}, but the string table has ${strings.length}`, -1, 0);
    }
    return strings[i];
  };
  if (strings.length > 0 && strings[0] !== '') throw new ProfileFormatError(FORMAT, 'string_table[0] must be the empty string', 0);
  const sampleTypes = m.sample_type.map((t, i) => ({
    type: str(t.type, `sample_type[${i}].type`),
    unit: str(t.unit, `sample_type[${i}].unit`),
  }));
  let weightType = 0;
  const preferred = m.default_sample_type ? str(m.default_sample_type, 'default_sample_type') : '';
  for (const name of [preferred, 'cpu', 'samples']) {
    const i = name ? sampleTypes.findIndex((t) => t.type === name) : -1;
    if (i >= 0) {
      weightType = i;
      break;
    }
  }
  const { weightUnit, toMs } = unitOf(sampleTypes[weightType]?.unit ?? 'count');

  const builder = new ProfileBuilder(FORMAT, { weightUnit });
  const meta = builder.meta;
  if (m.time_nanos) meta.startTime = m.time_nanos / 1e6;
  if (m.time_nanos && m.duration_nanos) meta.endTime = meta.startTime + m.duration_nanos / 1e6;
  if (m.period && m.period_type) {
    const periodUnit = unitOf(str(m.period_type.unit, 'period_type.unit'));
    if (periodUnit.toMs) meta.interval = m.period * periodUnit.toMs;
    meta.extra.period = `${m.period} ${str(m.period_type.type, 'period_type.type')}/${str(m.period_type.unit, 'period_type.unit')}`;
  }
  meta.extra.sampleTypes = sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
  const comments = m.comment.map((c, i) => str(c, `comment[${i}]`)).filter((c) => c !== '');
  if (comments.length) meta.extra.comments = comments.join('\n');
  if (m.drop_frames) meta.extra.dropFrames = str(m.drop_frames, 'drop_frames');
  if (m.keep_frames) meta.extra.keepFrames = str(m.keep_frames, 'keep_frames');

  const functions = new Map<number, PprofFunction>();
  for (const f of m.function) functions.set(f.id, f);
  const mappings = new Map<number, PprofMapping>();
  for (const mp of m.mapping) mappings.set(mp.id, mp);
  const locations = new Map<number, PprofLocation>();
  for (const l of m.location) locations.set(l.id, l);

  // Frames of a location, ROOT FIRST (pprof lists inlined lines innermost first).
  const locationFrames = new Map<number, FrameIndex[]>();
  const framesOf = (id: number, where: string): FrameIndex[] => {
    let frames = locationFrames.get(id);
    if (frames) return frames;
    const loc = locations.get(id);
    if (!loc) throw new ProfileFormatError(FORMAT, `${where} refers to location ${id}, which is not defined`, -1, 0);
    frames = [];
    if (loc.line.length === 0) {
      // Unsymbolized: the address in its binary.
      const mapping = loc.mapping_id ? mappings.get(loc.mapping_id) : undefined;
      const file = mapping ? str(mapping.filename, `mapping ${mapping.id} filename`) : '';
      const func = builder.func(`0x${(loc.address ?? 0).toString(16)}`, file, 0, 'native');
      frames.push(builder.frame(func, 0));
    }
    for (let i = loc.line.length - 1; i >= 0; i--) {
      const line = loc.line[i];
      const fn = line.function_id ? functions.get(line.function_id) : undefined;
      if (!fn)
        throw new ProfileFormatError(FORMAT, `location ${id} refers to function ${line.function_id ?? 0}, which is not defined`, -1, 0);
      const name = str(fn.name, `function ${fn.id} name`) || str(fn.system_name, `function ${fn.id} system_name`) || `function ${fn.id}`;
      const file = str(fn.filename, `function ${fn.id} filename`);
      const kind = /\.py[wx]?$/.test(file) ? 'python' : 'native';
      const func = builder.func(name, file, Math.max(0, fn.start_line ?? 0), kind);
      frames.push(builder.frame(func, Math.max(0, line.line ?? 0)));
    }
    locationFrames.set(id, frames);
    return frames;
  };

  const stackCache = new Map<string, StackIndex>();
  const labelsPerThread: (Record<string, string | number> | null)[][] = [];
  const threadTime: number[] = [];
  let defaultThread = -1;
  m.sample.forEach((sample, si) => {
    if (sample.value.length !== sampleTypes.length) {
      throw new ProfileFormatError(FORMAT, `sample ${si} has ${sample.value.length} values for ${sampleTypes.length} sample types`, -1, 0);
    }
    const weight = sample.value[weightType] ?? 0;
    let labels: Record<string, string | number> | null = null;
    let threadId = '';
    let threadName = '';
    let processId = '';
    for (const label of sample.label) {
      const key = str(label.key, `sample ${si} label key`);
      const value: string | number = label.str ? str(label.str, `sample ${si} label ${key}`) : (label.num ?? 0);
      (labels ??= {})[key] = value;
      if (THREAD_KEYS.includes(key) && threadId === '') threadId = String(value);
      else if (THREAD_NAME_KEYS.includes(key)) threadName = String(value);
      else if (PROCESS_KEYS.includes(key)) processId = String(value);
    }
    let thread: number;
    if (threadId === '' && processId === '') {
      if (defaultThread < 0) defaultThread = builder.thread('main', 'main');
      thread = defaultThread;
    } else {
      thread = builder.thread(threadId || 'main', threadName, processId);
    }
    const key = sample.location_id.join(',');
    let stack = stackCache.get(key);
    if (stack === undefined) {
      stack = -1;
      for (let i = sample.location_id.length - 1; i >= 0; i--) {
        for (const f of framesOf(sample.location_id[i], `sample ${si}`)) stack = builder.stack(stack, f);
      }
      stackCache.set(key, stack);
    }
    if (weight === 0) return;
    const time = threadTime[thread] ?? 0;
    builder.addSample(thread, stack, time, weight);
    threadTime[thread] = time + (toMs ? weight * toMs : weight);
    (labelsPerThread[thread] ??= []).push(labels);
  });
  if (m.sample.length === 0) builder.warn('no samples in the profile');
  const attachment: PprofAttachment = { sampleTypes, weightType, labels: labelsPerThread };
  builder.attachments.pprof = attachment;
  return builder.build();
}

/** The measure and unit of the second sample type the writer emits, and the factor from weights to it. */
function valueTypeFor(profile: Profile): { type: string; unit: string; scale: number } | null {
  const { weightUnit, interval } = profile.meta;
  switch (weightUnit) {
    case 'ms':
      return { type: 'cpu', unit: 'nanoseconds', scale: 1e6 };
    case 'us':
      return { type: 'cpu', unit: 'nanoseconds', scale: 1e3 };
    case 'ns':
      return { type: 'cpu', unit: 'nanoseconds', scale: 1 };
    case 'bytes':
      return { type: 'space', unit: 'bytes', scale: 1 };
    case 'instructions':
      return { type: 'instructions', unit: 'count', scale: 1 };
    case 'events':
      return { type: 'events', unit: 'count', scale: 1 };
    case 'samples':
      return interval > 0 ? { type: 'cpu', unit: 'nanoseconds', scale: interval * 1e6 } : null;
  }
}

/** The pprof message for a profile, before encoding (exported for tests). */
export function pprofMessage(profile: Profile, options: WriteOptions = {}): PprofMessage {
  const strings: string[] = [''];
  const stringIndex = new Map<string, number>([['', 0]]);
  const s = (text: string): number => {
    let i = stringIndex.get(text);
    if (i === undefined) {
      i = strings.length;
      strings.push(text);
      stringIndex.set(text, i);
    }
    return i;
  };
  const measure = valueTypeFor(profile);
  const sampleTypes: PprofValueType[] = [{ type: s('samples'), unit: s('count') }];
  if (measure) sampleTypes.push({ type: s(measure.type), unit: s(measure.unit) });
  // Sample counts: 1 per sample when the profile counts samples, else 1 per recorded sample row.
  const countsAreWeights = profile.meta.weightUnit === 'samples';

  const functions: PprofFunction[] = [];
  const funcId = new Int32Array(profile.funcs.length);
  const locations: PprofLocation[] = [];
  const locationId = new Int32Array(profile.frames.length);
  const locationOf = (frame: FrameIndex): number => {
    if (locationId[frame] > 0) return locationId[frame];
    const func = profile.frames.func[frame];
    if (funcId[func] === 0) {
      funcId[func] = functions.length + 1;
      const name = profile.strings[profile.funcs.name[func]];
      const file = profile.funcs.file[func] < 0 ? '' : profile.strings[profile.funcs.file[func]];
      functions.push({ id: funcId[func], name: s(name), system_name: s(name), filename: s(file), start_line: profile.funcs.line[func] });
    }
    locationId[frame] = locations.length + 1;
    locations.push({
      id: locationId[frame],
      line: [{ function_id: funcId[func], line: profile.frames.line[frame] || profile.funcs.line[func] }],
    });
    return locationId[frame];
  };
  const stackLocations = new Map<StackIndex, number[]>();
  const locationsOf = (stack: StackIndex): number[] => {
    let ids = stackLocations.get(stack);
    if (!ids) {
      ids = [];
      for (let cur = stack; cur >= 0; cur = profile.stacks.prefix[cur]) ids.push(locationOf(profile.stacks.frame[cur]));
      stackLocations.set(stack, ids); // leaf first, as pprof wants
    }
    return ids;
  };

  const samples: PprofSample[] = [];
  const threads = options.threads ?? profile.threads.map((_, i) => i);
  const labelled = threads.length > 1 || profile.threads.some((t) => t.processId !== '');
  for (const t of threads) {
    const thread = profile.threads[t];
    const byStack = new Map<StackIndex, { count: number; weight: number }>();
    for (let i = 0; i < thread.samples.length; i++) {
      const stack = thread.samples.stack[i];
      const w = thread.samples.weight[i];
      if (stack < 0 || !(w > 0)) continue;
      const agg = byStack.get(stack) ?? { count: 0, weight: 0 };
      agg.count += countsAreWeights ? w : 1;
      agg.weight += w;
      byStack.set(stack, agg);
    }
    const label: PprofLabel[] = [];
    if (labelled) {
      label.push({ key: s('thread id'), str: s(thread.id) });
      if (thread.name) label.push({ key: s('thread name'), str: s(thread.name) });
      if (thread.processId) label.push({ key: s('pid'), str: s(thread.processId) });
    }
    for (const [stack, agg] of byStack) {
      const value = [Math.round(agg.count)];
      if (measure) value.push(Math.round(agg.weight * measure.scale));
      samples.push({ location_id: locationsOf(stack), value, label });
    }
  }
  const { startTime, endTime, interval } = profile.meta;
  const message: PprofMessage = {
    sample_type: sampleTypes,
    sample: samples,
    mapping: [],
    location: locations,
    function: functions,
    string_table: strings,
    comment: [s(`written by pyrometer from a ${profile.meta.format} profile`)],
  };
  if (measure) {
    message.period_type = { type: s(measure.type), unit: s(measure.unit) };
    if (interval > 0 && measure.unit === 'nanoseconds') message.period = Math.round(interval * 1e6);
    message.default_sample_type = sampleTypes[1].type;
  }
  if (startTime > 0) message.time_nanos = Math.round(startTime * 1e6);
  if (startTime > 0 && endTime > startTime) message.duration_nanos = Math.round((endTime - startTime) * 1e6);
  return message;
}

/** Encodes a profile as pprof protobuf, gzip-compressed (`.pb.gz`). */
export function writePprof(profile: Profile, options: WriteOptions = {}): Uint8Array {
  const type = pprofProfileType();
  const raw = type.encode(type.fromObject(pprofMessage(profile, options))).finish();
  return gzipSync(raw, { level: 6 });
}

export const pprofFormat: Format = {
  ...pprofSignature,
  read: (bytes) => readPprof(bytes),
  write: (profile, options) => writePprof(profile, options),
};
