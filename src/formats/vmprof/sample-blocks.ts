/**
 * The VMProf reader's samples, kept in file order in fixed-size blocks (the thread, the proto
 * stack, and RSS, times, weights only when the file has them): no copies as they grow. finish
 * splits them into exact-size columns per thread, proto stacks mapped on the way. Full blocks are
 * sealed into releasable arrays (model/columns.ts) that are freed as each column is copied, so
 * the model is not built next to garbage awaiting collection.
 */
import { readableArray, releasableCopy, releaseArray, workingArray } from '../../model/columns.js';
import type { Counter, Profile } from '../../model/profile.js';
import { addressKey } from './proto-stacks.js';

/** Samples per block of the sample columns (a power of two). */
const SAMPLE_BLOCK = 1 << 15;

export class SampleBlocks {
  /** Samples so far, all threads. */
  count = 0;
  /** The sampling period, for the times of files that record none. */
  periodMs = 0;
  readonly threadIds: string[] = [];

  private blocks = 0;
  private fill = SAMPLE_BLOCK; // samples in the current block; full = "allocate one"
  private readonly stackBlocks: Int32Array[] = [];
  private readonly threadBlocks: (Uint16Array | Int32Array)[] = [];
  private readonly rssBlocks: Float64Array[] = [];
  private readonly timeBlocks: Float64Array[] = [];
  private readonly weightBlocks: Float64Array[] = [];
  private curStack = new Int32Array(0);
  private curThread: Uint16Array | Int32Array = new Uint16Array(0);
  private curRss: Float64Array | null = null;
  private curTime: Float64Array | null = null;
  private curWeight: Float64Array | null = null;

  private lastThreadLo = -1;
  private lastThreadHi = -1;
  private lastThread = -1;
  private readonly threadByKey = new Map<number | string, number>();
  private readonly recentThread = new Int32Array(16); // thread + 1, 0 = empty
  private readonly recentThreadLo = new Int32Array(16);
  private readonly recentThreadHi = new Int32Array(16);

  /** `threadId(lo, hi)`: how the file's thread ids are written (asked once per thread). */
  constructor(private readonly threadId: (lo: number, hi: number) => string) {}

  /** Adds a sample; the optional columns of index i are set with rss(), time(), weight(). */
  add(stack: number, thread: number): number {
    if (this.fill === SAMPLE_BLOCK) this.newBlock();
    const i = this.fill++;
    this.curStack[i] = stack;
    this.curThread[i] = thread;
    if (this.curRss !== null) this.curRss[i] = NaN;
    if (this.curTime !== null) this.curTime[i] = 0;
    if (this.curWeight !== null) this.curWeight[i] = 1;
    this.count++;
    return i;
  }

  rss(i: number, kib: number): void {
    if (this.curRss === null) this.curRss = this.startColumn(this.rssBlocks, () => NaN);
    this.curRss[i] = kib;
  }

  time(i: number, ms: number): void {
    if (this.curTime === null) this.curTime = this.startColumn(this.timeBlocks, (j) => this.untimedSampleTime(j));
    this.curTime[i] = ms;
  }

  weight(i: number, weight: number): void {
    if (this.curWeight === null) this.curWeight = this.startColumn(this.weightBlocks, () => 1);
    this.curWeight[i] = weight;
  }

  /** The thread index of thread id (lo, hi), made on first use. */
  thread(lo: number, hi: number): number {
    if (lo === this.lastThreadLo && hi === this.lastThreadHi) return this.lastThread;
    // A small direct-mapped cache in front of the map: samples of a few threads alternate,
    // and a map keyed by numbers above 2^31 boxes each key.
    const c = ((lo >>> 12) ^ lo ^ hi) & 15;
    const cached = this.recentThread[c] - 1;
    if (cached >= 0 && this.recentThreadLo[c] === (lo | 0) && this.recentThreadHi[c] === (hi | 0)) {
      this.lastThreadLo = lo;
      this.lastThreadHi = hi;
      this.lastThread = cached;
      return cached;
    }
    const key = addressKey(lo, hi);
    let t = this.threadByKey.get(key);
    if (t === undefined) {
      // Threads are made at the end (finish): the builder's per-thread columns are not used.
      t = this.threadIds.length;
      this.threadByKey.set(key, t);
      this.threadIds.push(this.threadId(lo, hi));
      if (t === 0x10000) {
        // More threads than a Uint16 holds: widen the thread column.
        for (let b = 0; b < this.threadBlocks.length; b++) {
          const current = b === this.threadBlocks.length - 1;
          const wide = current ? new Int32Array(SAMPLE_BLOCK) : workingArray(Int32Array, SAMPLE_BLOCK, true);
          wide.set(this.threadBlocks[b]);
          releaseArray(this.threadBlocks[b]);
          this.threadBlocks[b] = wide;
        }
        this.curThread = this.blocks > 0 ? this.threadBlocks[this.blocks - 1] : new Int32Array(SAMPLE_BLOCK);
      }
    }
    this.recentThread[c] = t + 1;
    this.recentThreadLo[c] = lo;
    this.recentThreadHi[c] = hi;
    this.lastThreadLo = lo;
    this.lastThreadHi = hi;
    this.lastThread = t;
    return t;
  }

