/**
 * The incremental VMProf parser behind both `read(bytes)` and `readStream(chunks)`.
 * The layout itself is described in index.ts; this file is about how it is read fast.
 *
 * - Bytes arrive in chunks of any size. Records are parsed straight out of each chunk
 *   with a DataView; a record split across chunks is completed in a small carry buffer
 *   that only ever holds part of ONE record (at most a 64Ki-entry stack), so memory
 *   does not grow with the file and offsets are plain numbers (files > 2 GiB work).
 * - Stacks are cached by their raw bytes: a hash over the record's address words finds
 *   an earlier identical stack, and the sample reuses it without walking the frames again.
 *   A hit is always confirmed exactly. Plain stacks (CPython without lines: every entry an
 *   address) are confirmed against the proto stack tree itself, which keeps each node's raw
 *   entry: no copy of the record is kept, so the cache costs a few words per distinct stack.
 *   Other layouts (PyPy's tagged pairs, lines mode) keep the raw bytes of each distinct stack
 *   in one arena, capped (STACK_CACHE_BYTES): beyond it stacks are walked every time.
 * - Names may arrive after the stacks that use them (0x08 records are written at the
 *   end), so frames are first interned as "proto frames" (address id, line, kind) in a
 *   proto stack tree; functions, frames and stacks are made with ProfileBuilder at the
 *   end, when every name is known. Samples are kept in file order in fixed-size blocks
 *   (thread, proto stack, and RSS, times, weights only when the file has them) and split
 *   into exact-size columns per thread at the end, proto stacks mapped on the way. Full
 *   blocks live in resizable ArrayBuffers that are freed (resize(0)) as each column is
 *   copied, so the model is not built next to garbage awaiting collection.
 * - 64-bit addresses are kept as two uint32 halves; they are combined into one exact
 *   JS number only below 2^53 and into a string key above (legacy PyPy files tag their
 *   code ids with 0x77 in the top byte), and only when a new stack is walked.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { Counter, FunctionKind, Category, Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { parseCodeName } from './names.js';
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
  TAG_BLACKHOLE,
  TAG_CODE,
  TAG_GC,
  TAG_JITTED,
  TAG_JITTING,
  TAG_NATIVE,
  utf8,
} from './records.js';

const FORMAT = 'vmprof';

/** META keys and values, names of code objects: longer means a corrupt length word. */
const MAX_STRING = 1 << 24;
/** Raw bytes of distinct stacks kept for the stack cache. */
const STACK_CACHE_BYTES = 64 * 1024 * 1024;
/** Samples per block of the sample columns (a power of two). */
const SAMPLE_BLOCK = 1 << 15;
const SAMPLE_BLOCK_SHIFT = 15;

/** Proto frame kinds: what a stack entry was, before names are known. */
const P_PLAIN = 0; // untagged entry (CPython, legacy files): Python code, or native if odd / named n:
const P_CODE = 1; // PyPy CODE
const P_JITTED = 2; // PyPy JITTED: Python function running as JIT code
const P_NATIVE = 3; // PyPy NATIVE tag
const P_ASSEMBLER = 4; // PyPy ASSEMBLER without JITTED entries
const P_BLACKHOLE = 5;
const P_JITTING = 6;
const P_GC = 7;
const P_OTHER_TAG = 8; // unknown PyPy kind; the kind number is kept as the "line"

const RECORD_NAMES: Record<number, string> = {
  1: 'stack', 2: 'code name', 3: 'trailer', 4: 'interpreter name', 5: 'header', 6: 'start time', 7: 'meta', 8: 'native symbol',
};

const TWO_32 = 4294967296;

function hex(lo: number, hi: number): string {
  const h = hi >>> 0;
  const l = (lo >>> 0).toString(16);
  return h === 0 ? `0x${l}` : `0x${h.toString(16)}${l.padStart(8, '0')}`;
}

/** Thrown inside the parser when a record needs more bytes than the buffer holds. */
const NEED_MORE = -1;

/**
 * Open-addressing map from an int32 pair to an int32 >= 0, keys and value side by side in
 * one array: one cache line per probe (the walk of a new stack looks up every frame, in
 * tables that outgrow the CPU cache).
 */
class PairTable {
  private slots: Int32Array; // [a, b, value + 1] per slot; value + 1 === 0 marks empty
  private mask: number;
  private size = 0;

  constructor(capacity = 1 << 10) {
    this.slots = new Int32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 13);
  }

  get(a: number, b: number): number {
    const slots = this.slots;
    for (let i = PairTable.hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[3 * i + 2];
      if (v === 0) return -1;
      if (slots[3 * i] === a && slots[3 * i + 1] === b) return v - 1;
    }
  }

  /** Adds a pair that is not in the table. */
  add(a: number, b: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const slots = this.slots;
    let i = PairTable.hash(a, b) & this.mask;
    while (slots[3 * i + 2] !== 0) i = (i + 1) & this.mask;
    slots[3 * i] = a;
    slots[3 * i + 1] = b;
    slots[3 * i + 2] = value + 1;
    this.size++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = (old.length / 3) * 2 - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 2] !== 0) this.add(old[i], old[i + 1], old[i + 2] - 1);
  }
}

type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;
type ColumnType<T extends Column> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };
type Resizable = ArrayBuffer & { resizable?: boolean; resize?(byteLength: number): void };

/**
 * Resizable ArrayBuffers (ES2024: Node 20, current browsers) give their memory back the
 * moment they are resized to 0, without waiting for a garbage collection. Full sample blocks
 * and the plain proto stack nodes live in them, so that growing the nodes frees the old copy
 * at once and finish() lets go of both as it builds the model: the peak is the model, not
 * model + garbage. The rest stays ordinary (measured on Node 20): with every working array
 * resizable the parse ran 2x slower (samples are written into ordinary arrays and sealed a
 * block at a time; the stack cache's arrays stay ordinary); the nodes cost nothing measurable.
 */
const RESIZABLE = (() => {
  try {
    const ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable;
    return new ctor(0, { maxByteLength: 8 }).resizable === true;
  } catch {
    return false;
  }
})();

