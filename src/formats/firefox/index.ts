/**
 * Firefox Profiler "processed" profile: a JSON file that
 * https://profiler.firefox.com opens as it is ("Load a profile from file").
 * This file writes it; read.ts reads it back (and the gecko format).
 *
 * Layout (processed format version 70, the Firefox Profiler's
 * src/types/profile.ts; docs-developer/CHANGELOG-formats.md lists the changes):
 *   meta     interval (ms), startTime (ms since the epoch), product, version (the
 *            Gecko format version the importers stamp), preprocessedProfileVersion,
 *            categories [{name, color, subcategories}], markerSchema, extra
 *   shared   stringArray, and column tables shared by every thread:
 *            funcTable   name, isJS, relevantForJS, resource, source, lineNumber, ...
 *            frameTable  func, line, category, subcategory, address, lib, inlineDepth, ...
 *            stackTable  frame, prefixOffset (0 = root, k = parent is this index - k)
 *            sources     filename per source file (funcTable.source points here)
 *            resourceTable, nativeSymbols, sourceLocationTable (empty here)
 *   threads  per thread: samples {stack, time (ms from meta.startTime), weight,
 *            weightType}, markers {name, startTime, endTime, phase, category, data}
 *   counters a "Memory" counter: per-sample byte deltas the profiler accumulates
 *
 * Our model already has this shape (strings / funcs / frames / stacks, parents
 * before children), so the tables map column by column; our categories keep
 * their indices. Long columns are emitted lazily (json-chunks.ts) so a profile
 * with tens of millions of samples never becomes one string.
 */
import { CATEGORIES, type Category, KIND_PYTHON, type Profile, type Thread } from '../../model/profile.js';
import type { Format, WriteOptions } from '../registry.js';
import { readFirefox } from './read.js';
import { firefoxSignature } from './signature.js';
import { JsonColumn, constantColumn, jsonChunks, jsonNumber, jsonText, numberColumn } from '../json-chunks.js';

/** The processed-format version this writer produces (Firefox Profiler's PROCESSED_PROFILE_VERSION). */
export const FIREFOX_PROCESSED_VERSION = 70;
/** The Gecko profile version the Firefox Profiler's own importers put in meta.version. */
export const FIREFOX_GECKO_VERSION = 36;

/** Firefox Profiler category names and colours for our categories, same order as CATEGORIES. */
const CATEGORY_STYLE: Record<Category, { name: string; color: string }> = {
  python: { name: 'Python', color: 'yellow' },
  native: { name: 'Native', color: 'blue' },
  jit: { name: 'JIT', color: 'green' },
  gc: { name: 'GC', color: 'orange' },
  other: { name: 'Other', color: 'grey' },
  idle: { name: 'Idle', color: 'transparent' },
  kernel: { name: 'Kernel', color: 'lightred' },
};

/** Marker type of our thread markers (PyPy log sections, GC steps, JIT phases). */
const MARKER_TYPE = 'PyPyLog';

/** Maps a free-form marker category ("gc-minor", "jit-tracing") to one of our categories. */
function markerCategory(category: string): number {
  const lower = category.toLowerCase();
  if (lower.startsWith('gc')) return CATEGORIES.indexOf('gc');
  if (lower.startsWith('jit')) return CATEGORIES.indexOf('jit');
  const exact = CATEGORIES.indexOf(lower as Category);
  return exact >= 0 ? exact : CATEGORIES.indexOf('other');
}

/** Firefox weight types: 'samples' (counts), 'tracing-ms' (durations), 'bytes'. */
function weightTypeAndScale(unit: Profile['meta']['weightUnit']): { type: string; scale: number } {
  switch (unit) {
    case 'ms':
      return { type: 'tracing-ms', scale: 1 };
    case 'us':
      return { type: 'tracing-ms', scale: 1e-3 };
    case 'ns':
      return { type: 'tracing-ms', scale: 1e-6 };
    case 'bytes':
      return { type: 'bytes', scale: 1 };
    default:
      return { type: 'samples', scale: 1 };
  }
}

function allOnes(values: Float64Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (values[i] !== 1) return false;
  return true;
}