  /** Time of the sample with this index (counting all threads) in a file without sample times. */
  private untimedSampleTime(index: number): number {
    return index * this.periodMs;
  }

  /**
   * Samples are written into the current block: ordinary arrays, reused. A full block is
   * sealed into releasable copies (one memcpy per column per block), which finish() frees
   * as it builds the model.
   */
  private newBlock(): void {
    const last = this.blocks - 1;
    if (last >= 0) {
      this.stackBlocks[last] = releasableCopy(this.curStack);
      this.threadBlocks[last] = releasableCopy(this.curThread);
      if (this.curRss !== null) this.rssBlocks[last] = releasableCopy(this.curRss);
      if (this.curTime !== null) this.timeBlocks[last] = releasableCopy(this.curTime);
      if (this.curWeight !== null) this.weightBlocks[last] = releasableCopy(this.curWeight);
    } else {
      this.curStack = new Int32Array(SAMPLE_BLOCK);
      this.curThread = this.threadIds.length > 0xffff ? new Int32Array(SAMPLE_BLOCK) : new Uint16Array(SAMPLE_BLOCK);
    }
    this.stackBlocks.push(this.curStack);
    this.threadBlocks.push(this.curThread);
    if (this.curRss !== null) this.rssBlocks.push(this.curRss);
    if (this.curTime !== null) this.timeBlocks.push(this.curTime);
    if (this.curWeight !== null) this.weightBlocks.push(this.curWeight);
    this.blocks++;
    this.fill = 0;
  }

  /** Starts an optional column (RSS, times, weights) on its first use: earlier samples get `fill(index)`. Returns the current block. */
  private startColumn(blocks: Float64Array[], fill: (index: number) => number): Float64Array {
    for (let b = 0; b < this.blocks; b++) {
      const current = b === this.blocks - 1;
      const block = current ? new Float64Array(SAMPLE_BLOCK) : workingArray(Float64Array, SAMPLE_BLOCK, true);
      const filled = current ? this.fill : SAMPLE_BLOCK;
      for (let j = 0; j < filled; j++) block[j] = fill(b * SAMPLE_BLOCK + j);
      blocks.push(block);
    }
    return blocks[blocks.length - 1];
  }

  get hasRss(): boolean {
    return this.rssBlocks.length > 0;
  }

  /** Samples in block b (all but the last block are full). */
  private blockLength(b: number): number {
    return b === this.blocks - 1 ? this.fill : SAMPLE_BLOCK;
  }