/** A zeroed working array; `releasable`: one that release() frees at once. */
function column<T extends Column>(type: ColumnType<T>, length: number, releasable = false): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  const buffer = RESIZABLE && releasable
    ? new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(bytes, { maxByteLength: bytes })
    : new ArrayBuffer(bytes);
  return new type(buffer, 0, length);
}

/** Frees a working array's memory now (when resizable); the array must not be used again. */
function release(a: Column): void {
  const buffer = a.buffer as Resizable;
  if (buffer.resizable && buffer.resize) buffer.resize(0);
}

/**
 * `block` itself when it is an ordinary array, else a copy in `scratch`: elements of
 * resizable-backed arrays are slow to read one by one, a bulk copy is not.
 */
function readable<T extends Column>(block: Column, scratch: T): T | Column {
  if ((block.buffer as Resizable).resizable !== true) return block;
  scratch.set(block as never);
  return scratch;
}

/** A releasable copy of a working array. */
function sealed<T extends Column>(a: T): T {
  const copy = column(a.constructor as unknown as ColumnType<T>, a.length, true);
  copy.set(a as never);
  return copy;
}

/** Grows a working array (at least doubling); the old one is released. */
function grow<T extends Column>(a: T, min: number): T {
  let cap = a.length * 2;
  if (cap < min) cap = min;
  const next = column(a.constructor as unknown as ColumnType<T>, cap, (a.buffer as Resizable).resizable === true);
  next.set(a as never);
  release(a);
  return next;
}

export class VmprofParser {
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
  /** Absolute offset of the first byte not yet consumed (carry bytes are not consumed). */
  private consumed = 0;
  private state: 'static' | 'records' | 'done' = 'static';
  private get done(): boolean {
    return this.state === 'done';
  }
  private carry = new Uint8Array(256);
  private carryLen = 0;
  /** Bytes the pending record needs from its start (valid when carryLen > 0). */
  private need = 0;
  private bytesAfterTrailer = 0;

  // --- names ---
  private readonly codeNames = new Map<number | string, string>();
  private readonly nativeNames = new Map<number | string, string>();

  // --- addresses seen in stacks ---
  private readonly addrIndex = new PairTable(); // (lo, hi) -> address id
  private plainFrameByAddr = new PairTable(); // (lo, hi) -> proto frame of a plain entry, line 0
  private addrLo = column(Uint32Array, 1024);
  private addrHi = column(Uint32Array, 1024);
  private addrCount = 0;

  // --- proto frames and proto stacks ---
  private readonly protoFrameIndex = new PairTable();
  private protoFrameAddr = column(Int32Array, 1024); // addr id, -1 for none
  private protoFrameLine = column(Int32Array, 1024);
  private protoFrameKind = column(Uint8Array, 1024);
  private protoFrameCount = 0;
  private protoStackIndex = new PairTable();
  private protoStackPrefix = column(Int32Array, 256);
  private protoStackFrame = column(Int32Array, 256);
  /**
   * Proto stacks of plain stacks, as the walk made them from raw entries: (lo, hi, parent)
   * per proto stack, side by side so that checking a record against a cached stack reads
   * one cache line per frame. Unused by the other layouts.
   */
  private plainNodes = column(Int32Array, 4 * 256, true); // [lo, hi, parent, last child found + 1] per proto stack
  /**
   * Finds a plain proto stack by (parent, lo, hi): open addressing over proto stack ids
   * (id + 1, 0 = empty) whose keys are read from plainNodes, so the index costs 4 bytes a slot.
   */
  private plainSlots = column(Int32Array, 1 << 10);
  private plainSlotsUsed = 0;
  private pendingPlainSlot = 0;
  private protoStackCount = 0;
  private walkFrames = column(Int32Array, 256);
  /** Which index made proto stacks: both only when the layout changed mid-file. */
  private plainWalks = false;
  private frameWalks = false;

  // --- stack cache: raw stack bytes -> proto stack ---
  private cacheSlots = column(Int32Array, 1 << 10); // entry + 1, 0 = empty
  private cacheMask = (1 << 10) - 1;
  private cacheHash = column(Int32Array, 256);
  private cacheOffset = column(Int32Array, 256);
  private cacheLength = column(Int32Array, 256);
  private cacheStack = column(Int32Array, 256);
  private cacheCount = 0;
  private arena = new Uint8Array(1 << 12);
  /** The arena as little-endian int32 words (stacks are whole words, stored at word offsets). */
  private arenaWords = new Int32Array(this.arena.buffer);
  private arenaDoubles = new Float64Array(this.arena.buffer);
  private arenaUsed = 0;

