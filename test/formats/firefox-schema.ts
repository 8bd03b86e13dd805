/**
 * A structural validator for the Firefox Profiler's processed format, version 70,
 * written from the Firefox Profiler's published types (src/types/profile.ts,
 * src/types/markers.ts, src/types/gecko-profile.ts at the version's commit).
 * CI has no copy of those sources, so the tests check our output against this:
 * every required table and column present, every column as long as its table,
 * every index in range, enumerations from the type unions.
 * Returns a list of problems (empty = valid).
 */

const CATEGORY_COLORS = new Set([
  'transparent',
  'purple',
  'green',
  'orange',
  'yellow',
  'lightblue',
  'blue',
  'brown',
  'magenta',
  'red',
  'lightred',
  'darkgrey',
  'grey',
]);
const WEIGHT_TYPES = new Set(['samples', 'tracing-ms', 'bytes']);
const GRAPH_TYPES = new Set(['line-accumulated', 'line-rate']);
const GRAPH_COLORS = new Set(['blue', 'green', 'grey', 'ink', 'magenta', 'orange', 'purple', 'red', 'teal', 'yellow']);
const DISPLAY_LOCATIONS = new Set([
  'marker-chart',
  'marker-table',
  'timeline-overview',
  'timeline-memory',
  'timeline-ipc',
  'timeline-fileio',
  'timeline-network',
  'stack-chart',
]);
const FIELD_FORMATS = new Set([
  'url',
  'file-path',
  'sanitized-string',
  'string',
  'unique-string',
  'flow-id',
  'terminating-flow-id',
  'duration',
  'time',
  'seconds',
  'milliseconds',
  'microseconds',
  'nanoseconds',
  'bytes',
  'percentage',
  'integer',
  'decimal',
  'pid',
  'tid',
  'list',
  'table',
  'number',
]);

type Json = Record<string, unknown>;

