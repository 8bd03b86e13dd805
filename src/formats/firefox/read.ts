/**
 * Reads Firefox Profiler files: the processed format (what profiler.firefox.com
 * saves, and what our writer in index.ts produces) and the gecko format (what
 * Firefox itself records, also found wrapped as `{ profile: gecko, ... }` in
 * files saved by Firefox DevTools' old performance panel).
 *
 * Processed layout (see index.ts): tables of columns, shared by all threads in
 * `shared` (version 48 and later) or per thread (older files: thread.stringArray
 * or stringTable, funcTable.fileName instead of sources, stackTable.prefix
 * instead of prefixOffset, samples.timeDeltas instead of time).
 * Gecko layout: `{ meta: { startTime (epoch ms), interval, version }, threads:
 * [thread], processes: [gecko profile of a child process] }`; a thread has
 * `samples`, `stackTable`, `frameTable`, `markers`, each `{ schema: {column:
 * index}, data: [[row]] }`, and a `stringTable`; a frame's location string is
 * "name (file:line:column)" for JavaScript, a label or an address otherwise.
 *
 * What the reader makes of it:
 * - processed: functions, frames (with our categories, by index), stacks and
 *   sample weights as written (weightType samples / tracing-ms / bytes), times
 *   in ms from meta.startTime: a profile our writer wrote reads back as the
 *   model it came from (a function's kind is recovered from isJS and its
 *   frames' categories).
 * - gecko: every thread of every process; JavaScript frames become functions
 *   with file and line, other frames native functions; each sample weighs the
 *   time to the next one of its thread (ms; the last one the interval), as
 *   speedscope weighs them; markers are kept by name and time.
 */
import { ProfileBuilder } from '../../model/builder.js';
import { CATEGORIES, type Category, type FunctionKind, type Profile, type StackIndex, type WeightUnit } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile } from '../json-input.js';
export { sniffFirefox } from './signature.js';

const FORMAT = 'firefox';

type Row = Record<string, unknown>;

export function readFirefox(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  try {
    let o = asObject(root, '$');
    let path = '$';
    // Firefox DevTools' performance panel saves { profile: gecko, duration, systemHost, ... }.
    if (o.meta === undefined && typeof o.profile === 'object' && o.profile !== null) {
      o = asObject(o.profile, '$.profile');
      path = '$.profile';
    }
    const meta = asObject(o.meta, `${path}.meta`);
    if (meta.preprocessedProfileVersion !== undefined) return readProcessed(o, meta, path);
    return readGecko(o, meta, path);
  } catch (e) {
    if (e instanceof JsonShapeError) throw new ProfileFormatError(FORMAT, e.message);
    throw e;
  }
}

// ---- processed format ----

const WEIGHT_UNITS: Record<string, WeightUnit> = { samples: 'samples', 'tracing-ms': 'ms', bytes: 'bytes' };

/** A column of a processed table, checked to have `length` entries. */
function column(table: Row, name: string, length: number, path: string, optional = false): unknown[] | null {
  const value = table[name];
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new JsonShapeError(`${path}.${name}: missing column`);
  }
  const col = asArray(value, `${path}.${name}`);
  if (col.length < length) throw new JsonShapeError(`${path}.${name}: ${col.length} entries for ${length} rows`);
  return col;
}

function tableLength(table: Row, path: string, firstColumn: string): number {
  if (typeof table.length === 'number') return table.length;
  const col = table[firstColumn];
  if (Array.isArray(col)) return col.length;
  throw new JsonShapeError(`${path}.length: expected a number`);
}

function index(value: unknown, limit: number, path: string): number {
  const n = asNumber(value, path);
  if (!Number.isInteger(n) || n < 0 || n >= limit) throw new JsonShapeError(`${path}: ${n} is not an index below ${limit}`);
  return n;
}

interface Tables {
  strings: string[];
  funcs: Row;
  frames: Row;
  stacks: Row;
  sources: Row | null;
}

