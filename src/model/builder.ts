/**
 * ProfileBuilder: the one way any importer makes a Profile.
 *
 * Importers intern strings, functions and frames, then append samples either
 * as a stack index they built themselves (fast path: readers that cache stacks
 * by their raw bytes) or as a list of frames ordered root first.
 */
import {
  CATEGORIES,
  type Category,
  type Counter,
  FUNCTION_KINDS,
  type FrameIndex,
  type FuncIndex,
  type FunctionKind,
  type MarkerTable,
  type Profile,
  type ProfileMeta,
  type SampleTable,
  type StackIndex,
  type StringIndex,
  type ThreadIndex,
} from './profile.js';
import { GrowableColumn, IntPairMap, StackTableBuilder } from './columns.js';

class ThreadBuilder {
  stack = new GrowableColumn(Int32Array);
  time = new GrowableColumn(Float64Array);
  weight = new GrowableColumn(Float64Array);
  rss: GrowableColumn<Float64Array> | null = null;
  markerName = new GrowableColumn(Int32Array, 16);
  markerStart = new GrowableColumn(Float64Array, 16);
  markerEnd = new GrowableColumn(Float64Array, 16);
  markerCategory = new GrowableColumn(Int32Array, 16);
  markerDepth = new GrowableColumn(Int32Array, 16);
  markerData: (Record<string, unknown> | null)[] = [];
  lastTime = -Infinity;
  unordered = false;
  constructor(
    public id: string,
    public name: string,
    public processId: string,
  ) {}
}

export function emptyMeta(format: string): ProfileMeta {
  return {
    format,
    interpreter: '',
    formatVersion: null,
    interval: 0,
    startTime: 0,
    endTime: 0,
    weightUnit: 'samples',
    flags: [],
    extra: {},
    approximateCallTree: false,
    warnings: [],
  };
}

/** A thread's sample table with no samples. */
export function emptySamples(): SampleTable {
  return { length: 0, stack: new Int32Array(0), time: new Float64Array(0), weight: new Float64Array(0), rss: null };
}

/** A thread's marker table with no markers. */
export function emptyMarkers(): MarkerTable {
  return {
    length: 0,
    name: new Int32Array(0),
    start: new Float64Array(0),
    end: new Float64Array(0),
    category: new Int32Array(0),
    depth: new Int32Array(0),
    data: [],
  };
}

/** A marker to add with withMarkers: times in ms on the profile's clock (from meta.startTime). */
export interface AddedMarker {
  name: string;
  category: string;
  start: number;
  end: number;
  depth: number;
  data: Record<string, unknown> | null;
}

/**
 * A new Profile with markers appended to its main thread (the one with the most samples;
 * a new thread `main` when it has none): PyPy log sections beside a VMProf profile, streamed
 * phases beside merged stacks. The input is not modified.
 */
export function withMarkers(profile: Profile, added: AddedMarker[]): Profile {
  const strings = [...profile.strings];
  const stringIndex = new Map<string, number>();
  strings.forEach((s, i) => stringIndex.has(s) || stringIndex.set(s, i));
  const intern = (s: string): number => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const threads = profile.threads.slice();
  let main = -1;
  for (let i = 0; i < threads.length; i++) if (main < 0 || threads[i].samples.length > threads[main].samples.length) main = i;
  if (main < 0) {
    threads.push({ id: '0', name: 'main', processId: '', samples: emptySamples(), markers: emptyMarkers() });
    main = 0;
  }
  const old = threads[main].markers;
  const n = old.length + added.length;
  const markers: MarkerTable = {
    length: n,
    name: new Int32Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    category: new Int32Array(n),
    depth: new Int32Array(n),
    data: [...old.data],
  };
  markers.name.set(old.name);
  markers.start.set(old.start);
  markers.end.set(old.end);
  markers.category.set(old.category);
  markers.depth.set(old.depth);
  added.forEach((a, j) => {
    const i = old.length + j;
    markers.name[i] = intern(a.name);
    markers.start[i] = a.start;
    markers.end[i] = a.end;
    markers.category[i] = intern(a.category);
    markers.depth[i] = a.depth;
    markers.data.push(a.data);
  });
  threads[main] = { ...threads[main], markers };
  return { ...profile, strings, threads };
}