  // --- samples ---
  readonly builder = new ProfileBuilder(FORMAT);
  private sampleIndex = 0;
  private lastThreadLo = -1;
  private lastThreadHi = -1;
  private lastThread = -1;
  private readonly threadByKey = new Map<number | string, number>();
  private readonly threadIds: string[] = [];
  private firstSampleTime = NaN;
  // Samples in file order, in fixed-size blocks: no copies as they grow, and only what the
  // file says (the thread, the stack, RSS when recorded, times and weights only when the file
  // has them). finish() splits them into exact-size columns per thread.
  private sampleBlocks = 0;
  private blockFill = SAMPLE_BLOCK; // samples in the current block; full = "allocate one"
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

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.state === 'done') {
      this.bytesAfterTrailer += chunk.length;
      return;
    }
    let pos = 0;
    // Complete a record that started in an earlier chunk, feeding only the bytes it needs.
    while (this.carryLen > 0 && pos < chunk.length) {
      const take = Math.min(chunk.length - pos, this.need - this.carryLen);
      if (this.carryLen + take > this.carry.length) this.carry = grow(this.carry, this.carryLen + take);
      this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
      this.carryLen += take;
      pos += take;
      if (this.carryLen < this.need) return;
      const carry = this.carry;
      const used = this.parse(carry, new DataView(carry.buffer, carry.byteOffset, this.carryLen), 0, this.carryLen);
      if (used === this.carryLen) {
        this.consumed += used;
        this.carryLen = 0;
      } else if (used !== 0) {
        // Cannot happen: the carry holds at most one record. Keep the remainder anyway.
        this.carry.copyWithin(0, used, this.carryLen);
        this.carryLen -= used;
        this.consumed += used;
      }
      if (this.done) {
        this.bytesAfterTrailer += chunk.length - pos;
        return;
      }
    }
    if (pos >= chunk.length) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const used = this.parse(chunk, view, pos, chunk.length);
    this.consumed += used - pos;
    if (this.done) {
      this.bytesAfterTrailer += chunk.length - used;
      return;
    }
    const rest = chunk.length - used;
    if (rest > 0) {
      if (rest > this.carry.length) this.carry = grow(this.carry, Math.max(rest, this.need));
      this.carry.set(chunk.subarray(used), 0);
      this.carryLen = rest;
    }
  }

  /**
   * Parses whole records from buf[start, end). Returns where it stopped: at `end`, at
   * the start of an incomplete record (this.need says how many bytes that record
   * needs), or just after the trailer.
   */
  private parse(buf: Uint8Array, view: DataView, start: number, end: number): number {
    // buffers always begin at the first unconsumed byte: buf[start] is at file offset `consumed`
    this.base = this.consumed - start;
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

  /** File offset of position 0 of the buffer being parsed. */
  private base = 0;

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
    if (w === 4 && last === 1) {
      this.win64 = true;
      this.addrSize = 8;
    }
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
        const key = this.addrKey(lo, hi);
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
    // A stack's meaning depends on the layout: forget stacks cached under another one.
    this.cacheSlots.fill(0);
    this.cacheCount = 0;
    this.arenaUsed = 0;
  }

  private addrKey(lo: number, hi: number): number | string {
    return hi < 0x200000 ? hi * TWO_32 + lo : `${hi}:${lo}`;
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

    let weight = 1;
    let time: number;
    if (this.timedSamples) {
      const t = view.getFloat64(pos + 1, true);
      if (Number.isNaN(this.firstSampleTime)) {
        // times are relative to META start_time_offset (same clock), else to the first sample
        const start = Number(this.extra.start_time_offset ?? NaN);
        this.firstSampleTime = Number.isFinite(start) ? start : t;
      }
      time = Number.isFinite(t) ? (t - this.firstSampleTime) * 1000 : this.sampleIndex * (this.periodUsec / 1000);
    } else {
      weight = this.word(view, pos + 1);
      if (weight < 1 || weight > 0x7fffffff) this.fail('a sample count of at least 1', pos + 1);
      time = 0; // untimed: computed from the sample's index when needed (untimedSampleTime)
    }

    let stack = this.cachedStack(view, entries, entriesEnd);
    if (stack === -2) stack = this.walkStack(view, entries, depth, buf);

    let p = entriesEnd;
    let thread: number;
    if (this.hasThread) {
      const lo = view.getUint32(p, true);
      const hi = a === 8 ? view.getUint32(p + 4, true) : 0;
      p += a;
      if (lo === this.lastThreadLo && hi === this.lastThreadHi) thread = this.lastThread;
      else thread = this.threadFor(lo, hi);
    } else {
      thread = this.lastThreadLo === 0 && this.lastThreadHi === 0 ? this.lastThread : this.threadFor(0, 0);
    }
    if (this.blockFill === SAMPLE_BLOCK) this.newSampleBlock();
    const i = this.blockFill++;
    this.curStack[i] = stack;
    this.curThread[i] = thread;
    if (this.memory) {
      if (this.curRss === null) this.startColumn(this.rssBlocks, () => NaN);
      (this.curRss as Float64Array)[i] = a === 8 ? view.getUint32(p, true) + view.getInt32(p + 4, true) * TWO_32 : view.getInt32(p, true);
    } else if (this.curRss !== null) {
      this.curRss[i] = NaN;
    }
    if (this.timedSamples) {
      if (this.curTime === null) this.startColumn(this.timeBlocks, (j) => this.untimedSampleTime(j));
      (this.curTime as Float64Array)[i] = time;
    } else if (this.curTime !== null) {
      this.curTime[i] = time;
    }
    if (weight !== 1 && this.curWeight === null) this.startColumn(this.weightBlocks, () => 1);
    if (this.curWeight !== null) this.curWeight[i] = weight;
    this.sampleIndex++;
    return pos + size;
  }

  /** Time of the sample with this index (counting all threads) in a file without sample times. */
  private untimedSampleTime(index: number): number {
    return index * (this.periodUsec / 1000);
  }

  /**
   * Samples are written into the current block: ordinary arrays, reused. A full block is
   * sealed into releasable copies (one memcpy per column per block), which finish() frees
   * as it builds the model.
   */
  private newSampleBlock(): void {
    const last = this.sampleBlocks - 1;
    if (last >= 0) {
      this.stackBlocks[last] = sealed(this.curStack);
      this.threadBlocks[last] = sealed(this.curThread);
      if (this.curRss !== null) this.rssBlocks[last] = sealed(this.curRss);
      if (this.curTime !== null) this.timeBlocks[last] = sealed(this.curTime);
      if (this.curWeight !== null) this.weightBlocks[last] = sealed(this.curWeight);
    } else {
      this.curStack = new Int32Array(SAMPLE_BLOCK);
      this.curThread = this.threadIds.length > 0xffff ? new Int32Array(SAMPLE_BLOCK) : new Uint16Array(SAMPLE_BLOCK);
    }
    this.stackBlocks.push(this.curStack);
    this.threadBlocks.push(this.curThread);
    if (this.curRss !== null) this.rssBlocks.push(this.curRss);
    if (this.curTime !== null) this.timeBlocks.push(this.curTime);
    if (this.curWeight !== null) this.weightBlocks.push(this.curWeight);
    this.sampleBlocks++;
    this.blockFill = 0;
  }

  /** Starts an optional column (RSS, times, weights) on its first use: earlier samples get `fill(index)`. */
  private startColumn(blocks: Float64Array[], fill: (index: number) => number): void {
    for (let b = 0; b < this.sampleBlocks; b++) {
      const current = b === this.sampleBlocks - 1;
      const block = current ? new Float64Array(SAMPLE_BLOCK) : column(Float64Array, SAMPLE_BLOCK, true);
      const filled = current ? this.blockFill : SAMPLE_BLOCK;
      for (let j = 0; j < filled; j++) block[j] = fill(b * SAMPLE_BLOCK + j);
      blocks.push(block);
    }
    const current = blocks[blocks.length - 1];
    if (blocks === this.rssBlocks) this.curRss = current;
    else if (blocks === this.timeBlocks) this.curTime = current;
    else this.curWeight = current;
  }

  private threadFor(lo: number, hi: number): number {
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
    const key = this.addrKey(lo, hi);
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
          const wide = current ? new Int32Array(SAMPLE_BLOCK) : column(Int32Array, SAMPLE_BLOCK, true);
          wide.set(this.threadBlocks[b]);
          release(this.threadBlocks[b]);
          this.threadBlocks[b] = wide;
        }
        this.curThread = this.sampleBlocks > 0 ? this.threadBlocks[this.sampleBlocks - 1] : new Int32Array(SAMPLE_BLOCK);
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

  private readonly recentThread = new Int32Array(16); // thread + 1, 0 = empty
  private readonly recentThreadLo = new Int32Array(16);
  private readonly recentThreadHi = new Int32Array(16);

  /** Thread ids: pointers (CPython on Unix) in hex, OS ids (Windows) and PyPy's 0 in decimal. */
  private threadId(lo: number, hi: number): string {
    if (lo === 0 && hi === 0) return '0';
    const windows = this.win64 || /^win/i.test(this.extra.os ?? '');
    if (!windows && this.interpreter !== 'pypy') return hex(lo, hi);
    return hi === 0 ? String(lo) : (BigInt(hi) * 4294967296n + BigInt(lo)).toString();
  }

  /** The proto stack of identical raw entries seen before, or -2. */
  private cachedStack(view: DataView, from: number, to: number): number {
    // The hash reads a sample of the words (the innermost 32 bytes, where stacks differ
    // most, and a stride through the rest); the byte comparison below then reads them all.
    // One full pass over the stack, not two.
    const len = to - from;
    let h = Math.imul(len, 0x9e3779b1);
    const dense = Math.min(to, from + 32);
    for (let p = from; p < dense; p += 4) h = Math.imul(h ^ view.getInt32(p, true), 0x01000193);
    const step = len > 128 ? ((len >>> 4) & ~3) : 4;
    for (let p = dense; p < to; p += step) h = Math.imul(h ^ view.getInt32(p, true), 0x01000193);
    if (to > dense) h = Math.imul(h ^ view.getInt32(to - 4, true), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    this.pendingHash = h;
    const mask = this.cacheMask;
    const arena = this.arenaDoubles;
    const words = this.arenaWords;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.cacheSlots[slot] - 1;
      if (e < 0) {
        this.pendingSlot = slot;
        return -2;
      }
      if (this.cacheHash[e] !== h || this.cacheLength[e] !== len) continue;
      const offset = this.cacheOffset[e];
      if (offset < 0) {
        if (this.matchesPlainStack(view, from, to, this.cacheStack[e])) return this.cacheStack[e];
        continue;
      }
      // Compare 8 bytes at a time as doubles: equal doubles are equal bits except +0/-0
      // (checked by bits when the value is 0) and NaN (never equal: checked by bits too).
      const end8 = from + (len & ~7);
      let q = offset >> 3;
      let p = from;
      while (p < end8) {
        const x = arena[q];
        const y = view.getFloat64(p, true);
        if ((x !== y || x === 0) && (words[2 * q] !== view.getInt32(p, true) || words[2 * q + 1] !== view.getInt32(p + 4, true))) break;
        p += 8;
        q++;
      }
      if (p === end8 && (end8 === to || words[2 * q] === view.getInt32(p, true))) return this.cacheStack[e];
    }
  }

  /**
   * True when the raw entries buf[from, to) (innermost first) are exactly the plain proto
   * stack `leaf`: the walk from the leaf to the root meets the same non-zero entries.
   */
  private matchesPlainStack(view: DataView, from: number, to: number, leaf: number): boolean {
    const nodes = this.plainNodes;
    const a = this.addrSize;
    let s = leaf;
    for (let p = from; p < to; p += a) {
      const lo = view.getInt32(p, true);
      const hi = a === 8 ? view.getInt32(p + 4, true) : lo >> 31;
      if ((lo === 0 && hi === 0) || hi < 0) continue; // skipped by the walk too
      if (s < 0 || nodes[4 * s] !== lo || nodes[4 * s + 1] !== hi) return false;
      s = nodes[4 * s + 2];
    }
    return s === -1;
  }

  private pendingHash = 0;
  private pendingSlot = 0;

  private remember(buf: Uint8Array, from: number, to: number, stack: number): void {
    const len = to - from;
    if (this.arenaUsed + len > STACK_CACHE_BYTES) return;
    if (this.arenaUsed + len + 8 > this.arena.length) {
      this.arena = grow(this.arena, (this.arenaUsed + len + 15) & ~7); // a whole number of doubles
      this.arenaWords = new Int32Array(this.arena.buffer);
      this.arenaDoubles = new Float64Array(this.arena.buffer);
    }
    this.arena.set(buf.subarray(from, to), this.arenaUsed);
    const e = this.cacheCount++;
    if (e >= this.cacheHash.length) {
      this.cacheHash = grow(this.cacheHash, e + 1);
      this.cacheOffset = grow(this.cacheOffset, e + 1);
      this.cacheLength = grow(this.cacheLength, e + 1);
      this.cacheStack = grow(this.cacheStack, e + 1);
    }
    this.cacheHash[e] = this.pendingHash;
    this.cacheOffset[e] = this.arenaUsed;
    this.cacheLength[e] = len;
    this.cacheStack[e] = stack;
    this.arenaUsed += (len + 7) & ~7; // entries start at 8-byte offsets (read as doubles)
    this.cacheSlots[this.pendingSlot] = e + 1;
    if (this.cacheCount * 2 > this.cacheSlots.length) this.rehashCache();
  }

  /** Caches a plain stack: its entries are checked against the proto stacks, not stored. */
  private rememberPlain(len: number, stack: number): void {
    const e = this.cacheCount++;
    if (e >= this.cacheHash.length) {
      this.cacheHash = grow(this.cacheHash, e + 1);
      this.cacheOffset = grow(this.cacheOffset, e + 1);
      this.cacheLength = grow(this.cacheLength, e + 1);
      this.cacheStack = grow(this.cacheStack, e + 1);
    }
    this.cacheHash[e] = this.pendingHash;
    this.cacheOffset[e] = -1;
    this.cacheLength[e] = len;
    this.cacheStack[e] = stack;
    this.cacheSlots[this.pendingSlot] = e + 1;
    if (this.cacheCount * 2 > this.cacheSlots.length) this.rehashCache();
  }

  private rehashCache(): void {
    const size = this.cacheSlots.length * 2;
    release(this.cacheSlots);
    this.cacheSlots = column(Int32Array, size);
    this.cacheMask = size - 1;
    for (let e = 0; e < this.cacheCount; e++) {
      let slot = this.cacheHash[e] & this.cacheMask;
      while (this.cacheSlots[slot] !== 0) slot = (slot + 1) & this.cacheMask;
      this.cacheSlots[slot] = e + 1;
    }
  }

  private addrId(lo: number, hi: number): number {
    let id = this.addrIndex.get(lo | 0, hi | 0);
    if (id === -1) {
      id = this.newAddr(lo, hi);
      this.addrIndex.add(lo | 0, hi | 0, id);
    }
    return id;
  }

  private newAddr(lo: number, hi: number): number {
    const id = this.addrCount++;
    if (id >= this.addrLo.length) {
      this.addrLo = grow(this.addrLo, id + 1);
      this.addrHi = grow(this.addrHi, id + 1);
    }
    this.addrLo[id] = lo;
    this.addrHi[id] = hi;
    return id;
  }

  private protoFrame(addr: number, line: number, kind: number): number {
    const key = addr * 16 + kind; // addr ids stay far below 2^27
    let f = this.protoFrameIndex.get(key, line);
    if (f === -1) {
      f = this.protoFrameCount++;
      if (f >= this.protoFrameAddr.length) {
        this.protoFrameAddr = grow(this.protoFrameAddr, f + 1);
        this.protoFrameLine = grow(this.protoFrameLine, f + 1);
        this.protoFrameKind = grow(this.protoFrameKind, f + 1);
      }
      this.protoFrameAddr[f] = addr;
      this.protoFrameLine[f] = line;
      this.protoFrameKind[f] = kind;
      this.protoFrameIndex.add(key, line, f);
    }
    return f;
  }

  private pushWalk(n: number, frame: number): number {
    if (n >= this.walkFrames.length) this.walkFrames = grow(this.walkFrames, n + 1);
    this.walkFrames[n] = frame;
    return n + 1;
  }

  /** Reads an address entry: [lo, hi] with hi sign-extended on 4-byte addresses. */
  private entryLo = 0;
  private entryHi = 0;
  private readEntry(view: DataView, p: number): void {
    this.entryLo = view.getUint32(p, true);
    this.entryHi = this.addrSize === 8 ? view.getUint32(p + 4, true) : (view.getInt32(p, true) < 0 ? 0xffffffff : 0);
  }

  /** Turns raw entries (innermost first) into a proto stack, root first; caches it. */
  private walkStack(view: DataView, from: number, depth: number, buf: Uint8Array): number {
    const a = this.addrSize;
    let n = 0;
    if (this.rpython && depth % 2 === 1) {
      this.builder.warn('PyPy stacks of odd depth (not (kind, value) pairs) were read as untagged addresses');
    }
    if (this.rpython && depth % 2 === 0) {
      let previousTag = 0;
      let previousAddr = -1;
      for (let k = depth / 2 - 1; k >= 0; k--) {
        const p = from + 2 * k * a;
        this.readEntry(view, p);
        const tagHi = this.entryHi;
        const tag = tagHi === 0 ? this.entryLo : -1;
        this.readEntry(view, p + a);
        const lo = this.entryLo;
        const hi = this.entryHi;
        switch (tag) {
          case TAG_CODE: {
            const id = this.addrId(lo, hi);
            n = this.pushWalk(n, this.protoFrame(id, 0, P_CODE));
            previousAddr = id;
            break;
          }
          case TAG_JITTED: {
            const id = this.addrId(lo, hi);
            // The interpreter frame that entered the JIT code and the JIT frame are one call.
            if (previousTag === TAG_CODE && previousAddr === id) n--;
            n = this.pushWalk(n, this.protoFrame(id, 0, P_JITTED));
            previousAddr = id;
            break;
          }
          case TAG_ASSEMBLER:
            // Machine code of the JITTED entries before it; alone, it is anonymous JIT code.
            if (previousTag !== TAG_JITTED) n = this.pushWalk(n, this.protoFrame(this.addrId(lo, hi), 0, P_ASSEMBLER));
            previousAddr = -1;
            break;
          case TAG_NATIVE:
            n = this.pushWalk(n, this.protoFrame(this.addrId(lo, hi), 0, P_NATIVE));
            previousAddr = -1;
            break;
          case TAG_BLACKHOLE:
            n = this.pushWalk(n, this.protoFrame(-1, 0, P_BLACKHOLE));
            previousAddr = -1;
            break;
          case TAG_JITTING:
            n = this.pushWalk(n, this.protoFrame(-1, 0, P_JITTING));
            previousAddr = -1;
            break;
          case TAG_GC:
            n = this.pushWalk(n, this.protoFrame(-1, 0, P_GC));
            previousAddr = -1;
            break;
          default:
            n = this.pushWalk(n, this.protoFrame(-1, tag >= 0 && tag < 0x7fffffff ? tag : -1, P_OTHER_TAG));
            previousAddr = -1;
        }
        previousTag = tag;
      }
    } else if (this.lines && !this.rpython) {
      // pairs (line, address), innermost first; an odd last entry is an address without a line
      let k = depth - 1;
      if (depth % 2 === 1) {
        this.readEntry(view, from + k * a);
        n = this.plainEntry(n, this.entryLo, this.entryHi, 0);
        k--;
      }
      for (; k > 0; k -= 2) {
        this.readEntry(view, from + (k - 1) * a);
        const lineLo = this.entryLo;
        const lineHi = this.entryHi;
        let line = 0;
        if (lineHi === 0 && lineLo <= 0x7fffffff) line = lineLo;
        else if (lineHi === 0xffffffff && lineLo >= 0x80000001) line = TWO_32 - lineLo; // negative on disk
        this.readEntry(view, from + k * a);
        n = this.plainEntry(n, this.entryLo, this.entryHi, line);
      }
    } else {
      // The common CPython case: every entry is an address. Proto stacks are found by
      // (parent, raw address) directly: one probe per frame instead of three.
      let stack = -1;
      for (let k = depth - 1; k >= 0; k--) {
        const p = from + k * a;
        const lo = view.getInt32(p, true);
        const hi = a === 8 ? view.getInt32(p + 4, true) : lo >> 31;
        if ((lo === 0 && hi === 0) || hi < 0) continue; // zero and negative entries are not code
        let s = this.plainChild(stack, lo, hi);
        if (s === -1) {
          const frame = this.protoFrame(this.addrId(lo >>> 0, hi >>> 0), 0, P_PLAIN);
          s = this.newProtoStack(stack, frame);
          this.addPlainChild(s, stack, lo, hi);
        }
        stack = s;
      }
      // The proto stacks themselves hold these entries: no copy of the record is kept.
      this.rememberPlain(from + depth * a - from, stack);
      return stack;
    }
    let stack = -1;
    for (let i = 0; i < n; i++) {
      const frame = this.walkFrames[i];
      let s = this.protoStackIndex.get(stack, frame);
      if (s === -1) {
        s = this.newProtoStack(stack, frame);
        this.protoStackIndex.add(stack, frame, s);
        this.frameWalks = true;
      }
      stack = s;
    }
    this.remember(buf, from, from + depth * a, stack);
    return stack;
  }

  private static plainHash(parent: number, lo: number, hi: number): number {
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(lo, 0x85ebca6b) ^ Math.imul(hi + 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 13);
  }

  /** The plain proto stack (parent, lo, hi), or -1 (then pendingPlainSlot is where it goes). */
  private plainChild(parent: number, lo: number, hi: number): number {
    const nodes = this.plainNodes;
    // Most nodes have one child, or a child that was walked last time: try it first.
    const roots = parent < 0;
    const hint = (roots ? this.lastRootChild : nodes[4 * parent + 3]) - 1;
    if (hint >= 0 && nodes[4 * hint] === lo && nodes[4 * hint + 1] === hi) return hint;
    const found = this.plainLookup(parent, lo, hi);
    if (found >= 0) {
      if (roots) this.lastRootChild = found + 1;
      else nodes[4 * parent + 3] = found + 1;
    }
    return found;
  }

  private lastRootChild = 0;

  private plainLookup(parent: number, lo: number, hi: number): number {
    const nodes = this.plainNodes;
    const slots = this.plainSlots;
    const mask = slots.length - 1;
    for (let i = VmprofParser.plainHash(parent, lo, hi) & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === 0) {
        this.pendingPlainSlot = i;
        return -1;
      }
      const n = 4 * (v - 1);
      if (nodes[n] === lo && nodes[n + 1] === hi && nodes[n + 2] === parent) return v - 1;
    }
  }

  /** Records plain proto stack s = (parent, lo, hi), just after plainChild missed it. */
  private addPlainChild(s: number, parent: number, lo: number, hi: number): void {
    this.plainWalks = true;
    if (4 * s + 4 > this.plainNodes.length) this.plainNodes = grow(this.plainNodes, 4 * s + 4);
    this.plainNodes[4 * s] = lo;
    this.plainNodes[4 * s + 1] = hi;
    this.plainNodes[4 * s + 2] = parent;
    if (parent < 0) this.lastRootChild = s + 1;
    else this.plainNodes[4 * parent + 3] = s + 1;
    this.plainSlots[this.pendingPlainSlot] = s + 1;
    // up to 3/4 full: most lookups are answered by the last-child hint before the table
    if (++this.plainSlotsUsed * 4 > this.plainSlots.length * 3) {
      const old = this.plainSlots;
      const slots = column(Int32Array, old.length * 2);
      const mask = slots.length - 1;
      const nodes = this.plainNodes;
      for (let j = 0; j < old.length; j++) {
        const v = old[j];
        if (v === 0) continue;
        const n = 4 * (v - 1);
        let i = VmprofParser.plainHash(nodes[n + 2], nodes[n], nodes[n + 1]) & mask;
        while (slots[i] !== 0) i = (i + 1) & mask;
        slots[i] = v;
      }
      this.plainSlots = slots;
      release(old);
    }
  }

  /**
   * A new proto stack. Both indexes (by frame, by raw entry) can make one for the same
   * (parent, frame) only if the layout changed mid-file; ProfileBuilder merges such twins.
   */
  private newProtoStack(prefix: number, frame: number): number {
    const s = this.protoStackCount++;
    if (s >= this.protoStackPrefix.length) {
      this.protoStackPrefix = grow(this.protoStackPrefix, s + 1);
      this.protoStackFrame = grow(this.protoStackFrame, s + 1);
    }
    this.protoStackPrefix[s] = prefix;
    this.protoStackFrame[s] = frame;
    return s;
  }

  /** An untagged entry; zero and negative values are not code (vmprof-python treats them as lines). */
  private plainEntry(n: number, lo: number, hi: number, line: number): number {
    if ((lo === 0 && hi === 0) || (this.addrSize === 8 ? hi >= 0x80000000 : hi === 0xffffffff)) return n;
    if (line !== 0) return this.pushWalk(n, this.protoFrame(this.addrId(lo, hi), line, P_PLAIN));
    // the common case, an address without a line: one lookup instead of two
    let frame = this.plainFrameByAddr.get(lo | 0, hi | 0);
    if (frame === -1) {
      frame = this.protoFrame(this.addrId(lo, hi), 0, P_PLAIN);
      this.plainFrameByAddr.add(lo | 0, hi | 0, frame);
    }
    return this.pushWalk(n, frame);
  }

  /** Finishes: names frames, builds stacks through the builder, renumbers samples. */
  finish(): Profile {
    if (this.state === 'static') {
      throw new ProfileFormatError(FORMAT, 'a VMProf header (words 0, 3, 0, period, flags); the input is too short', this.consumed + this.carryLen);
    }
    const b = this.builder;
    if (this.carryLen > 0) {
      const marker = this.carry[0];
      b.warn(
        `truncated file: it ends inside a ${RECORD_NAMES[marker] ?? 'record'} record at byte ${this.consumed} ` +
          `(${this.carryLen} of ${this.need} bytes); every complete record before it was kept`,
      );
    } else if (this.state !== 'done') {
      b.warn('truncated file: no trailer record (the profiled process may have been killed); every complete record was kept');
    }
    if (this.bytesAfterTrailer > 0 && !this.legacy) {
      b.warn(`${this.bytesAfterTrailer} bytes after the trailer were ignored`);
    }

    const meta = b.meta;
    meta.interpreter = this.interpreter;
    meta.formatVersion = this.version;
    meta.interval = this.periodUsec / 1000;
    meta.startTime = this.startTime;
    meta.endTime = this.endTime;
    meta.weightUnit = 'samples';
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
    this.releaseCache();
    const profileFrames = this.buildFrames();
    const direct = this.stacksAreDistinct(profileFrames, b.frameCount);
    const stackMap = direct ? null : new Int32Array(this.protoStackCount);
    if (stackMap !== null) {
      // Two proto stacks may be one stack (two code objects of one function): intern them.
      for (let s = 0; s < this.protoStackCount; s++) {
        const prefix = this.protoStackPrefix[s];
        stackMap[s] = b.stack(prefix < 0 ? -1 : stackMap[prefix], profileFrames[this.protoStackFrame[s]]);
      }
    }
    const profile = b.build();
    if (direct) profile.stacks = this.stackTable(profileFrames);
    release(this.protoStackPrefix);
    release(this.protoStackFrame);
    release(this.plainNodes);
    this.protoStackPrefix = this.protoStackFrame = this.plainNodes = column(Int32Array, 0);
    profile.threads = this.threadIds.map((id) => ({
      id,
      name: this.extra[`thread_name:${id}`] ?? '',
      processId: '',
      samples: { length: 0, stack: new Int32Array(0), time: new Float64Array(0), weight: new Float64Array(0), rss: null }, // fillSamples
      markers: { length: 0, name: new Int32Array(0), start: new Float64Array(0), end: new Float64Array(0), category: new Int32Array(0), depth: new Int32Array(0), data: [] },
    }));
    // Counter first: it reads the sample blocks in file order, which fillSamples lets go.
    const counter = this.memory ? this.rssCounterInFileOrder() : null;
    this.fillSamples(profile, stackMap);
    if (this.memory) profile.counters.push(counter ?? rssCounter(profile));
    return profile;
  }

  /**
   * True when every proto stack is its own stack: one index made them all and no two proto
   * frames became one frame. Then proto stack s is stack s, and no interning is needed.
   */
  private stacksAreDistinct(profileFrames: Int32Array, frameCount: number): boolean {
    if (this.plainWalks && this.frameWalks) return false;
    const seen = new Uint8Array(frameCount);
    for (let i = 0; i < profileFrames.length; i++) {
      if (seen[profileFrames[i]]) return false;
      seen[profileFrames[i]] = 1;
    }
    return true;
  }

  /** The stack table straight from the proto stacks (parents come before children). */
  private stackTable(profileFrames: Int32Array): Profile['stacks'] {
    const n = this.protoStackCount;
    const frame = new Int32Array(n);
    const prefix = this.protoStackPrefix.slice(0, n);
    const depth = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      frame[s] = profileFrames[this.protoStackFrame[s]];
      const p = prefix[s];
      depth[s] = p < 0 ? 1 : depth[p] + 1;
    }
    return { length: n, frame, prefix, depth };
  }

  /** Samples in block b (all but the last block are full). */
  private blockLength(b: number): number {
    return b === this.sampleBlocks - 1 ? this.blockFill : SAMPLE_BLOCK;
  }

  /**
   * Splits the samples (file order) into exact-size columns per thread, proto stacks
   * mapped to the profile's stacks on the way; sorts a thread whose times go backwards.
   */
  private fillSamples(profile: Profile, stackMap: Int32Array | null): void {
    const threads = profile.threads;
    const counts = new Int32Array(threads.length);
    // thread blocks are all Uint16Array, or all Int32Array once more than 2^16 threads were seen
    const threadScratch = this.threadIds.length > 0xffff ? new Int32Array(SAMPLE_BLOCK) : new Uint16Array(SAMPLE_BLOCK);
    const stackScratch = new Int32Array(SAMPLE_BLOCK);
    const valueScratch = new Float64Array(SAMPLE_BLOCK);
    for (let b = 0; b < this.sampleBlocks; b++) {
      const th = readable(this.threadBlocks[b], threadScratch);
      const n = this.blockLength(b);
      for (let j = 0; j < n; j++) counts[th[j]]++;
    }
    // One column at a time, each block released once copied: the peak stays near the model.
    const cursor = new Int32Array(threads.length);
    const stacks = threads.map((_, t) => new Int32Array(counts[t]));
    for (let b = 0; b < this.sampleBlocks; b++) {
      const th = readable(this.threadBlocks[b], threadScratch);
      const st = readable(this.stackBlocks[b], stackScratch);
      const n = this.blockLength(b);
      for (let j = 0; j < n; j++) {
        const t = th[j];
        const proto = st[j];
        stacks[t][cursor[t]++] = proto < 0 || stackMap === null ? proto : stackMap[proto];
      }
      release(this.stackBlocks[b]);
    }
    let rsses: Float64Array[] | null = null;
    if (this.rssBlocks.length > 0) {
      const columns = threads.map((_, t) => new Float64Array(counts[t]));
      cursor.fill(0);
      for (let b = 0; b < this.sampleBlocks; b++) {
        const th = readable(this.threadBlocks[b], threadScratch);
        const rss = readable(this.rssBlocks[b], valueScratch);
        const n = this.blockLength(b);
        for (let j = 0; j < n; j++) {
          const t = th[j];
          columns[t][cursor[t]++] = rss[j];
        }
        release(this.rssBlocks[b]);
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
    for (let b = 0; b < this.sampleBlocks; b++) {
      const th = readable(this.threadBlocks[b], threadScratch);
      const tb = timed ? readable(this.timeBlocks[b], valueScratch) : valueScratch;
      const wb = weighted ? readable(this.weightBlocks[b], weightScratch) : weightScratch;
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
      release(this.threadBlocks[b]);
      if (timed) release(this.timeBlocks[b]);
      if (weighted) release(this.weightBlocks[b]);
    }
    this.sampleBlocks = 0;
    this.stackBlocks.length = this.threadBlocks.length = this.rssBlocks.length = this.timeBlocks.length = this.weightBlocks.length = 0;
    threads.forEach((thread, t) => {
      let stack = stacks[t];
      let time = times[t];
      let weight = weights[t];
      let rss = rsses === null ? null : rsses[t];
      if (unordered[t]) {
        // Keep the "samples are in time order" invariant (version 7 times from several clocks).
        const order = Array.from({ length: stack.length }, (_, i) => i).sort((x, y) => time[x] - time[y] || x - y);
        const s0 = stack, w0 = weight, t0 = time, r0 = rss;
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
   * file's sample order is time order (always, without version 7 times); else null.
   */
  private rssCounterInFileOrder(): Counter | null {
    if (this.threadIds.length <= 1 || this.rssBlocks.length === 0) return null;
    const n = this.sampleIndex;
    const time = new Float64Array(n);
    const value = new Float64Array(n);
    const timed = this.timeBlocks.length > 0;
    let last = -Infinity;
    const rssScratch = new Float64Array(SAMPLE_BLOCK);
    const timeScratch = new Float64Array(timed ? SAMPLE_BLOCK : 0);
    for (let b = 0, i = 0; b < this.sampleBlocks; b++) {
      const len = this.blockLength(b);
      const rss = readable(this.rssBlocks[b], rssScratch);
      const times = timed ? readable(this.timeBlocks[b], timeScratch) : timeScratch;
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

  private releaseCache(): void {
    for (const a of [this.arena, this.cacheSlots, this.cacheHash, this.cacheOffset, this.cacheLength, this.cacheStack, this.plainSlots]) release(a);
    this.arena = new Uint8Array(8);
    this.arenaWords = new Int32Array(this.arena.buffer);
    this.arenaDoubles = new Float64Array(this.arena.buffer);
    this.arenaUsed = 0;
    this.cacheSlots = new Int32Array(1);
    this.cacheMask = 0;
    this.cacheCount = 0;
    this.cacheHash = this.cacheOffset = this.cacheLength = this.cacheStack = new Int32Array(0);
    this.carry = new Uint8Array(0);
    this.plainSlots = new Int32Array(1);
    this.protoStackIndex = new PairTable(1);
    this.plainFrameByAddr = new PairTable(1);
  }

  private buildFrames(): Int32Array {
    const b = this.builder;
    const out = new Int32Array(this.protoFrameCount);
    const funcCache = new Map<string, number>();
    const fixed = (name: string, kind: FunctionKind): number => {
      const key = `fixed:${name}`;
      let f = funcCache.get(key);
      if (f === undefined) funcCache.set(key, (f = b.func(name, '', 0, kind)));
      return f;
    };
    for (let i = 0; i < this.protoFrameCount; i++) {
      const kind = this.protoFrameKind[i];
      const addr = this.protoFrameAddr[i];
      const line = this.protoFrameLine[i];
      let func: number;
      let category: Category | undefined;
      switch (kind) {
        case P_BLACKHOLE: func = fixed('<blackhole interpreter>', 'jit'); break;
        case P_JITTING: func = fixed('<JIT compiler>', 'jit'); break;
        case P_GC: func = fixed('<GC>', 'gc'); break;
        case P_OTHER_TAG: func = fixed(`<unknown frame kind ${line}>`, 'other'); break;
        case P_ASSEMBLER: func = this.namedFunc(addr, 'jit', '<JIT code'); break;
        case P_NATIVE: func = this.namedFunc(addr, 'native', '<unknown'); break;
        case P_JITTED: func = this.namedFunc(addr, 'python', '<unknown'); category = 'jit'; break;
        case P_CODE: func = this.namedFunc(addr, 'python', '<unknown'); break;
        default: {
          const lo = this.addrLo[addr];
          // Untagged: odd addresses are native frames (start address | 1); legacy stacks are native C stacks.
          func = this.namedFunc(addr, (lo & 1) === 1 || this.legacy ? 'native' : 'python', '<unknown');
        }
      }
      const frameLine = kind === P_OTHER_TAG ? 0 : line;
      out[i] = category === undefined ? b.frame(func, frameLine) : b.frame(func, frameLine, category);
    }
    return out;
  }

  private namedFunc(addr: number, fallbackKind: FunctionKind, unknownPrefix: string): number {
    const lo = this.addrLo[addr];
    const hi = this.addrHi[addr];
    const key = this.addrKey(lo, hi);
    const text = this.codeNames.get(key) ?? this.nativeNames.get(key);
    const b = this.builder;
    if (text === undefined) return b.func(`${unknownPrefix} ${hex(lo, hi)}>`, '', 0, fallbackKind);
    const parts = parseCodeName(text);
    const kind: FunctionKind = fallbackKind === 'jit' ? 'jit' : parts.kind === 'other' ? fallbackKind : parts.kind;
    return b.func(parts.name, parts.file, parts.line, kind);
  }
}

/** The RSS of every sample as one process-wide counter, in time order. */
function rssCounter(profile: Profile): Counter {
  const parts = profile.threads.filter((t) => t.samples.rss !== null);
  let time: Float64Array;
  let value: Float64Array;
  if (parts.length === 1) {
    time = parts[0].samples.time;
    value = parts[0].samples.rss as Float64Array;
  } else {
    const n = parts.reduce((sum, t) => sum + t.samples.length, 0);
    time = new Float64Array(n);
    value = new Float64Array(n);
    const cursor = parts.map(() => 0);
    for (let i = 0; i < n; i++) {
      let best = -1;
      for (let t = 0; t < parts.length; t++) {
        if (cursor[t] < parts[t].samples.length && (best < 0 || parts[t].samples.time[cursor[t]] < parts[best].samples.time[cursor[best]])) best = t;
      }
      time[i] = parts[best].samples.time[cursor[best]];
      value[i] = (parts[best].samples.rss as Float64Array)[cursor[best]];
      cursor[best]++;
    }
  }
  return { name: 'RSS', category: 'memory', unit: 'KiB', thread: parts.length === 1 ? profile.threads.indexOf(parts[0]) : -1, time, value };
}