function readProcessed(o: Row, meta: Row, path: string): Profile {
  const version = asNumber(meta.preprocessedProfileVersion, `${path}.meta.preprocessedProfileVersion`);
  const builder = new ProfileBuilder(FORMAT, { formatVersion: version });
  builder.meta.interval = typeof meta.interval === 'number' ? meta.interval : 0;
  builder.meta.startTime = typeof meta.startTime === 'number' ? meta.startTime : 0;
  if (typeof meta.endTime === 'number') builder.meta.endTime = meta.endTime;
  if (typeof meta.importedFrom === 'string') builder.meta.extra.importedFrom = meta.importedFrom;
  if (typeof meta.product === 'string') builder.meta.extra.product = meta.product;
  readExtra(builder, meta);
  const categoryNames = Array.isArray(meta.categories)
    ? meta.categories.map((c) =>
        typeof c === 'object' && c !== null && typeof (c as Row).name === 'string' ? ((c as Row).name as string) : '',
      )
    : [];
  const shared = o.shared === undefined ? null : asObject(o.shared, `${path}.shared`);
  const pyrometerFile = meta.product === 'pyrometer';
  const threads = asArray(o.threads, `${path}.threads`);
  let unit: WeightUnit | null = null;
  const sharedTables = shared && shared.stackTable !== undefined ? tablesOf(shared, `${path}.shared`) : null;
  const sharedStacks = sharedTables ? new StackMapper(builder, sharedTables, categoryNames, pyrometerFile, `${path}.shared`) : null;
  threads.forEach((value, ti) => {
    const tp = `${path}.threads[${ti}]`;
    const t = asObject(value, tp);
    const stacks = sharedStacks ?? new StackMapper(builder, tablesOf(t, tp, shared), categoryNames, pyrometerFile, tp);
    const thread = builder.thread(String(t.tid ?? ti), typeof t.name === 'string' ? t.name : '', t.pid === undefined ? '' : String(t.pid));
    const samples = asObject(t.samples, `${tp}.samples`);
    const sp = `${tp}.samples`;
    const n = tableLength(samples, sp, 'stack');
    const stackCol = column(samples, 'stack', n, sp)!;
    const timeCol = column(samples, 'time', n, sp, true);
    const deltas = timeCol ? null : column(samples, 'timeDeltas', n, sp);
    const weights = column(samples, 'weight', n, sp, true);
    const weightType = typeof samples.weightType === 'string' ? samples.weightType : 'samples';
    const threadUnit = WEIGHT_UNITS[weightType];
    if (!threadUnit) throw new JsonShapeError(`${sp}.weightType: unknown weight type ${JSON.stringify(weightType)}`);
    if (unit === null) unit = threadUnit;
    else if (unit !== threadUnit) builder.warn(`threads mix weight types (${unit} and ${threadUnit}); weights are not comparable`);
    let time = 0;
    for (let i = 0; i < n; i++) {
      time = timeCol ? asNumber(timeCol[i], `${sp}.time[${i}]`) : time + asNumber(deltas![i], `${sp}.timeDeltas[${i}]`);
      const raw = stackCol[i];
      const stack = raw === null ? -1 : stacks.stack(index(raw, stacks.length, `${sp}.stack[${i}]`));
      const weight = weights ? asNumber(weights[i], `${sp}.weight[${i}]`) : 1;
      builder.addSample(thread, stack, time, weight);
    }
    readProcessedMarkers(builder, thread, t, stacks.strings, tp);
  });
  builder.meta.weightUnit = unit ?? 'samples';
  return builder.build();
}

/** The string, function, frame and stack tables, from `shared` (current files) or the thread (older ones). */
function tablesOf(o: Row, path: string, shared: Row | null = null): Tables {
  const rawStrings = o.stringArray ?? o.stringTable ?? shared?.stringArray;
  const strings = asArray(rawStrings, `${path}.stringArray`).map((s, i) => {
    if (typeof s !== 'string') throw new JsonShapeError(`${path}.stringArray[${i}]: expected a string`);
    return s;
  });
  const sources = o.sources ?? shared?.sources;
  return {
    strings,
    funcs: asObject(o.funcTable, `${path}.funcTable`),
    frames: asObject(o.frameTable, `${path}.frameTable`),
    stacks: asObject(o.stackTable, `${path}.stackTable`),
    sources: sources === undefined ? null : asObject(sources, `${path}.sources`),
  };
}

/** Maps a processed stack table into the builder, parents first (as the format guarantees). */
class StackMapper {
  readonly length: number;
  readonly strings: string[];
  private readonly mapped: Int32Array;
  private readonly frameOf: Int32Array;

