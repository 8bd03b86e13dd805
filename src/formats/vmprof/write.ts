/**
 * Writing VMProf: a low-level record encoder (any word size, version and flags: the tests
 * and the benchmark synthesize files with it) and `writeVmprof`, which turns a Profile into a
 * version 6 file that vmprof-python's reader accepts (`pyrometer convert --to vmprof`).
 *
 * What survives a round trip: functions (name, file, first line), Python/native kinds, frame
 * lines (lines mode), JIT frames (as PyPy JITTED + ASSEMBLER entries), GC frames, threads,
 * RSS, sampling period, start/stop time, meta.extra. Sample times do not (VMProf before
 * version 7 has none: sample i is at i * period), and a sample of weight w is written as
 * w samples (weights in ms/us/ns as weight / interval samples) because readers expect count 1.
 */
import type { Profile } from '../../model/profile.js';
import { CATEGORY_GC, CATEGORY_JIT, KIND_GC, KIND_NATIVE } from '../../model/profile.js';
import type { WriteOptions } from '../registry.js';

/** Most samples writeVmprof writes for a profile that was not sampled (see the period choice there). */
const MAX_SAMPLES = 1_000_000;
import {
  FLAG_LINES,
  FLAG_MEMORY,
  FLAG_RPYTHON,
  MARKER_HEADER,
  MAX_DEPTH,
  MARKER_INTERP_NAME,
  MARKER_META,
  MARKER_NATIVE_SYMBOLS,
  MARKER_STACKTRACE,
  MARKER_TIME_N_ZONE,
  MARKER_TRAILER,
  MARKER_VIRTUAL_IP,
  TAG_ASSEMBLER,
  TAG_CODE,
  TAG_GC,
  TAG_JITTED,
  TAG_NATIVE,
} from './records.js';

export type Address = number | bigint;

export interface EncoderOptions {
  wordSize?: 4 | 8;
  /** 8 with 4-byte words makes a Win64 file. Defaults to wordSize. */
  addrSize?: 4 | 8;
  periodUsec?: number;
  /** Called with full buffers of about `chunkSize` bytes; without it, bytes() returns everything. */
  onChunk?: (chunk: Uint8Array) => void;
  chunkSize?: number;
}

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

/** Appends VMProf records to a buffer; every method writes exactly one record. */
export class VmprofEncoder {
  readonly wordSize: 4 | 8;
  readonly addrSize: 4 | 8;
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  private readonly onChunk?: (chunk: Uint8Array) => void;
  private readonly chunkSize: number;
  /** Layout the stack records follow (set by header()). */
  version = 6;
  flags = 0;

  constructor(options: EncoderOptions = {}) {
    this.wordSize = options.wordSize ?? 8;
    this.addrSize = options.addrSize ?? this.wordSize;
    this.onChunk = options.onChunk;
    this.chunkSize = options.chunkSize ?? 1 << 20;
    this.buf = new Uint8Array(this.onChunk ? this.chunkSize + (1 << 16) : 1 << 16);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.onChunk && this.len > 0) {
      this.flush();
      if (n <= this.buf.length) return;
    }
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private flush(): void {
    if (this.len === 0 || !this.onChunk) return;
    this.onChunk(this.buf.slice(0, this.len));
    this.len = 0;
  }

  private maybeFlush(): void {
    if (this.onChunk && this.len >= this.chunkSize) this.flush();
  }