export function validateFirefoxProfile(profile: unknown): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => {
    if (problems.length < 50) problems.push(`${where}: ${what}`);
  };
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

  function object(v: unknown, where: string): Json {
    if (!isObject(v)) {
      fail(where, 'missing or not an object');
      return {};
    }
    return v;
  }

  /** Checks the required columns of a table: arrays as long as `length`, each element passing `check`. */
  function table(
    v: unknown,
    where: string,
    columns: Record<string, (value: unknown, row: number) => boolean>,
    optional: Record<string, (value: unknown, row: number) => boolean> = {},
  ): number {
    const t = object(v, where);
    if (!isInt(t.length) || t.length < 0) {
      fail(where, 'length is not a non-negative integer');
      return 0;
    }
    const length = t.length;
    const checkColumn = (name: string, check: (value: unknown, row: number) => boolean, required: boolean) => {
      const column = t[name];
      if (column === undefined && !required) return;
      if (!Array.isArray(column)) return fail(`${where}.${name}`, 'missing or not an array');
      if (column.length !== length) return fail(`${where}.${name}`, `has ${column.length} rows, table length is ${length}`);
      for (let i = 0; i < length; i++) {
        if (!check(column[i], i)) return fail(`${where}.${name}[${i}]`, `bad value ${JSON.stringify(column[i])}`);
      }
    };
    for (const [name, check] of Object.entries(columns)) checkColumn(name, check, true);
    for (const [name, check] of Object.entries(optional)) checkColumn(name, check, false);
    return length;
  }

  const root = object(profile, 'profile');
  const meta = object(root.meta, 'meta');
  if (meta.preprocessedProfileVersion !== 70)
    fail('meta.preprocessedProfileVersion', `is ${String(meta.preprocessedProfileVersion)}, expected 70`);
  if (!isInt(meta.version)) fail('meta.version', 'not an integer');
  if (!isNum(meta.interval) || meta.interval <= 0) fail('meta.interval', 'not a positive number of ms');
  if (!isNum(meta.startTime)) fail('meta.startTime', 'not a number');
  if (!isInt(meta.processType)) fail('meta.processType', 'not an integer');
  if (typeof meta.product !== 'string') fail('meta.product', 'not a string');
  if (meta.stackwalk !== 0 && meta.stackwalk !== 1) fail('meta.stackwalk', 'not 0 or 1');
  // endTime is absolute (ms since the epoch, like startTime); profiling{Start,End}Time are relative to startTime.
  if (meta.endTime !== undefined && (!isNum(meta.endTime) || !isNum(meta.startTime) || meta.endTime < meta.startTime))
    fail('meta.endTime', 'not a time at or after startTime');
  for (const key of ['profilingStartTime', 'profilingEndTime'] as const) {
    if (meta[key] !== undefined && (!isNum(meta[key]) || (meta[key] as number) < 0)) fail(`meta.${key}`, 'not a non-negative number of ms');
  }
  if (isNum(meta.profilingStartTime) && isNum(meta.profilingEndTime) && meta.profilingEndTime < meta.profilingStartTime)
    fail('meta.profilingEndTime', 'before profilingStartTime');

  const categories = Array.isArray(meta.categories) ? meta.categories : [];
  if (categories.length === 0) fail('meta.categories', 'missing or empty (frames need categories)');
  categories.forEach((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string' || !CATEGORY_COLORS.has(c.color as string)) {
      return fail(`meta.categories[${i}]`, 'needs a name and a CategoryColor');
    }
    if (!Array.isArray(c.subcategories) || c.subcategories.length === 0 || !c.subcategories.every((s) => typeof s === 'string')) {
      fail(`meta.categories[${i}].subcategories`, 'needs at least one subcategory name');
    }
  });
  const subcategoryCount = (c: number) => (categories[c] as Json | undefined)?.subcategories as unknown[] | undefined;

  const schemaByName = new Map<string, Json>();
  if (!Array.isArray(meta.markerSchema)) fail('meta.markerSchema', 'missing or not an array');
  else {
    meta.markerSchema.forEach((s, i) => {
      const where = `meta.markerSchema[${i}]`;
      if (!isObject(s) || typeof s.name !== 'string') return fail(where, 'needs a name');
      schemaByName.set(s.name, s);
      if (!Array.isArray(s.display) || !s.display.every((d) => DISPLAY_LOCATIONS.has(d as string)))
        fail(`${where}.display`, 'bad display locations');
      if (!Array.isArray(s.fields)) return fail(`${where}.fields`, 'missing');
      s.fields.forEach((f, j) => {
        if (!isObject(f) || typeof f.key !== 'string' || !FIELD_FORMATS.has(f.format as string)) {
          fail(`${where}.fields[${j}]`, 'needs a key and a known format');
        }
      });
    });
  }
  if (meta.extra !== undefined) {
    if (!Array.isArray(meta.extra)) fail('meta.extra', 'not an array');
    else
      meta.extra.forEach((section, i) => {
        if (!isObject(section) || typeof section.label !== 'string' || !Array.isArray(section.entries))
          return fail(`meta.extra[${i}]`, 'needs label and entries');
        section.entries.forEach((e, j) => {
          if (!isObject(e) || typeof e.label !== 'string' || !FIELD_FORMATS.has(e.format as string) || !('value' in e)) {
            fail(`meta.extra[${i}].entries[${j}]`, 'needs label, format and value');
          }
        });
      });
  }

  if (!Array.isArray(root.libs)) fail('libs', 'missing or not an array');

  const shared = object(root.shared, 'shared');
  const strings = Array.isArray(shared.stringArray) ? shared.stringArray : [];
  if (!Array.isArray(shared.stringArray) || !strings.every((s) => typeof s === 'string'))
    fail('shared.stringArray', 'not an array of strings');
  const isString = (v: unknown) => isInt(v) && v >= 0 && v < strings.length;
  const nullable = (check: (v: unknown) => boolean) => (v: unknown) => v === null || check(v);

  const resourceCount = table(shared.resourceTable, 'shared.resourceTable', {
    name: isString,
    host: nullable(isString),
    type: (v) => isInt(v) && v >= 0 && v <= 5,
  });
  const libCount = Array.isArray(root.libs) ? root.libs.length : 0;
  table(shared.nativeSymbols, 'shared.nativeSymbols', {
    libIndex: (v) => isInt(v) && v >= 0 && v < libCount,
    address: isInt,
    name: isString,
    functionSize: nullable(isInt),
  });
  const sourceCount = table(shared.sources, 'shared.sources', {
    id: nullable((v) => typeof v === 'string'),
    filename: isString,
    startLine: isInt,
    startColumn: isInt,
    sourceMapURL: nullable(isString),
    content: nullable((v) => typeof v === 'string'),
  });
  const locationCount = table(shared.sourceLocationTable, 'shared.sourceLocationTable', {
    source: (v) => isInt(v) && v >= 0 && v < sourceCount,
    line: isInt,
    column: isInt,
  });
  const isLocation = nullable((v) => isInt(v) && v >= 0 && v < locationCount);
  const funcCount = table(shared.funcTable, 'shared.funcTable', {
    name: isString,
    isJS: (v) => typeof v === 'boolean',
    relevantForJS: (v) => typeof v === 'boolean',
    resource: (v) => isInt(v) && v >= -1 && v < resourceCount,
    source: nullable((v) => isInt(v) && v >= 0 && v < sourceCount),
    lineNumber: nullable(isInt),
    columnNumber: nullable(isInt),
    originalLocation: isLocation,
  });
  const frameTable = object(shared.frameTable, 'shared.frameTable');
  const frameCount = table(frameTable, 'shared.frameTable', {
    address: (v) => isInt(v) && v >= -1,
    lib: (v) => isInt(v) && v >= -1 && v < libCount,
    inlineDepth: (v) => isInt(v) && v >= 0,
    category: nullable((v) => isInt(v) && v >= 0 && v < categories.length),
    subcategory: (v, row) => {
      if (v === null) return true;
      const c = (frameTable.category as unknown[])[row];
      const subs = typeof c === 'number' ? subcategoryCount(c) : undefined;
      return isInt(v) && v >= 0 && subs !== undefined && v < subs.length;
    },
    func: (v) => isInt(v) && v >= 0 && v < funcCount,
    nativeSymbol: nullable(isInt),
    innerWindowID: nullable(isInt),
    line: nullable(isInt),
    column: nullable(isInt),
    originalLocation: isLocation,
  });
  const stackCount = table(shared.stackTable, 'shared.stackTable', {
    frame: (v) => isInt(v) && v >= 0 && v < frameCount,
    // 0 = root; k > 0 = the parent is k rows earlier (parents come first).
    prefixOffset: (v, row) => isInt(v) && v >= 0 && v <= row,
  });

  if (!Array.isArray(root.threads) || root.threads.length === 0) fail('threads', 'missing or empty');
  const threads = Array.isArray(root.threads) ? root.threads : [];
  threads.forEach((t, ti) => {
    const where = `threads[${ti}]`;
    const thread = object(t, where);
    for (const key of ['processType', 'name', 'pid'] as const) if (typeof thread[key] !== 'string') fail(`${where}.${key}`, 'not a string');
    for (const key of ['processStartupTime', 'registerTime'] as const) if (!isNum(thread[key])) fail(`${where}.${key}`, 'not a number');
    for (const key of ['processShutdownTime', 'unregisterTime'] as const)
      if (thread[key] !== null && !isNum(thread[key])) fail(`${where}.${key}`, 'not a number or null');
    if (!Array.isArray(thread.pausedRanges)) fail(`${where}.pausedRanges`, 'not an array');
    if (typeof thread.isMainThread !== 'boolean') fail(`${where}.isMainThread`, 'not a boolean');
    if (typeof thread.tid !== 'string' && !isNum(thread.tid)) fail(`${where}.tid`, 'not a number or string');

    const samples = object(thread.samples, `${where}.samples`);
    if (!WEIGHT_TYPES.has(samples.weightType as string)) fail(`${where}.samples.weightType`, `bad ${String(samples.weightType)}`);
    if (samples.time === undefined && samples.timeDeltas === undefined) fail(`${where}.samples`, 'needs time or timeDeltas');
    let lastTime = -Infinity;
    table(
      samples,
      `${where}.samples`,
      {
        stack: nullable((v) => isInt(v) && v >= 0 && v < stackCount),
        ...(samples.weight === null ? {} : { weight: isNum }),
      },
      {
        time: (v) => {
          if (!isNum(v) || v < lastTime) return false;
          lastTime = v;
          return true;
        },
        timeDeltas: isNum,
      },
    );

    const markers = object(thread.markers, `${where}.markers`);
    const phases = markers.phase as unknown[];
    table(markers, `${where}.markers`, {
      name: isString,
      phase: (v) => v === 0 || v === 1 || v === 2 || v === 3,
      startTime: (v, row) => isNum(v) || (v === null && phases?.[row] === 3),
      endTime: (v, row) => isNum(v) || (v === null && (phases?.[row] === 0 || phases?.[row] === 2)),
      category: (v) => isInt(v) && v >= 0 && v < categories.length,
      data: (v) => {
        if (v === null) return true;
        if (!isObject(v) || typeof v.type !== 'string') return false;
        const schema = schemaByName.get(v.type);
        if (!schema) return false;
        // Every schema field present in a payload must have a value of its format's kind.
        return (schema.fields as Json[]).every((f) => {
          const value = v[f.key as string];
          if (value === undefined || value === null) return true;
          if (f.format === 'string' || f.format === 'sanitized-string' || f.format === 'url' || f.format === 'file-path')
            return typeof value === 'string';
          if (f.format === 'unique-string') return isString(value);
          return isNum(value);
        });
      },
    });
    if (isObject(markers) && Array.isArray(markers.phase)) {
      markers.phase.forEach((p, i) => {
        const s = (markers.startTime as unknown[])[i];
        const e = (markers.endTime as unknown[])[i];
        if (p === 1 && isNum(s) && isNum(e) && e < s) fail(`${where}.markers[${i}]`, 'interval ends before it starts');
      });
    }
  });

  if (root.counters !== undefined) {
    if (!Array.isArray(root.counters)) fail('counters', 'not an array');
    else
      root.counters.forEach((c, i) => {
        const where = `counters[${i}]`;
        const counter = object(c, where);
        for (const key of ['name', 'category', 'description', 'pid'] as const)
          if (typeof counter[key] !== 'string') fail(`${where}.${key}`, 'not a string');
        if (!isInt(counter.mainThreadIndex) || counter.mainThreadIndex < 0 || counter.mainThreadIndex >= threads.length)
          fail(`${where}.mainThreadIndex`, 'not a thread index');
        // The profiler files a counter under the process (pid) of a thread; an unknown pid is an error there.
        if (!threads.some((t) => isObject(t) && t.pid === counter.pid))
          fail(`${where}.pid`, `no thread has pid ${JSON.stringify(counter.pid)}`);
        const display = object(counter.display, `${where}.display`);
        if (!GRAPH_TYPES.has(display.graphType as string)) fail(`${where}.display.graphType`, 'bad');
        if (!GRAPH_COLORS.has(display.color as string)) fail(`${where}.display.color`, 'bad');
        if (typeof display.unit !== 'string' || typeof display.label !== 'string' || !isNum(display.sortWeight))
          fail(`${where}.display`, 'needs unit, label, sortWeight');
        if (display.markerSchemaLocation !== null && !DISPLAY_LOCATIONS.has(display.markerSchemaLocation as string))
          fail(`${where}.display.markerSchemaLocation`, 'bad');
        if (!Array.isArray(display.tooltipRows)) fail(`${where}.display.tooltipRows`, 'not an array');
        const samples = object(counter.samples, `${where}.samples`);
        if (samples.time === undefined && samples.timeDeltas === undefined) fail(`${where}.samples`, 'needs time or timeDeltas');
        table(samples, `${where}.samples`, { count: isNum }, { time: isNum, timeDeltas: isNum, number: isInt });
      });
  }
  return problems;
}
