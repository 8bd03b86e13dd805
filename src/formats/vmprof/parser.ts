/**
 * The incremental VMProf reader behind both `read(bytes)` and `readStream(chunks)`. The layout
 * itself is described in index.ts; how it is read fast is split by job:
 *
 * - framing.ts: chunks of any size; a record split across chunks is completed in a carry buffer.
 * - this file: the records themselves (header, names, META, stacks), parsed straight out of
 *   each chunk with a DataView, and the sample each stack record makes.
 * - stack-cache.ts: a stack seen before is found by its raw bytes, without walking its frames.
 * - proto-stacks.ts: a new stack's entries become proto frames and proto stacks (names may come
 *   after the stacks that use them).
 * - sample-blocks.ts: samples in file order in fixed-size blocks, split per thread at the end.
 * - build.ts: at the end, proto frames get their names and become the model's frames and stacks.
 */
import { emptyMarkers, emptySamples, ProfileBuilder } from '../../model/builder.js';
import type { JitSamples } from '../../model/jit-samples.js';
import type { Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { buildFrames, internStacks, rssCounter, stacksAreDistinct, stackTable } from './build.js';
import { ChunkFraming, NEED_MORE, type RecordParser } from './framing.js';
import { addressKey, hexAddress, ProtoStacks } from './proto-stacks.js';
import {
  FLAG_LINES,
  FLAG_MEMORY,
  FLAG_NATIVE,
  FLAG_REAL_TIME,
  FLAG_RPYTHON,
  MARKER_HEADER,
  MARKER_INTERP_NAME,
  MARKER_META,
  MARKER_NATIVE_SYMBOLS,
  MARKER_STACKTRACE,
  MARKER_TIME_N_ZONE,
  MARKER_TRAILER,
  MARKER_VIRTUAL_IP,
  MAX_DEPTH,
  TAG_ASSEMBLER,
  utf8,
} from './records.js';
import { SampleBlocks } from './sample-blocks.js';
import { NOT_CACHED, StackCache } from './stack-cache.js';

const FORMAT = 'vmprof';

/** META keys and values, names of code objects: longer means a corrupt length word. */
const MAX_STRING = 1 << 24;

const RECORD_NAMES: Record<number, string> = {
  1: 'stack',
  2: 'code name',
  3: 'trailer',
  4: 'interpreter name',
  5: 'header',
  6: 'start time',
  7: 'meta',
  8: 'native symbol',
};

const TWO_32 = 4294967296;

export class VmprofParser implements RecordParser {
  // --- layout, from the static header and the 0x05 header ---
  private wordSize = 0;
  private addrSize = 0;
  private win64 = false;
  private periodUsec = 0;
  private version = 0;
  private flags = 0;
  private sawHeader = false;
  private legacy = false; // a 0x04 interpreter-name record instead of 0x05
  private rpython = false;
  private memory = false;
  private lines = false;
  private hasThread = false;
  private timedSamples = false; // version 7
  private interpreter = '';
  private startTime = 0;
  private endTime = 0;
  private readonly extra: Record<string, string> = {};

  // --- stream position ---
  private state: 'static' | 'records' | 'done' = 'static';
  get done(): boolean {
    return this.state === 'done';
  }
  /** Bytes the pending record needs from its start (valid after parse() stopped short). */
  need = 0;
  /** File offset of position 0 of the buffer being parsed. */
  private base = 0;
  private readonly framing = new ChunkFraming(this);

  // --- names ---
  private readonly codeNames = new Map<number | string, string>();
  private readonly nativeNames = new Map<number | string, string>();

  // --- the parts ---
  readonly builder = new ProfileBuilder(FORMAT);
  private readonly tree = new ProtoStacks((message) => this.builder.warn(message));
  private readonly cache = new StackCache(this.tree);
  private readonly samples = new SampleBlocks((lo, hi) => this.threadId(lo, hi));
  private firstSampleTime = NaN;
  /** PyPy: samples that ran JIT code, with the machine-code address of their ASSEMBLER entry. */
  private readonly jit = { stack: [] as number[], thread: [] as number[], weight: [] as number[], address: [] as number[] };

  push(chunk: Uint8Array): void {
    this.framing.push(chunk);
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    this.base = base;
    let pos = start;
    if (this.state === 'static') {
      const n = this.parseStaticHeader(buf, view, pos, end);
      if (n === NEED_MORE) return pos;
      pos = n;
      this.state = 'records';
    }
    while (pos < end) {
      const marker = buf[pos];
      let next: number;
      if (marker === MARKER_STACKTRACE) next = this.parseStack(buf, view, pos, end);
      else next = this.parseOther(marker, buf, view, pos, end);
      if (next === NEED_MORE) return pos;
      pos = next;
      if (this.state === 'done') return pos;
    }
    return pos;
  }

  private fail(expected: string, positionInBuffer: number): never {
    throw new ProfileFormatError(FORMAT, expected, this.base + positionInBuffer);
  }

  private parseStaticHeader(buf: Uint8Array, view: DataView, pos: number, end: number): number {
    const avail = end - pos;
    if (avail < 5) return this.needBytes(5);
    if (buf[pos + 4] === 3) {
      this.wordSize = 4;
      this.addrSize = 4;
    } else {
      if (avail < 9) return this.needBytes(9);
      if (buf[pos + 8] !== 3) this.fail('a VMProf header (words 0, 3, 0, period, flags)', pos);
      this.wordSize = 8;
      this.addrSize = 8;
    }
    const w = this.wordSize;
    if (avail < 5 * w) return this.needBytes(5 * w);
    for (let i = 0; i < 3 * w; i++) {
      if (buf[pos + i] !== (i === w ? 3 : 0)) this.fail('a VMProf header (words 0, 3, 0, period, flags)', pos + i);
    }
    const period = this.word(view, pos + 3 * w);
    const last = this.word(view, pos + 4 * w);
    if (period < 0 || (last !== 0 && last !== 1)) {
      this.fail('a VMProf header (a sampling period, then 0 or 1 for 64-bit Windows)', pos + 3 * w);
    }
    this.periodUsec = period;
    this.samples.periodMs = period / 1000;
    if (w === 4 && last === 1) {
      this.win64 = true;
      this.addrSize = 8;
    }
    this.tree.addrSize = this.addrSize;
    return pos + 5 * w;
  }

  private needBytes(n: number): number {
    this.need = n;
    return NEED_MORE;
  }

  /** A word as a non-negative-or-negative JS number; exact for the sizes words hold (counts, lengths). */
  private word(view: DataView, p: number): number {
    if (this.wordSize === 4) return view.getInt32(p, true);
    const lo = view.getUint32(p, true);
    const hi = view.getInt32(p + 4, true);
    return hi * TWO_32 + lo;
  }

  private parseOther(marker: number, buf: Uint8Array, view: DataView, pos: number, end: number): number {
    const avail = end - pos;
    const w = this.wordSize;
    const a = this.addrSize;
    switch (marker) {
      case MARKER_VIRTUAL_IP:
      case MARKER_NATIVE_SYMBOLS: {
        if (avail < 1 + a + w) return this.needBytes(1 + a + w);
        const len = this.word(view, pos + 1 + a);
        if (len < 0 || len > MAX_STRING) this.fail(`a name length (0 to ${MAX_STRING}) in a ${RECORD_NAMES[marker]} record`, pos + 1 + a);
        const size = 1 + a + w + len;
        if (avail < size) return this.needBytes(size);
        const lo = view.getUint32(pos + 1, true);
        const hi = a === 8 ? view.getUint32(pos + 5, true) : view.getInt32(pos + 1, true) < 0 ? 0xffffffff : 0;
        const name = utf8.decode(buf.subarray(pos + 1 + a + w, pos + size));
        const key = addressKey(lo, hi);
        const map = marker === MARKER_VIRTUAL_IP ? this.codeNames : this.nativeNames;
        // vmprof-python keeps the greatest (uid, name) pair for a uid; do the same.
        const old = map.get(key);
        if (old === undefined || name > old) map.set(key, name);
        return pos + size;
      }
      case MARKER_HEADER: {
        if (avail < 4) return this.needBytes(4);
        const version = (buf[pos + 1] << 8) | buf[pos + 2];
        if (this.sawHeader) this.fail('one header record (found a second one)', pos);
        if (version > 7) this.fail(`a header version from 0 to 7, found ${version}`, pos + 1);
        const flagBytes = version >= 4 ? 1 : 0;
        if (avail < 4 + flagBytes) return this.needBytes(4 + flagBytes);
        const len = buf[pos + 3 + flagBytes];
        const size = 4 + flagBytes + len;
        if (avail < size) return this.needBytes(size);
        this.sawHeader = true;
        this.version = version;
        this.flags = flagBytes ? buf[pos + 3] : 0;
        this.interpreter = utf8.decode(buf.subarray(pos + 4 + flagBytes, pos + size));
        this.applyLayout();
        return pos + size;
      }
      case MARKER_INTERP_NAME: {
        if (avail < 2) return this.needBytes(2);
        const size = 2 + buf[pos + 1];
        if (avail < size) return this.needBytes(size);
        this.legacy = !this.sawHeader;
        this.interpreter = utf8.decode(buf.subarray(pos + 2, pos + size));
        this.applyLayout();
        return pos + size;
      }
      case MARKER_TIME_N_ZONE: {
        if (avail < 25) return this.needBytes(25);
        this.startTime = this.readTime(view, pos + 1);
        return pos + 25;
      }
      case MARKER_META: {
        if (avail < 1 + w) return this.needBytes(1 + w);
        const klen = this.word(view, pos + 1);
        if (klen < 0 || klen > MAX_STRING) this.fail('a meta key length', pos + 1);
        if (avail < 1 + 2 * w + klen) return this.needBytes(1 + 2 * w + klen);
        const vlen = this.word(view, pos + 1 + w + klen);
        if (vlen < 0 || vlen > MAX_STRING) this.fail('a meta value length', pos + 1 + w + klen);
        const size = 1 + 2 * w + klen + vlen;
        if (avail < size) return this.needBytes(size);
        const key = utf8.decode(buf.subarray(pos + 1 + w, pos + 1 + w + klen));
        const value = utf8.decode(buf.subarray(pos + 1 + 2 * w + klen, pos + size));
        this.extra[key] = value;
        return pos + size;
      }
      case MARKER_TRAILER: {
        if (this.version >= 5) {
          if (avail < 25) return this.needBytes(25);
          this.endTime = this.readTime(view, pos + 1);
          this.state = 'done';
          return pos + 25;
        }
        this.state = 'done';
        return pos + 1;
      }
      default:
        return this.fail(`a record marker (0x01 to 0x08), found 0x${marker.toString(16).padStart(2, '0')}`, pos);
    }
  }

  /** `i64 seconds, i64 microseconds, 8 bytes zone` as ms since the epoch. */
  private readTime(view: DataView, p: number): number {
    const sec = Number(view.getBigInt64(p, true));
    const usec = Number(view.getBigInt64(p + 8, true));
    const ms = sec * 1000 + usec / 1000;
    return Number.isFinite(ms) && ms > 0 && ms < 1e15 ? ms : 0;
  }

  private applyLayout(): void {
    const v = this.version;
    this.hasThread = v >= 1;
    this.memory = v >= 4 ? (this.flags & FLAG_MEMORY) !== 0 : v === 3;
    this.lines = v >= 4 && (this.flags & FLAG_LINES) !== 0;
    this.rpython = (v >= 4 && (this.flags & FLAG_RPYTHON) !== 0) || (this.sawHeader && this.interpreter === 'pypy');
    this.timedSamples = v >= 7;
    this.tree.addrSize = this.addrSize;
    this.tree.rpython = this.rpython;
    this.tree.lines = this.lines;
    // A stack's meaning depends on the layout: forget stacks cached under another one.
    this.cache.clear();
  }

  private parseStack(buf: Uint8Array, view: DataView, pos: number, end: number): number {
    const avail = end - pos;
    const w = this.wordSize;
    const a = this.addrSize;
    const countSize = this.timedSamples ? 8 : w;
    const head = 1 + countSize + w;
    if (avail < head) return this.needBytes(head);
    const depth = this.word(view, pos + 1 + countSize);
    if (depth < 0 || depth > MAX_DEPTH) this.fail(`a stack depth (0 to ${MAX_DEPTH})`, pos + 1 + countSize);
    const entries = pos + head;
    const entriesEnd = entries + depth * a;
    const size = head + depth * a + (this.hasThread ? a : 0) + (this.memory ? a : 0);
    if (avail < size) return this.needBytes(size);
    const samples = this.samples;

    let weight = 1;
    let time = 0; // untimed: computed from the sample's index when needed
    if (this.timedSamples) {
      const t = view.getFloat64(pos + 1, true);
      if (Number.isNaN(this.firstSampleTime)) {
        // times are relative to META start_time_offset (same clock), else to the first sample
        const start = Number(this.extra.start_time_offset ?? NaN);
        this.firstSampleTime = Number.isFinite(start) ? start : t;
      }
      time = Number.isFinite(t) ? (t - this.firstSampleTime) * 1000 : samples.count * (this.periodUsec / 1000);
    } else {
      weight = this.word(view, pos + 1);
      if (weight < 1 || weight > 0x7fffffff) this.fail('a sample count of at least 1', pos + 1);
    }

    let stack = this.cache.lookup(view, entries, entriesEnd);
    if (stack === NOT_CACHED) {
      stack = this.tree.walk(view, entries, depth);
      if (this.tree.lastWalkPlain) this.cache.rememberPlain(entriesEnd - entries, stack);
      else this.cache.remember(buf, entries, entriesEnd, stack);
    }

    let p = entriesEnd;
    let thread: number;
    if (this.hasThread) {
      const lo = view.getUint32(p, true);
      const hi = a === 8 ? view.getUint32(p + 4, true) : 0;
      p += a;
      thread = samples.thread(lo, hi);
    } else {
      thread = samples.thread(0, 0);
    }
    const i = samples.add(stack, thread);
    if (this.tree.rpython && depth % 2 === 0) this.noteJitAddress(view, entries, depth, stack, thread, weight);
    if (this.memory) samples.rss(i, a === 8 ? view.getUint32(p, true) + view.getInt32(p + 4, true) * TWO_32 : view.getInt32(p, true));
    if (this.timedSamples) samples.time(i, time);
    if (weight !== 1) samples.weight(i, weight);
    return pos + size;
  }

  /**
   * The innermost ASSEMBLER entry of a PyPy stack ((kind, value) pairs, innermost first): the
   * start of the JIT code the sample ran in. The walk drops it (the call tree has one frame per
   * function) and cached stacks are not walked again, so it is read here for every sample.
   */
  private noteJitAddress(view: DataView, entries: number, depth: number, stack: number, thread: number, weight: number): void {
    const a = this.addrSize;
    for (let p = entries; p < entries + depth * a; p += 2 * a) {
      const tagLo = view.getUint32(p, true);
      const tagHi = a === 8 ? view.getUint32(p + 4, true) : 0;
      if (tagLo !== TAG_ASSEMBLER || tagHi !== 0) continue;
      const lo = view.getUint32(p + a, true);
      const hi = a === 8 ? view.getUint32(p + a + 4, true) : 0;
      this.jit.stack.push(stack);
      this.jit.thread.push(thread);
      this.jit.weight.push(weight);
      this.jit.address.push(hi * TWO_32 + lo);
      return;
    }
  }

  /** Thread ids: pointers (CPython on Unix) in hex, OS ids (Windows) and PyPy's 0 in decimal. */
  private threadId(lo: number, hi: number): string {
    if (lo === 0 && hi === 0) return '0';
    const windows = this.win64 || /^win/i.test(this.extra.os ?? '');
    if (!windows && this.interpreter !== 'pypy') return hexAddress(lo, hi);
    return hi === 0 ? String(lo) : (BigInt(hi) * 4294967296n + BigInt(lo)).toString();
  }

  /** Finishes: names frames, builds stacks through the builder, renumbers samples. */
  finish(): Profile {
    if (this.state === 'static') {
      throw new ProfileFormatError(
        FORMAT,
        'a VMProf header (words 0, 3, 0, period, flags); the input is too short',
        this.framing.consumed + this.framing.carryLength,
      );
    }
    const b = this.builder;
    const framing = this.framing;
    if (framing.carryLength > 0) {
      const marker = framing.carry[0];
      b.warn(
        `truncated file: it ends inside a ${RECORD_NAMES[marker] ?? 'record'} record at byte ${framing.consumed} ` +
          `(${framing.carryLength} of ${this.need} bytes); every complete record before it was kept`,
      );
    } else if (this.state !== 'done') {
      b.warn('truncated file: no trailer record (the profiled process may have been killed); every complete record was kept');
    }
    if (framing.bytesAfterEnd > 0 && !this.legacy) {
      b.warn(`${framing.bytesAfterEnd} bytes after the trailer were ignored`);
    }

    const meta = b.meta;
    meta.interpreter = this.interpreter;
    meta.formatVersion = this.version;
    meta.interval = this.periodUsec / 1000;
    meta.startTime = this.startTime;
    meta.endTime = this.endTime;
    meta.weightUnit = 'samples';
    meta.sampleTimes = this.timedSamples ? 'recorded' : 'order';
    const flags: string[] = [];
    if (this.memory) flags.push('memory');
    if (this.lines) flags.push('lines');
    if (this.flags & FLAG_NATIVE) flags.push('native');
    if (this.flags & FLAG_REAL_TIME) flags.push('real-time');
    if (this.rpython) flags.push('rpython');
    meta.flags = flags;
    Object.assign(meta.extra, this.extra);
    meta.extra.word_size = String(this.wordSize);
    meta.extra.addr_size = String(this.addrSize);

    // The stack cache and the walk's indexes are done with: let their memory go before the
    // builder copies its columns (the peak of a big parse).
    this.cache.release();
    this.framing.release();
    this.tree.releaseIndexes();
    const tree = this.tree;
    const profileFrames = buildFrames(tree, { code: this.codeNames, native: this.nativeNames, legacy: this.legacy }, b);
    const direct = stacksAreDistinct(tree, profileFrames, b.frameCount);
    const stackMap = direct ? null : internStacks(tree, profileFrames, b);
    const profile = b.build();
    if (direct) profile.stacks = stackTable(tree, profileFrames);
    tree.releaseStacks();
    const samples = this.samples;
    profile.threads = samples.threadIds.map((id) => ({
      id,
      name: this.extra[`thread_name:${id}`] ?? '',
      processId: '',
      samples: emptySamples(), // fillThreads
      markers: emptyMarkers(),
    }));
    // Counter first: it reads the sample blocks in file order, which fillThreads lets go.
    const counter = this.memory ? samples.rssCounterInFileOrder() : null;
    samples.fillThreads(profile, stackMap);
    if (this.jit.stack.length > 0) {
      const jitSamples: JitSamples = {
        stack: Int32Array.from(this.jit.stack, (proto) => (proto < 0 || stackMap === null ? proto : stackMap[proto])),
        thread: Int32Array.from(this.jit.thread),
        weight: Float64Array.from(this.jit.weight),
        address: Float64Array.from(this.jit.address),
      };
      profile.attachments.jitSamples = jitSamples;
    }
    if (this.memory) profile.counters.push(counter ?? rssCounter(profile));
    return profile;
  }
}