class StringTable {
  readonly strings: string[];
  private readonly index = new Map<string, number>();
  constructor(base: readonly string[]) {
    this.strings = base.slice();
    base.forEach((s, i) => {
      if (!this.index.has(s)) this.index.set(s, i);
    });
  }
  get(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Marker data fields: one schema field per key, formatted as number when every value is a number. */
function markerFields(threads: Thread[]): { key: string; format: string }[] {
  const kinds = new Map<string, 'integer' | 'number' | 'string'>();
  for (const t of threads) {
    for (const data of t.markers.data) {
      if (!data) continue;
      for (const [key, value] of Object.entries(data)) {
        if (key === 'type') continue;
        const previous = kinds.get(key);
        const kind = typeof value === 'number' && Number.isFinite(value) ? (Number.isInteger(value) ? 'integer' : 'number') : 'string';
        if (previous === undefined || previous === kind) kinds.set(key, kind);
        else if (previous !== 'string' && kind !== 'string') kinds.set(key, 'number');
        else kinds.set(key, 'string');
      }
    }
  }
  return [...kinds].map(([key, format]) => ({ key, format }));
}

function markerPayload(
  data: Record<string, unknown> | null,
  category: string,
  depth: number,
  fields: Map<string, string>,
): Record<string, unknown> {
  const payload: Record<string, unknown> = { type: MARKER_TYPE, section: category, depth };
  if (data) {
    for (const [key, value] of Object.entries(data)) {
      const format = fields.get(key);
      if (!format) continue;
      if (format === 'string') payload[key] = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
      else payload[key] = value;
    }
  }
  return payload;
}

/** RSS (KiB) per sample of the first thread that has it, as a Firefox memory counter (byte deltas). */
function memoryCounters(profile: Profile, threadIndices: number[]): unknown[] {
  const counters: unknown[] = [];
  const display = {
    graphType: 'line-accumulated',
    unit: 'bytes',
    color: 'orange',
    markerSchemaLocation: 'timeline-memory',
    sortWeight: 20,
    label: 'Memory',
    tooltipRows: [
      { type: 'value', source: 'accumulated', format: { unit: 'bytes' }, label: 'resident memory above the first sample' },
      { type: 'value', source: 'count-range', format: { unit: 'bytes' }, label: 'memory range in graph' },
    ],
  };
  const series: { time: ArrayLike<number>; kib: ArrayLike<number>; length: number; thread: number; name: string }[] = [];
  for (const [outIndex, t] of threadIndices.entries()) {
    const s = profile.threads[t].samples;
    if (!s.rss) continue;
    // Samples without a reading (NaN) are left out; the counter needs real values.
    const time: number[] = [];
    const kib: number[] = [];
    for (let i = 0; i < s.length; i++) {
      if (Number.isFinite(s.rss[i])) {
        time.push(s.time[i]);
        kib.push(s.rss[i]);
      }
    }
    if (time.length > 0) series.push({ time, kib, length: time.length, thread: outIndex, name: 'RSS' });
  }
  if (series.length === 0) {
    // Readers that keep memory as a counter instead of per-sample RSS.
    for (const c of profile.counters) {
      const scale = c.unit === 'KiB' ? 1 : c.unit === 'bytes' ? 1 / 1024 : 0;
      if (scale === 0 || c.time.length === 0) continue;
      const kib = Float64Array.from(c.value, (v) => v * scale);
      const outThread = c.thread >= 0 ? Math.max(0, threadIndices.indexOf(c.thread)) : 0;
      series.push({ time: c.time, kib, length: c.time.length, thread: outThread, name: c.name });
    }
  }
  for (const { time, kib, length, thread, name } of series) {
    const pid = profile.threads[threadIndices[thread]]?.processId || '0';
    counters.push({
      name,
      category: 'Memory',
      description: 'Resident set size of the process, sampled with the stacks',
      pid,
      mainThreadIndex: thread,
      samples: {
        time: numberColumn(time, length),
        count: new JsonColumn(length, (i) => jsonNumber(Math.round((kib[i] - (i > 0 ? kib[i - 1] : 0)) * 1024), 0)),
        length,
      },
      display,
    });
  }
  return counters;
}

/** The processed profile as a tree of plain data and lazy columns (see json-chunks.ts). */
export function firefoxProfileTree(profile: Profile, options: WriteOptions = {}): Record<string, unknown> {
  const threadIndices = options.threads && options.threads.length > 0 ? options.threads : profile.threads.map((_, i) => i);
  const strings = new StringTable(profile.strings);
  const { funcs, frames, stacks, meta } = profile;

  // Source files: one row per distinct file string.
  const sourceOfFile = new Map<number, number>();
  const sourceFilenames: number[] = [];
  const funcSource: (number | null)[] = new Array(funcs.length);
  for (let f = 0; f < funcs.length; f++) {
    const file = funcs.file[f];
    if (file < 0) {
      funcSource[f] = null;
      continue;
    }
    let source = sourceOfFile.get(file);
    if (source === undefined) {
      source = sourceFilenames.length;
      sourceFilenames.push(file);
      sourceOfFile.set(file, source);
    }
    funcSource[f] = source;
  }
  const sourceCount = sourceFilenames.length;

  const { type: weightType, scale } = weightTypeAndScale(meta.weightUnit);
  const fields = markerFields(threadIndices.map((t) => profile.threads[t]));
  const fieldFormats = new Map(fields.map((f) => [f.key, f.format]));
  const markerNameIndex = (t: Thread, i: number) => strings.get(profile.strings[t.markers.name[i]]);

  const threads = threadIndices.map((t, outIndex) => {
    const thread = profile.threads[t];
    const { samples, markers } = thread;
    const unitWeights = weightType === 'samples' && allOnes(samples.weight, samples.length);
    const markerData = Array.from({ length: markers.length }, (_, i) =>
      markerPayload(markers.data[i], profile.strings[markers.category[i]] ?? '', markers.depth[i], fieldFormats),
    );
    const markerNames = Array.from({ length: markers.length }, (_, i) => markerNameIndex(thread, i));
    return {
      ...threadLifetime(),
      showMarkersInTimeline: markers.length > 0,
      name: thread.name || `Thread ${thread.id}`,
      isMainThread: outIndex === 0,
      processName: meta.interpreter ? `${meta.interpreter}${thread.processId ? ` ${thread.processId}` : ''}` : undefined,
      pid: thread.processId || '0',
      tid: thread.id,
      samples: {
        stack: numberColumn(samples.stack, samples.length, 0, (s) => s < 0),
        time: numberColumn(samples.time, samples.length),
        weight: unitWeights ? null : new JsonColumn(samples.length, (i) => jsonNumber(samples.weight[i] * scale, 6)),
        weightType,
        length: samples.length,
      },
      markers: {
        data: markerData,
        name: markerNames,
        startTime: Array.from(markers.start.subarray(0, markers.length), (v) => Number(jsonNumber(v))),
        endTime: Array.from(markers.end.subarray(0, markers.length), (v) => Number(jsonNumber(v))),
        // 0 = instant, 1 = interval (Firefox's MarkerPhase)
        phase: Array.from({ length: markers.length }, (_, i) => (markers.end[i] > markers.start[i] ? 1 : 0)),
        category: Array.from({ length: markers.length }, (_, i) => markerCategory(profile.strings[markers.category[i]] ?? '')),
        length: markers.length,
      },
    };
  });

  const extraEntries: { label: string; format: string; value: string }[] = [
    { label: 'Source format', format: 'string', value: meta.format },
  ];
  if (meta.interpreter) extraEntries.push({ label: 'Interpreter', format: 'string', value: meta.interpreter });
  if (meta.flags.length > 0) extraEntries.push({ label: 'Modes', format: 'string', value: meta.flags.join(', ') });
  if (meta.approximateCallTree)
    extraEntries.push({ label: 'Call tree', format: 'string', value: 'reconstructed (the source has no call paths)' });
  for (const [key, value] of Object.entries(meta.extra)) extraEntries.push({ label: key, format: 'string', value: String(value) });
  for (const warning of meta.warnings) extraEntries.push({ label: 'Warning', format: 'string', value: warning });

  const counters = memoryCounters(profile, threadIndices);
  // The recording's span (relative ms): the timeline then covers the whole run, not just
  // the sampled part (markers from a PyPy log may lie outside the samples).
  const span = meta.endTime > meta.startTime ? Number(jsonNumber(meta.endTime - meta.startTime)) : undefined;

  return {
    meta: {
      interval: meta.interval > 0 ? meta.interval : 1,
      startTime: meta.startTime,
      endTime: span === undefined ? undefined : meta.endTime, // ms since the epoch, like startTime
      profilingStartTime: span === undefined ? undefined : 0,
      profilingEndTime: span,
      processType: 0,
      product: 'pyrometer',
      stackwalk: 0,
      version: FIREFOX_GECKO_VERSION,
      preprocessedProfileVersion: FIREFOX_PROCESSED_VERSION,
      importedFrom: meta.format,
      symbolicated: true,
      usesOnlyOneStackType: true,
      keepProfileThreadOrder: true,
      categories: CATEGORIES.map((c) => ({ ...CATEGORY_STYLE[c], subcategories: ['Other'] })),
      markerSchema: [
        {
          name: MARKER_TYPE,
          tooltipLabel: '{marker.name}',
          tableLabel: '{marker.name}',
          chartLabel: '{marker.name}',
          display: ['marker-chart', 'marker-table', 'timeline-overview'],
          description: 'A section of the interpreter log (PYPYLOG): garbage collection and JIT phases',
          fields: [
            { key: 'section', label: 'Section', format: 'string' },
            { key: 'depth', label: 'Nesting depth', format: 'integer' },
            ...fields.filter((f) => f.key !== 'section' && f.key !== 'depth'),
          ],
        },
      ],
      extra: [{ label: 'pyrometer', entries: extraEntries }],
    },
    libs: [],
    counters: counters.length > 0 ? counters : undefined,
    shared: {
      // Strings are interned before this object is serialized (marker names above), so the array is final.
      stringArray: strings.strings,
      stackTable: {
        frame: numberColumn(stacks.frame, stacks.length, 0),
        prefixOffset: new JsonColumn(stacks.length, (s) => (stacks.prefix[s] < 0 ? '0' : String(s - stacks.prefix[s]))),
        length: stacks.length,
      },
      frameTable: {
        address: constantColumn(frames.length, -1),
        lib: constantColumn(frames.length, -1),
        inlineDepth: constantColumn(frames.length, 0),
        category: numberColumn(frames.category, frames.length, 0),
        subcategory: constantColumn(frames.length, 0),
        func: numberColumn(frames.func, frames.length, 0),
        nativeSymbol: constantColumn(frames.length, null),
        innerWindowID: constantColumn(frames.length, null),
        line: numberColumn(frames.line, frames.length, 0, (l) => l <= 0),
        column: constantColumn(frames.length, null),
        originalLocation: constantColumn(frames.length, null),
        length: frames.length,
      },
      funcTable: {
        name: numberColumn(funcs.name, funcs.length, 0),
        isJS: new JsonColumn(funcs.length, (f) => (funcs.kind[f] === KIND_PYTHON ? 'true' : 'false')),
        relevantForJS: constantColumn(funcs.length, false),
        resource: constantColumn(funcs.length, -1),
        source: new JsonColumn(funcs.length, (f) => (funcSource[f] === null ? 'null' : String(funcSource[f]))),
        lineNumber: numberColumn(funcs.line, funcs.length, 0, (l) => l <= 0),
        columnNumber: constantColumn(funcs.length, null),
        originalLocation: constantColumn(funcs.length, null),
        length: funcs.length,
      },
      resourceTable: { length: 0, name: [], host: [], type: [] },
      nativeSymbols: { libIndex: [], address: [], name: [], functionSize: [], length: 0 },
      sources: {
        length: sourceCount,
        id: constantColumn(sourceCount, null),
        filename: sourceFilenames,
        startLine: constantColumn(sourceCount, 1),
        startColumn: constantColumn(sourceCount, 1),
        sourceMapURL: constantColumn(sourceCount, null),
        content: constantColumn(sourceCount, null),
      },
      sourceLocationTable: { source: [], line: [], column: [], length: 0 },
    },
    // The profiler refuses a profile without threads: a sample-less input (a bare jitlog) gets one empty thread.
    threads: threads.length > 0 ? threads : [emptyThread()],
  };
}

/** The process and lifetime fields every written thread starts with (we know no more of them). */
function threadLifetime(): Record<string, unknown> {
  return {
    processType: 'default',
    processStartupTime: 0,
    processShutdownTime: null,
    registerTime: 0,
    unregisterTime: null,
    pausedRanges: [],
  };
}

function emptyThread(): Record<string, unknown> {
  return {
    ...threadLifetime(),
    name: 'main',
    isMainThread: true,
    pid: '0',
    tid: '0',
    samples: { stack: [], time: [], weight: null, weightType: 'samples', length: 0 },
    markers: { data: [], name: [], startTime: [], endTime: [], phase: [], category: [], length: 0 },
  };
}

export const firefoxFormat: Format = {
  ...firefoxSignature,
  read: (bytes) => readFirefox(bytes),
  write: (profile, options) => jsonText(firefoxProfileTree(profile, options)),
  writeChunks: (profile, options) => jsonChunks(firefoxProfileTree(profile, options)),
};