  constructor(builder: ProfileBuilder, t: Tables, categoryNames: string[], pyrometerFile: boolean, path: string) {
    this.strings = t.strings;
    const str = (value: unknown, p: string) => t.strings[index(value, t.strings.length, p)];
    // Functions.
    const fp = `${path}.funcTable`;
    const nf = tableLength(t.funcs, fp, 'name');
    const names = column(t.funcs, 'name', nf, fp)!;
    const isJS = column(t.funcs, 'isJS', nf, fp, true);
    const sourceCol = column(t.funcs, 'source', nf, fp, true);
    const fileNameCol = column(t.funcs, 'fileName', nf, fp, true);
    const lineCol = column(t.funcs, 'lineNumber', nf, fp, true);
    const sourceFiles = t.sources
      ? column(t.sources, 'filename', tableLength(t.sources, `${path}.sources`, 'filename'), `${path}.sources`)!
      : [];
    const funcInfo: { name: string; file: string; line: number; isJS: boolean }[] = [];
    for (let f = 0; f < nf; f++) {
      let file = '';
      if (sourceCol && sourceCol[f] !== null && sourceCol[f] !== undefined) {
        const s = index(sourceCol[f], sourceFiles.length, `${fp}.source[${f}]`);
        file = str(sourceFiles[s], `${path}.sources.filename[${s}]`);
      } else if (fileNameCol && fileNameCol[f] !== null && fileNameCol[f] !== undefined) {
        file = str(fileNameCol[f], `${fp}.fileName[${f}]`);
      }
      const line = lineCol && typeof lineCol[f] === 'number' ? (lineCol[f] as number) : 0;
      funcInfo.push({ name: str(names[f], `${fp}.name[${f}]`), file, line, isJS: isJS ? isJS[f] === true : false });
    }
    // Frames: the function's kind comes from isJS and the categories its frames are in.
    const rp = `${path}.frameTable`;
    const nr = tableLength(t.frames, rp, 'func');
    const frameFunc = column(t.frames, 'func', nr, rp)!;
    const frameLine = column(t.frames, 'line', nr, rp, true);
    const frameCategory = column(t.frames, 'category', nr, rp, true);
    // Our writer names its categories after ours ("Python", "GC", ...); the profiler's own ("GC / CC", "JavaScript") map loosely.
    const ourCategory = (value: unknown): Category => {
      if (typeof value !== 'number') return 'other';
      const name = (categoryNames[value] ?? '').toLowerCase();
      return CATEGORIES.find((c) => c === name) ?? (name.startsWith('gc') ? 'gc' : 'other');
    };
    const frameFuncs = new Int32Array(nr);
    const frameCats: Category[] = [];
    const funcCats: Set<Category>[] = funcInfo.map(() => new Set());
    for (let r = 0; r < nr; r++) {
      frameFuncs[r] = index(frameFunc[r], nf, `${rp}.func[${r}]`);
      frameCats[r] = ourCategory(frameCategory ? frameCategory[r] : null);
      funcCats[frameFuncs[r]].add(frameCats[r]);
    }
    const kinds: FunctionKind[] = funcInfo.map((info, f) => {
      // isJS marks interpreted code: Python in our own files, JavaScript in the profiler's.
      if (info.isJS) return pyrometerFile ? 'python' : 'other';
      for (const c of funcCats[f]) if (c === 'native' || c === 'jit' || c === 'gc' || c === 'other') return c;
      return 'other';
    });
    const funcIds = funcInfo.map((info, f) => builder.func(info.name, info.file, info.line, kinds[f]));
    this.frameOf = new Int32Array(nr);
    for (let r = 0; r < nr; r++) {
      const line = frameLine && typeof frameLine[r] === 'number' ? (frameLine[r] as number) : 0;
      this.frameOf[r] = builder.frame(funcIds[frameFuncs[r]], line, frameCats[r]);
    }
    // Stacks: prefix (absolute, null for roots) or prefixOffset (0 = root, k = this index - k).
    const sp = `${path}.stackTable`;
    const ns = tableLength(t.stacks, sp, 'frame');
    const stackFrame = column(t.stacks, 'frame', ns, sp)!;
    const prefix = column(t.stacks, 'prefix', ns, sp, true);
    const prefixOffset = prefix ? null : column(t.stacks, 'prefixOffset', ns, sp);
    this.length = ns;
    this.mapped = new Int32Array(ns);
    for (let s = 0; s < ns; s++) {
      let parent = -1;
      if (prefix) {
        if (prefix[s] !== null) parent = index(prefix[s], s, `${sp}.prefix[${s}]`);
      } else {
        const off = asNumber(prefixOffset![s], `${sp}.prefixOffset[${s}]`);
        if (off !== 0) parent = index(s - off, s, `${sp}.prefixOffset[${s}]`);
      }
      const frame = this.frameOf[index(stackFrame[s], nr, `${sp}.frame[${s}]`)];
      this.mapped[s] = builder.stack(parent < 0 ? -1 : this.mapped[parent], frame);
    }
  }

  stack(s: number): StackIndex {
    return this.mapped[s];
  }
}