  /** Bytes written so far (without onChunk: the offset of the next record). */
  get size(): number {
    return this.len;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  bytes_(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  private int(v: Address, size: 4 | 8): void {
    this.ensure(size);
    if (typeof v === 'bigint') {
      if (size === 8) this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
      else this.view.setUint32(this.len, Number(BigInt.asUintN(32, v)), true);
    } else if (size === 4) {
      this.view.setUint32(this.len, v >>> 0, true);
    } else {
      const lo = v >>> 0;
      const hi = Math.floor(v / TWO_32);
      this.view.setUint32(this.len, lo, true);
      this.view.setInt32(this.len + 4, hi | 0, true);
    }
    this.len += size;
  }

  word(v: Address): this {
    this.int(v, this.wordSize);
    return this;
  }

  addr(v: Address): this {
    this.int(v, this.addrSize);
    return this;
  }

  /** The 5-word static header. */
  staticHeader(periodUsec = 1000): this {
    this.word(0)
      .word(3)
      .word(0)
      .word(periodUsec)
      .word(this.wordSize === 4 && this.addrSize === 8 ? 1 : 0);
    return this;
  }

  /** 0x05 HEADER (the flags byte only when version >= 4). */
  header(version: number, flags: number, interpreter: string): this {
    this.version = version;
    this.flags = flags;
    const name = utf8.encode(interpreter);
    this.u8(MARKER_HEADER)
      .u8(version >> 8)
      .u8(version & 0xff);
    if (version >= 4) this.u8(flags);
    return this.u8(name.length).bytes_(name);
  }

  /** 0x04 legacy interpreter name (pre-2016 files; version 0 layout). */
  legacyInterpreter(interpreter: string): this {
    const name = utf8.encode(interpreter);
    this.version = 0;
    this.flags = 0;
    return this.u8(MARKER_INTERP_NAME).u8(name.length).bytes_(name);
  }

  private timeval(ms: number): void {
    const sec = Math.floor(ms / 1000);
    const usec = Math.round((ms - sec * 1000) * 1000);
    this.int(sec, 8);
    this.int(usec, 8);
    this.bytes_(new Uint8Array(8));
  }

  startTime(ms: number): this {
    this.u8(MARKER_TIME_N_ZONE);
    this.timeval(ms);
    return this;
  }

  meta(key: string, value: string): this {
    const k = utf8.encode(key);
    const v = utf8.encode(value);
    return this.u8(MARKER_META).word(k.length).bytes_(k).word(v.length).bytes_(v);
  }

  /** 0x02 (code) or 0x08 (native symbol) name record. */
  name(uid: Address, text: string, marker = MARKER_VIRTUAL_IP): this {
    const t = utf8.encode(text);
    return this.u8(marker).addr(uid).word(t.length).bytes_(t);
  }

  nativeSymbol(uid: Address, text: string): this {
    return this.name(uid, text, MARKER_NATIVE_SYMBOLS);
  }

  /**
   * 0x01 STACKTRACE with raw entries as they go on disk (innermost first; pairs in lines and
   * PyPy modes). `countOrTime` is the count word, or the sample time in seconds for version 7.
   */
  stack(entries: ArrayLike<Address>, thread: Address = 0, rss: Address = 0, countOrTime: number = 1): this {
    const a = this.addrSize;
    this.ensure(1 + 8 + this.wordSize + entries.length * a + 2 * a);
    this.u8(MARKER_STACKTRACE);
    if (this.version >= 7) {
      this.view.setFloat64(this.len, countOrTime, true);
      this.len += 8;
    } else {
      this.word(countOrTime);
    }
    this.word(entries.length);
    for (let i = 0; i < entries.length; i++) this.int(entries[i], a);
    if (this.version >= 1) this.addr(thread);
    const memory = this.version >= 4 ? (this.flags & FLAG_MEMORY) !== 0 : this.version === 3;
    if (memory) this.addr(rss);
    this.maybeFlush();
    return this;
  }

  /** 0x03 TRAILER (with the stop time when version >= 5). */
  trailer(stopMs = 0): this {
    this.u8(MARKER_TRAILER);
    if (this.version >= 5) this.timeval(stopMs);
    return this;
  }

  /** Everything written (or, with onChunk, flushes the rest and returns an empty array). */
  bytes(): Uint8Array {
    if (this.onChunk) {
      this.flush();
      return new Uint8Array(0);
    }
    return this.buf.slice(0, this.len);
  }
}

function threadIdValue(id: string, index: number): Address {
  if (/^\d{1,19}$/.test(id)) return BigInt(id);
  if (/^0x[0-9a-f]{1,16}$/i.test(id)) return BigInt(id);
  return index + 1;
}

/** `py:name:line:file` with ':' in the name replaced by ';' as PyPy does, so the name splits back. */
function codeName(lang: string, name: string, line: number, file: string): string {
  return `${lang}:${name.replace(/:/g, ';')}:${line}:${file || '-'}`;
}

const TIME_UNIT_MS: Record<string, number> = { ms: 1, us: 1e-3, ns: 1e-6 };

/** A Profile as a version 6 VMProf file (64-bit words, little-endian). */
export function writeVmprof(profile: Profile, options: WriteOptions = {}): Uint8Array {
  const { funcs, frames, stacks } = profile;
  const threadIndices = options.threads ?? profile.threads.map((_, i) => i);
  const threads = threadIndices.map((i) => profile.threads[i]);
  let jitOrGc = false;
  let anyLine = false;
  for (let f = 0; f < frames.length; f++) {
    const c = frames.category[f];
    if (c === CATEGORY_JIT || c === CATEGORY_GC) jitOrGc = true;
    if (frames.line[f] > 0) anyLine = true;
  }
  // PyPy stacks are tagged; readers also take the interpreter name `pypy` to mean tagged stacks
  const rpython = profile.meta.flags.includes('rpython') || profile.meta.interpreter === 'pypy' || jitOrGc;
  const lines = anyLine && !rpython;
  const memory = threads.some((t) => t.samples.rss !== null);
  const flags = (memory ? FLAG_MEMORY : 0) | (lines ? FLAG_LINES : 0) | (rpython ? FLAG_RPYTHON : 0);
  // VMProf counts samples: a weight becomes that many samples of one period. Profiles that are
  // not sampled (a trace in ms, a heap profile in bytes) would become billions of samples, so
  // the period (time) or the weight of one sample (other units) grows to keep them to MAX_SAMPLES.
  const unitMs = TIME_UNIT_MS[profile.meta.weightUnit];
  let totalWeight = 0;
  for (const t of threads) for (let i = 0; i < t.samples.length; i++) totalWeight += Math.max(0, t.samples.weight[i]);
  let periodUsec = Math.max(1, Math.round((profile.meta.interval || 1) * 1000));
  let perSample = 1;
  if (unitMs !== undefined) periodUsec = Math.max(periodUsec, Math.ceil((totalWeight * unitMs * 1000) / MAX_SAMPLES));
  else perSample = Math.max(1, totalWeight / MAX_SAMPLES);
  const enc = new VmprofEncoder({ wordSize: 8, periodUsec });
  enc.staticHeader(periodUsec);
  enc.header(6, flags, rpython ? 'pypy' : profile.meta.interpreter || 'cpython');
  const start = profile.meta.startTime || 0;
  enc.startTime(start);
  for (const [k, v] of Object.entries(profile.meta.extra)) {
    // Thread names are written from the threads below: a profile read from VMProf has them in
    // extra too, and vmprof's reader refuses a file with a key twice ("key duplication").
    if (k === 'word_size' || k === 'addr_size' || k.startsWith('thread_name:') || k.startsWith('thread_renamed:')) continue;
    enc.meta(k, v);
  }
  const threadIds = threads.map((t, i) => threadIdValue(t.id, i));
  // thread names are keyed by the id as readers print it: decimal on PyPy/Windows, else a hex pointer
  const decimalIds = rpython || /^win/i.test(profile.meta.extra.os ?? '');
  threads.forEach((t, i) => {
    const v = BigInt(threadIdValue(t.id, i));
    const id = v === 0n ? '0' : decimalIds ? v.toString() : `0x${v.toString(16)}`;
    if (t.name) enc.meta(`thread_name:${id}`, t.name);
  });

  // uids: 16 * (func + 1); native functions odd (the native-frame mark) outside PyPy mode
  const uid = (func: number): number => 16 * (func + 1) + (!rpython && funcs.kind[func] === KIND_NATIVE ? 1 : 0);
  for (let f = 0; f < funcs.length; f++) {
    const name = profile.strings[funcs.name[f]];
    const file = funcs.file[f] < 0 ? '' : profile.strings[funcs.file[f]];
    if (funcs.kind[f] === KIND_NATIVE) enc.nativeSymbol(uid(f), codeName('n', name, funcs.line[f], file));
    else if (funcs.kind[f] !== KIND_GC || !rpython) enc.name(uid(f), codeName('py', name, funcs.line[f], file));
  }

  // raw entries per stack, innermost first, computed once per stack
  const encoded = new Map<number, number[]>();
  let truncatedStacks = 0;
  const entriesOf = (stack: number): number[] => {
    let e = encoded.get(stack);
    if (e) return e;
    const rootFirst: number[] = [];
    for (let s = stack; s >= 0; s = stacks.prefix[s]) rootFirst.push(stacks.frame[s]);
    rootFirst.reverse();
    const out: number[] = [];
    for (let i = 0; i < rootFirst.length; i++) {
      const frame = rootFirst[i];
      const func = frames.func[frame];
      if (rpython) {
        const jit = frames.category[frame] === CATEGORY_JIT;
        if (funcs.kind[func] === KIND_GC) out.push(TAG_GC, 0);
        else if (funcs.kind[func] === KIND_NATIVE) out.push(TAG_NATIVE, uid(func));
        else out.push(jit ? TAG_JITTED : TAG_CODE, uid(func));
        const nextJit = i + 1 < rootFirst.length && frames.category[rootFirst[i + 1]] === CATEGORY_JIT;
        // the machine code of a run of JIT frames follows its innermost one
        if (jit && !nextJit) out.push(TAG_ASSEMBLER, 0x100000 + 16 * func);
      } else if (lines) {
        out.push(frames.line[frame], uid(func));
      } else {
        out.push(uid(func));
      }
    }
    // to disk order: innermost first, pairs kept in (kind|line, value) order
    const width = rpython || lines ? 2 : 1;
    e = [];
    for (let i = out.length - width; i >= 0; i -= width) for (let j = 0; j < width; j++) e.push(out[i + j]);
    // Readers (ours and vmprof's) refuse deeper stacks: keep the innermost entries, say so once.
    if (e.length > MAX_DEPTH) {
      truncatedStacks++;
      e.length = MAX_DEPTH - (MAX_DEPTH % width);
    }
    encoded.set(stack, e);
    return e;
  };

  // samples of all threads in time order
  const order: [number, number, number][] = [];
  threads.forEach((t, ti) => {
    for (let i = 0; i < t.samples.length; i++) order.push([t.samples.time[i], ti, i]);
  });
  order.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  for (const [, ti, i] of order) {
    const t = threads[ti];
    const w = t.samples.weight[i];
    const repeats = unitMs !== undefined ? Math.round((w * unitMs * 1000) / periodUsec) : Math.round(w / perSample);
    if (repeats <= 0) continue;
    const entries = t.samples.stack[i] >= 0 ? entriesOf(t.samples.stack[i]) : [];
    const rss = t.samples.rss ? t.samples.rss[i] : 0;
    const rssValue = Number.isFinite(rss) && rss > 0 ? Math.round(rss) : 0;
    for (let r = 0; r < repeats; r++) enc.stack(entries, threadIds[ti], rssValue, 1);
  }
  if (truncatedStacks > 0) {
    options.warn?.(
      `${truncatedStacks} stack${truncatedStacks > 1 ? 's were' : ' was'} deeper than VMProf's ${MAX_DEPTH} entries: only the innermost ${MAX_DEPTH} were written`,
    );
  }
  const stop = profile.meta.endTime || (start ? start + order.length * (periodUsec / 1000) : 0);
  enc.trailer(stop);
  return enc.bytes();
}