  /**
   * Splits the samples (file order) into exact-size columns per thread, proto stacks
   * mapped to the profile's stacks on the way (`stackMap`, or as they are when null);
   * sorts a thread whose times go backwards. The blocks are released as they are copied.
   */
  fillThreads(profile: Profile, stackMap: Int32Array | null): void {
    const threads = profile.threads;
    const counts = new Int32Array(threads.length);
    // thread blocks are all Uint16Array, or all Int32Array once more than 2^16 threads were seen
    const threadScratch = this.threadIds.length > 0xffff ? new Int32Array(SAMPLE_BLOCK) : new Uint16Array(SAMPLE_BLOCK);
    const stackScratch = new Int32Array(SAMPLE_BLOCK);
    const valueScratch = new Float64Array(SAMPLE_BLOCK);
    for (let b = 0; b < this.blocks; b++) {
      const th = readableArray(this.threadBlocks[b], threadScratch);
      const n = this.blockLength(b);
      for (let j = 0; j < n; j++) counts[th[j]]++;
    }
    // One column at a time, each block released once copied: the peak stays near the model.
    const cursor = new Int32Array(threads.length);
    const stacks = threads.map((_, t) => new Int32Array(counts[t]));
    for (let b = 0; b < this.blocks; b++) {
      const th = readableArray(this.threadBlocks[b], threadScratch);
      const st = readableArray(this.stackBlocks[b], stackScratch);
      const n = this.blockLength(b);
      for (let j = 0; j < n; j++) {
        const t = th[j];
        const proto = st[j];
        stacks[t][cursor[t]++] = proto < 0 || stackMap === null ? proto : stackMap[proto];
      }
      releaseArray(this.stackBlocks[b]);
    }
    let rsses: Float64Array[] | null = null;
    if (this.rssBlocks.length > 0) {
      const columns = threads.map((_, t) => new Float64Array(counts[t]));
      cursor.fill(0);
      for (let b = 0; b < this.blocks; b++) {
        const th = readableArray(this.threadBlocks[b], threadScratch);
        const rss = readableArray(this.rssBlocks[b], valueScratch);
        const n = this.blockLength(b);
        for (let j = 0; j < n; j++) {
          const t = th[j];
          columns[t][cursor[t]++] = rss[j];
        }
        releaseArray(this.rssBlocks[b]);
      }
      rsses = columns;
    }
    const times = threads.map((_, t) => new Float64Array(counts[t]));
    const weights = threads.map((_, t) => new Float64Array(counts[t]));
    const lastTime = new Float64Array(threads.length).fill(-Infinity);
    const unordered = new Uint8Array(threads.length);
    const timed = this.timeBlocks.length > 0;
    const weighted = this.weightBlocks.length > 0;
    cursor.fill(0);
    const weightScratch = new Float64Array(weighted ? SAMPLE_BLOCK : 0);
    for (let b = 0; b < this.blocks; b++) {
      const th = readableArray(this.threadBlocks[b], threadScratch);
      const tb = timed ? readableArray(this.timeBlocks[b], valueScratch) : valueScratch;
      const wb = weighted ? readableArray(this.weightBlocks[b], weightScratch) : weightScratch;
      const n = this.blockLength(b);
      for (let j = 0; j < n; j++) {
        const t = th[j];
        const k = cursor[t]++;
        const time = timed ? tb[j] : this.untimedSampleTime(b * SAMPLE_BLOCK + j);
        times[t][k] = time;
        if (time < lastTime[t]) unordered[t] = 1;
        else lastTime[t] = time;
        weights[t][k] = weighted ? wb[j] : 1;
      }
      releaseArray(this.threadBlocks[b]);
      if (timed) releaseArray(this.timeBlocks[b]);
      if (weighted) releaseArray(this.weightBlocks[b]);
    }
    this.blocks = 0;
    this.stackBlocks.length = this.threadBlocks.length = this.rssBlocks.length = this.timeBlocks.length = this.weightBlocks.length = 0;
    threads.forEach((thread, t) => {
      let stack = stacks[t];
      let time = times[t];
      let weight = weights[t];
      let rss = rsses === null ? null : rsses[t];
      if (unordered[t]) {
        // Keep the "samples are in time order" invariant (version 7 times from several clocks).
        const order = Array.from({ length: stack.length }, (_, i) => i).sort((x, y) => time[x] - time[y] || x - y);
        const s0 = stack;
        const w0 = weight;
        const t0 = time;
        const r0 = rss;
        stack = Int32Array.from(order, (i) => s0[i]);
        weight = Float64Array.from(order, (i) => w0[i]);
        time = Float64Array.from(order, (i) => t0[i]);
        if (r0 !== null) rss = Float64Array.from(order, (i) => r0[i]);
      }
      thread.samples = { length: stack.length, stack, time, weight, rss };
    });
  }

  /**
   * The RSS of every sample as one process-wide counter, straight from the blocks when the
   * file's sample order is time order (always, without version 7 times); else null. Call it
   * before fillThreads, which lets the blocks go.
   */
  rssCounterInFileOrder(): Counter | null {
    if (this.threadIds.length <= 1 || this.rssBlocks.length === 0) return null;
    const n = this.count;
    const time = new Float64Array(n);
    const value = new Float64Array(n);
    const timed = this.timeBlocks.length > 0;
    let last = -Infinity;
    const rssScratch = new Float64Array(SAMPLE_BLOCK);
    const timeScratch = new Float64Array(timed ? SAMPLE_BLOCK : 0);
    for (let b = 0, i = 0; b < this.blocks; b++) {
      const len = this.blockLength(b);
      const rss = readableArray(this.rssBlocks[b], rssScratch);
      const times = timed ? readableArray(this.timeBlocks[b], timeScratch) : timeScratch;
      for (let j = 0; j < len; j++, i++) {
        const t = timed ? times[j] : this.untimedSampleTime(i);
        if (!(t > last)) return null; // equal or backward times: merge per thread instead
        last = t;
        time[i] = t;
        value[i] = rss[j];
      }
    }
    return { name: 'RSS', category: 'memory', unit: 'KiB', thread: -1, time, value };
  }
}