function readProcessedMarkers(builder: ProfileBuilder, thread: number, t: Row, strings: string[], path: string): void {
  if (typeof t.markers !== 'object' || t.markers === null) return;
  const m = t.markers as Row;
  const mp = `${path}.markers`;
  const n = typeof m.length === 'number' ? m.length : 0;
  if (n === 0) return;
  const names = column(m, 'name', n, mp)!;
  const starts = column(m, 'startTime', n, mp)!;
  const ends = column(m, 'endTime', n, mp, true);
  const data = column(m, 'data', n, mp, true);
  for (let i = 0; i < n; i++) {
    const name = strings[index(names[i], strings.length, `${mp}.name[${i}]`)];
    const start = typeof starts[i] === 'number' ? (starts[i] as number) : 0;
    const end = ends && typeof ends[i] === 'number' ? (ends[i] as number) : start;
    const payload = data && typeof data[i] === 'object' && data[i] !== null ? { ...(data[i] as Row) } : null;
    const section = payload && typeof payload.section === 'string' ? payload.section : 'marker';
    const depth = payload && typeof payload.depth === 'number' ? payload.depth : 0;
    if (payload) {
      // Our writer's own fields: back into the marker's category and depth.
      delete payload.type;
      delete payload.section;
      delete payload.depth;
    }
    builder.addMarker(thread, name, start, end, section, payload && Object.keys(payload).length > 0 ? payload : null, depth);
  }
}

function readExtra(builder: ProfileBuilder, meta: Row): void {
  if (!Array.isArray(meta.extra)) return;
  for (const group of meta.extra) {
    if (typeof group !== 'object' || group === null || !Array.isArray((group as Row).entries)) continue;
    for (const entry of (group as Row).entries as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const { label, value } = entry as Row;
      if (typeof label !== 'string' || typeof value !== 'string') continue;
      if (label === 'Interpreter') builder.meta.interpreter = value;
      else if (label === 'Modes') builder.meta.flags = value.split(', ').filter(Boolean);
      else if (label === 'Call tree') builder.meta.approximateCallTree = true;
      else if (label === 'Warning') builder.warn(value);
      else if (label === 'Source format') builder.meta.extra.sourceFormat = value;
      else builder.meta.extra[label] = value;
    }
  }
}

// ---- gecko format ----

/** Reads a `{ schema, data }` table into a column accessor. */
function schemaTable(value: unknown, path: string): { rows: unknown[][]; col: (name: string) => number } {
  const t = asObject(value, path);
  const schema = asObject(t.schema, `${path}.schema`);
  const rows = asArray(t.data, `${path}.data`).map((r, i) => asArray(r, `${path}.data[${i}]`));
  return { rows, col: (name) => (typeof schema[name] === 'number' ? (schema[name] as number) : -1) };
}

/** A trailing `:<digits>` of `text`: [before, digits], or null. */
function trailingNumber(text: string): [string, string] | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0 || !/^\d+$/.test(text.slice(colon + 1))) return null;
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/**
 * `name (file[:line[:column]])` as [whole, name, file, line?, column?], or null: what
 * `^(.*)\s+\((.*?)(?::(\d+))?(?::(\d+))?\)$` matched (line separators
 * allowed in names), found in linear time: the regex was quadratic.
 */
function jsLocation(location: string): [string, string, string, string | undefined, string | undefined] | null {
  if (!location.endsWith(')')) return null;
  // The last '(' with a blank before it (the regex's greedy name).
  let open = location.lastIndexOf('(', location.length - 2);
  while (open > 0 && !/\s/.test(location[open - 1])) open = location.lastIndexOf('(', open - 1);
  if (open < 1) return null;
  let file = location.slice(open + 1, -1);
  const numbers: string[] = [];
  for (let i = 0; i < 2; i++) {
    const split = trailingNumber(file);
    if (!split) break;
    file = split[0];
    numbers.unshift(split[1]);
  }
  return [location, location.slice(0, open - 1), file, numbers[0], numbers[1]];
}

function readGecko(o: Row, meta: Row, path: string): Profile {
  const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms' });
  builder.meta.formatVersion = typeof meta.version === 'number' ? meta.version : null;
  builder.meta.extra.gecko = 'true';
  if (typeof meta.product === 'string') builder.meta.extra.product = meta.product;
  const interval = typeof meta.interval === 'number' ? meta.interval : 1;
  builder.meta.interval = interval;
  const start = typeof meta.startTime === 'number' ? meta.startTime : 0;
  builder.meta.startTime = start;
  // Child processes are gecko profiles of their own, with their own start time.
  const todo: [Row, string, number][] = [[o, path, 0]];
  while (todo.length > 0) {
    const [profile, pp, offset] = todo.shift()!;
    const threads = asArray(profile.threads ?? [], `${pp}.threads`);
    threads.forEach((value, ti) => {
      const tp = `${pp}.threads[${ti}]`;
      // Very old gecko files hold each thread as a JSON string.
      const t = typeof value === 'string' ? asObject(JSON.parse(value), tp) : asObject(value, tp);
      readGeckoThread(builder, t, tp, offset, interval);
    });
    const processes = asArray(profile.processes ?? [], `${pp}.processes`);
    processes.forEach((value, pi) => {
      const child = asObject(typeof value === 'string' ? JSON.parse(value) : value, `${pp}.processes[${pi}]`);
      const childMeta = typeof child.meta === 'object' && child.meta !== null ? (child.meta as Row) : {};
      const childStart = typeof childMeta.startTime === 'number' ? childMeta.startTime : start;
      todo.push([child, `${pp}.processes[${pi}]`, childStart - start]);
    });
  }
  return builder.build();
}