export class ProfileBuilder {
  readonly meta: ProfileMeta;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, StringIndex>();

  private readonly funcName = new GrowableColumn(Int32Array);
  private readonly funcFile = new GrowableColumn(Int32Array);
  private readonly funcLine = new GrowableColumn(Int32Array);
  private readonly funcKind = new GrowableColumn(Uint8Array);
  private readonly funcIndex = new Map<string, FuncIndex>();

  private readonly frameFunc = new GrowableColumn(Int32Array);
  private readonly frameLine = new GrowableColumn(Int32Array);
  private readonly frameCategory = new GrowableColumn(Uint8Array);
  private readonly frameIndex = new IntPairMap();

  private readonly stackTable = new StackTableBuilder();

  private readonly threads: ThreadBuilder[] = [];
  private readonly threadIndex = new Map<string, ThreadIndex>();
  private readonly counters: Counter[] = [];
  readonly attachments: Record<string, unknown> = {};

  constructor(format: string, meta: Partial<ProfileMeta> = {}) {
    this.meta = { ...emptyMeta(format), ...meta };
  }

  string(s: string): StringIndex {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  /** Interns a function. `file` '' means unknown; `line` 0 means unknown. */
  func(name: string, file: string, line: number, kind: FunctionKind = 'python'): FuncIndex {
    const kindCode = FUNCTION_KINDS.indexOf(kind);
    if (kindCode < 0) throw new Error(`unknown function kind ${kind}`);
    const key = `${kindCode}\u0000${line}\u0000${file}\u0000${name}`;
    let i = this.funcIndex.get(key);
    if (i === undefined) {
      i = this.funcName.length;
      this.funcName.push(this.string(name));
      this.funcFile.push(file === '' ? -1 : this.string(file));
      this.funcLine.push(line | 0);
      this.funcKind.push(kindCode);
      this.funcIndex.set(key, i);
    }
    return i;
  }

  /** Interns a frame: a function at a line (0 = unknown), in a category (default: the function's kind). */
  frame(func: FuncIndex, line = 0, category?: Category): FrameIndex {
    if (func < 0 || func >= this.funcName.length) throw new Error(`frame of unknown function ${func}`);
    const categoryCode = category === undefined ? this.funcKind.get(func) : CATEGORIES.indexOf(category);
    if (categoryCode < 0) throw new Error(`unknown category ${category}`);
    const key = func * 8 + categoryCode;
    let i = this.frameIndex.get(key, line | 0);
    if (i === -1) {
      i = this.frameFunc.length;
      this.frameFunc.push(func);
      this.frameLine.push(line | 0);
      this.frameCategory.push(categoryCode);
      this.frameIndex.set(key, line | 0, i);
    }
    return i;
  }

  /** Interns the stack that is `prefix` (-1 for none) with `frame` on top. */
  stack(prefix: StackIndex, frame: FrameIndex): StackIndex {
    if (frame < 0 || frame >= this.frameFunc.length) throw new Error(`stack of unknown frame ${frame}`);
    return this.stackTable.stack(prefix, frame);
  }

  /** Interns a whole stack given as frames ordered root first. Returns -1 for an empty list. */
  stackOf(framesRootFirst: ArrayLike<number>, length = framesRootFirst.length): StackIndex {
    let stack = -1;
    for (let i = 0; i < length; i++) stack = this.stack(stack, framesRootFirst[i]);
    return stack;
  }

  get stackCount(): number {
    return this.stackTable.length;
  }

  get frameCount(): number {
    return this.frameFunc.length;
  }

  get funcCount(): number {
    return this.funcName.length;
  }

  /** Returns the thread with this id in this process, creating it on first use. */
  thread(id: string, name = '', processId = ''): ThreadIndex {
    const key = `${processId}\u0000${id}`;
    let i = this.threadIndex.get(key);
    if (i === undefined) {
      i = this.threads.length;
      this.threads.push(new ThreadBuilder(id, name, processId));
      this.threadIndex.set(key, i);
    } else if (name && !this.threads[i].name) {
      this.threads[i].name = name;
    }
    return i;
  }

  setThreadName(thread: ThreadIndex, name: string): void {
    this.threads[thread].name = name;
  }

  /** Appends a sample. `time` is ms since meta.startTime; `rss` is KiB (omit when not recorded). */
  addSample(thread: ThreadIndex, stack: StackIndex, time: number, weight = 1, rss?: number): void {
    const t = this.threads[thread];
    t.stack.push(stack);
    t.time.push(time);
    t.weight.push(weight);
    if (time < t.lastTime) t.unordered = true;
    else t.lastTime = time;
    if (rss !== undefined) {
      if (t.rss === null) {
        t.rss = new GrowableColumn(Float64Array, Math.max(1024, t.stack.length));
        for (let i = 1; i < t.stack.length; i++) t.rss.push(NaN);
      }
      t.rss.push(rss);
    } else if (t.rss !== null) {
      t.rss.push(NaN);
    }
  }

  /** Appends a sample given as frames ordered root first. */
  addSampleFrames(thread: ThreadIndex, framesRootFirst: ArrayLike<number>, time: number, weight = 1, rss?: number): void {
    this.addSample(thread, this.stackOf(framesRootFirst), time, weight, rss);
  }

  addMarker(
    thread: ThreadIndex,
    name: string,
    start: number,
    end: number,
    category: string,
    data: Record<string, unknown> | null = null,
    depth = 0,
  ): void {
    const t = this.threads[thread];
    t.markerName.push(this.string(name));
    t.markerStart.push(start);
    t.markerEnd.push(end);
    t.markerCategory.push(this.string(category));
    t.markerDepth.push(depth);
    t.markerData.push(data);
  }

  addCounter(counter: Counter): void {
    this.counters.push(counter);
  }

  warn(message: string): void {
    if (!this.meta.warnings.includes(message)) this.meta.warnings.push(message);
  }

  build(): Profile {
    const threads = this.threads.map((t) => {
      let stack = t.stack.finish();
      let time = t.time.finish();
      let weight = t.weight.finish();
      let rss = t.rss ? t.rss.finish() : null;
      if (t.unordered) {
        // Keep the "samples are in time order" invariant for formats that interleave.
        const order = Array.from({ length: stack.length }, (_, i) => i).sort((a, b) => time[a] - time[b] || a - b);
        stack = Int32Array.from(order, (i) => stack[i]);
        weight = Float64Array.from(order, (i) => weight[i]);
        if (rss) {
          const r = rss;
          rss = Float64Array.from(order, (i) => r[i]);
        }
        time = Float64Array.from(order, (i) => time[i]);
      }
      return {
        id: t.id,
        name: t.name,
        processId: t.processId,
        samples: { length: stack.length, stack, time, weight, rss },
        markers: {
          length: t.markerName.length,
          name: t.markerName.finish(),
          start: t.markerStart.finish(),
          end: t.markerEnd.finish(),
          category: t.markerCategory.finish(),
          depth: t.markerDepth.finish(),
          data: t.markerData,
        },
      };
    });
    return {
      meta: this.meta,
      strings: this.strings,
      funcs: {
        length: this.funcName.length,
        name: this.funcName.finish(),
        file: this.funcFile.finish(),
        line: this.funcLine.finish(),
        kind: this.funcKind.finish(),
      },
      frames: {
        length: this.frameFunc.length,
        func: this.frameFunc.finish(),
        line: this.frameLine.finish(),
        category: this.frameCategory.finish(),
      },
      stacks: this.stackTable.finish(),
      threads,
      counters: this.counters,
      attachments: this.attachments,
    };
  }
}