function readGeckoThread(builder: ProfileBuilder, t: Row, tp: string, offset: number, interval: number): void {
  const strings = asArray(t.stringTable ?? [], `${tp}.stringTable`);
  const str = (i: unknown, p: string) => {
    const s = strings[index(i, strings.length, p)];
    if (typeof s !== 'string') throw new JsonShapeError(`${p}: string ${String(i)} is not a string`);
    return s;
  };
  const frames = schemaTable(t.frameTable, `${tp}.frameTable`);
  const locationCol = frames.col('location');
  const lineCol = frames.col('line');
  if (locationCol < 0) throw new JsonShapeError(`${tp}.frameTable.schema: no location column`);
  const frameIds = frames.rows.map((row, r) => {
    const location = str(row[locationCol], `${tp}.frameTable.data[${r}][${locationCol}]`);
    const m = jsLocation(location);
    if (m && m[2] !== '') {
      const line = m[3] ? Number(m[3]) : lineCol >= 0 && typeof row[lineCol] === 'number' ? (row[lineCol] as number) : 0;
      return builder.frame(builder.func(m[1], m[2], 0, 'other'), line);
    }
    const line = lineCol >= 0 && typeof row[lineCol] === 'number' ? (row[lineCol] as number) : 0;
    return builder.frame(builder.func(location, '', 0, /^0x[0-9a-f]+$/i.test(location) ? 'native' : 'other'), line);
  });
  const stacks = schemaTable(t.stackTable, `${tp}.stackTable`);
  const prefixCol = stacks.col('prefix');
  const frameCol = stacks.col('frame');
  const mapped = new Int32Array(stacks.rows.length);
  stacks.rows.forEach((row, s) => {
    const prefix = row[prefixCol];
    const parent = prefix === null || prefix === undefined ? -1 : mapped[index(prefix, s, `${tp}.stackTable.data[${s}][${prefixCol}]`)];
    mapped[s] = builder.stack(parent, frameIds[index(row[frameCol], frameIds.length, `${tp}.stackTable.data[${s}][${frameCol}]`)]);
  });
  const thread = builder.thread(String(t.tid ?? ''), typeof t.name === 'string' ? t.name : '', t.pid === undefined ? '' : String(t.pid));
  const samples = schemaTable(t.samples, `${tp}.samples`);
  const stackCol = samples.col('stack');
  const timeCol = samples.col('time');
  const n = samples.rows.length;
  const times = samples.rows.map((row, i) => asNumber(row[timeCol], `${tp}.samples.data[${i}][${timeCol}]`));
  for (let i = 0; i < n; i++) {
    const raw = samples.rows[i][stackCol];
    const stack = raw === null || raw === undefined ? -1 : mapped[index(raw, mapped.length, `${tp}.samples.data[${i}][${stackCol}]`)];
    // Each sample lasts until the thread's next one (the last: one interval).
    const next = i + 1 < n ? times[i + 1] : times[i] + interval;
    builder.addSample(thread, stack, times[i] + offset, Math.max(0, next - times[i]));
  }
  if (t.markers !== undefined) {
    const markers = schemaTable(t.markers, `${tp}.markers`);
    const nameCol = markers.col('name');
    const timeColumn = markers.col('time') >= 0 ? markers.col('time') : markers.col('startTime');
    const endCol = markers.col('endTime');
    markers.rows.forEach((row, i) => {
      const time = typeof row[timeColumn] === 'number' ? (row[timeColumn] as number) + offset : NaN;
      if (Number.isNaN(time)) return;
      const end = endCol >= 0 && typeof row[endCol] === 'number' ? (row[endCol] as number) + offset : time;
      builder.addMarker(thread, str(row[nameCol], `${tp}.markers.data[${i}][${nameCol}]`), time, end, 'marker');
    });
  }
}
