/**
 * Reading a running CPython's threads and stacks from outside (see target.ts for how it is
 * found): interpreters → thread states → frames, innermost first.
 *
 * The program keeps running while we read, so every look can meet a stack that changes under
 * it. A walk is checked twice: each frame must point at a code object (its type is PyCode_Type)
 * and the chain must end within MAX_DEPTH; and after the walk the thread's current-frame
 * pointer is read again: if it moved, the stack is torn. A torn stack is dropped and counted
 * (`null`), never returned partly.
 *
 * Code objects are cached by address with their name, file and line-table pointers as a
 * fingerprint: the first time an address is met in a look, its header is read again and
 * compared, so a code object freed and another allocated at the same address is caught.
 */
import { FRAME_OWNED_BY_CSTACK, OB_TYPE, type PythonLayout } from './layouts.js';
import { lineFrom310, lineFromLnotab, lineFromLocations } from './linetable.js';
import { MemoryReadError, type ProcessMemory, u64At } from './memory.js';
import type { PythonTarget } from './target.js';
import { taskIds } from './kernel.js';

export const MAX_DEPTH = 100_000;
const MAX_STRING = 4096;
const MAX_LINETABLE = 1 << 20;
const MAX_CHUNK = 64 << 20;
const BULK_AFTER_FRAMES = 16;
const MAX_CHUNKS = 8192;
/** The most read at once: neighbouring chunks are joined up to this size. */
const MAX_RANGE = 4 << 20;

export interface CodeInfo {
  /** A number unique to this code object among all processes read (addresses can be reused). */
  id: number;
  address: number;
  name: string;
  qualname: string;
  file: string;
  firstLine: number;
  linetable: Uint8Array;
  fingerprint: string;
  /** Line by instruction offset, filled as offsets are met (deep recursions meet few). */
  lines: Map<number, number>;
}

export interface PyFrame {
  code: CodeInfo;
  line: number;
}

export interface PyThread {
  tstate: number;
  /** pthread id (threading.get_ident()) */
  threadId: number;
  /** kernel thread id (threading.get_native_id()), 0 when unknown */
  tid: number;
}

/** Code ids are unique across readers: one run may sample several processes into one file. */
let nextCodeId = 1;

/** A torn read: the caller drops the stack and counts it. */
export class TornStack extends Error {}

export class PythonReader {
  readonly layout: PythonLayout;
  readonly memory: ProcessMemory;
  private readonly codes = new Map<number, CodeInfo>();
  private verified = new Set<number>();
  private codeType: number;
  /** glibc's struct pthread: where the kernel thread id sits (≤3.10 has no native_thread_id). */
  private pthreadTidOffset = -1;
  private readonly tidOf = new Map<number, number>();

  constructor(readonly target: PythonTarget) {
    this.layout = target.layout;
    this.memory = target.memory;
    this.codeType = target.codeType;
  }

  close(): void {
    this.memory.close();
  }

  /** Starts a new look: cached memory is forgotten, code objects are checked again when met. */
  newLook(): void {
    this.memory.newLook();
    this.verified = new Set();
  }

  interpreters(): number[] {
    const out: number[] = [];
    let interp = this.memory.u64(this.target.runtime + this.layout.runtimeInterpretersHead);
    while (interp !== 0 && out.length < 64) {
      out.push(interp);
      interp = this.memory.u64(interp + this.layout.interpNext);
    }
    return out;
  }

  /** Every thread state of every interpreter (empty before the interpreter is initialized). */
  threads(): PyThread[] {
    const L = this.layout;
    const out: PyThread[] = [];
    for (const interp of this.interpreters()) {
      let ts = this.memory.u64(interp + L.interpTstateHead);
      for (let n = 0; ts !== 0 && n < 10_000; n++) {
        const threadId = this.memory.u64(ts + L.tstateThreadId);
        out.push({ tstate: ts, threadId, tid: this.kernelTid(ts, threadId) });
        ts = this.memory.u64(ts + L.tstateNext);
      }
    }
    return out;
  }

  private kernelTid(tstate: number, threadId: number): number {
    const L = this.layout;
    if (L.tstateNativeThreadId !== null) return this.memory.u64(tstate + L.tstateNativeThreadId) % 4294967296;
    const known = this.tidOf.get(threadId);
    if (known !== undefined) return known;
    if (threadId === 0) return 0;
    // ≤3.10: thread_id is the pthread_t, a pointer to glibc's struct pthread, which holds the
    // kernel tid (at 0x2d0 on x86-64 glibc 2.x). Find it once: the offset where a live task id sits.
    let tid = 0;
    try {
      const tasks = this.liveTasks();
      if (this.pthreadTidOffset < 0) {
        const b = this.memory.read(threadId, 2048);
        const order = [0x2d0, ...Array.from({ length: 512 }, (_, i) => i * 4)];
        for (const off of order) {
          if (tasks.has(b.readInt32LE(off))) {
            this.pthreadTidOffset = off;
            break;
          }
        }
      }
      if (this.pthreadTidOffset >= 0) {
        const v = this.memory.read(threadId + this.pthreadTidOffset, 4).readInt32LE(0);
        if (tasks.has(v)) tid = v;
      }
    } catch {
      tid = 0;
    }
    if (tid) this.tidOf.set(threadId, tid);
    return tid;
  }

  private liveTasks(): Set<number> {
    return new Set(taskIds(this.target.pid));
  }

  /** The thread state holding the GIL, 0 when none or not readable. */
  gilHolder(): number {
    const g = this.layout.gil;
    try {
      if (g.inRuntime) {
        if (this.memory.read(this.target.runtime + g.locked, 4).readInt32LE(0) === 0) return 0;
        return this.memory.u64(this.target.runtime + g.lastHolder);
      }
      const interp = this.interpreters()[0];
      if (!interp) return 0;
      const gil = this.memory.u64(interp + g.interpGilPointer);
      if (gil === 0) return 0;
      if (this.memory.read(gil + g.locked, 4).readInt32LE(0) === 0) return 0;
      return this.memory.u64(gil + g.lastHolder);
    } catch {
      return 0;
    }
  }

  /** The address of the thread's innermost frame (0: no Python code running). */
  private topFrame(tstate: number, fresh: boolean): number {
    const L = this.layout;
    const u64 = (a: number) => (fresh ? u64At(this.memory.readFresh(a, 8), 0) : this.memory.u64(a));
    if (L.cframeCurrentFrame === null) return u64(tstate + L.tstateFrame);
    const cframe = u64(tstate + L.tstateFrame);
    return cframe === 0 ? 0 : u64(cframe + L.cframeCurrentFrame);
  }

  /** The thread's Python stack, innermost first; throws TornStack when the read was torn. */
  stack(tstate: number): PyFrame[] {
    try {
      const top = this.topFrame(tstate, false);
      if (top === 0) return [];
      const frames = this.layout.minor >= 11 ? this.walkInterpreterFrames(tstate, top) : this.walkFrameObjects(top);
      if (this.topFrame(tstate, true) !== top) throw new TornStack('the stack changed during the read');
      return frames;
    } catch (err) {
      if (err instanceof TornStack) throw err;
      if (err instanceof MemoryReadError) throw new TornStack(err.message);
      throw new TornStack((err as Error).message);
    }
  }

  /**
   * The stack, read again (from a fresh look) when a read was torn, up to `attempts` reads;
   * null when every one was torn. `onTorn` is called for each torn read.
   */
  stackWithRetries(tstate: number, attempts: number, onTorn: () => void = () => {}): PyFrame[] | null {
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return this.stack(tstate);
      } catch (err) {
        if (!(err instanceof TornStack)) throw err;
        onTorn();
        this.newLook();
      }
    }
    return null;
  }

  private walkFrameObjects(top: number): PyFrame[] {
    const L = this.layout;
    const out: PyFrame[] = [];
    const need = L.frameLasti + 4;
    for (let f = top; f !== 0; ) {
      if (out.length >= MAX_DEPTH) throw new TornStack('frame chain too long');
      const b = out.length > BULK_AFTER_FRAMES ? this.memory.readNear(f, need) : this.memory.read(f, need);
      const code = this.code(u64At(b, L.frameCode));
      const lasti = b.readInt32LE(L.frameLasti);
      let line = code.lines.get(lasti);
      if (line === undefined) {
        line =
          L.minor <= 9
            ? lineFromLnotab(code.linetable, code.firstLine, lasti)
            : lasti < 0
              ? code.firstLine
              : lineFrom310(code.linetable, code.firstLine, lasti * 2);
        code.lines.set(lasti, line);
      }
      out.push({ code, line });
      f = u64At(b, L.frameBack);
    }
    return out;
  }

  private walkInterpreterFrames(tstate: number, top: number): PyFrame[] {
    const L = this.layout;
    // frames live in the thread's data-stack chunks (16 KiB each unless a frame needs more, so a
    // deep recursion has hundreds): chunks next to each other in memory are read as one range
    const chunks: { start: number; end: number; loaded: boolean }[] = [];
    if (L.tstateDatastackChunk !== null) {
      let total = 0;
      for (let c = this.memory.u64(tstate + L.tstateDatastackChunk); c !== 0 && chunks.length < MAX_CHUNKS; ) {
        const head = chunks.length > 2 ? this.memory.readNear(c, 16) : this.memory.read(c, 16);
        const size = u64At(head, 8);
        if (size <= 0 || size > MAX_CHUNK || (total += size) > MAX_CHUNK) break;
        chunks.push({ start: c, end: c + size, loaded: false });
        c = u64At(head, 0);
      }
      chunks.sort((a, b) => a.start - b.start);
      let w = 0;
      for (const c of chunks) {
        if (w > 0 && c.start <= chunks[w - 1].end && c.end - chunks[w - 1].start <= MAX_RANGE)
          chunks[w - 1].end = Math.max(chunks[w - 1].end, c.end);
        else chunks[w++] = c;
      }
      chunks.length = w;
    }
    const out: PyFrame[] = [];
    const need = L.iframeOwner + 1;
    let steps = 0;
    for (let f = top; f !== 0; ) {
      if (++steps > MAX_DEPTH) throw new TornStack('frame chain too long');
      // a shallow stack costs a page read or two; a deep one is read a whole chunk at a time
      if (steps > BULK_AFTER_FRAMES) {
        for (const c of chunks) {
          if (!c.loaded && f >= c.start && f < c.end) {
            this.memory.preload(c.start, c.end - c.start);
            c.loaded = true;
          }
        }
      }
      const b = this.memory.read(f, need);
      const owner = b[L.iframeOwner];
      const codeAddr = u64At(b, L.iframeCode);
      const previous = u64At(b, L.iframePrevious);
      if (owner > FRAME_OWNED_BY_CSTACK) throw new TornStack('not a frame');
      if (!(L.minor >= 12 && owner === FRAME_OWNED_BY_CSTACK)) {
        // 3.13: f_executable may be something else than code (None for some entry frames)
        const code = L.minor >= 13 ? this.codeOrNull(codeAddr) : this.code(codeAddr);
        if (code) {
          const instr = u64At(b, L.iframeInstr);
          const unit = Math.floor((instr - (code.address + (L.codeAdaptive ?? 0))) / 2);
          let line = code.lines.get(unit);
          if (line === undefined) {
            line = lineFromLocations(code.linetable, code.firstLine, unit);
            code.lines.set(unit, line);
          }
          out.push({ code, line });
        }
      }
      f = previous;
    }
    return out;
  }

  private codeOrNull(address: number): CodeInfo | null {
    if (address === 0) return null;
    const type = this.memory.u64(address + OB_TYPE);
    if (this.codeType !== 0 && type !== this.codeType) return null;
    return this.code(address);
  }

  /** The code object at `address`, from the cache when its fingerprint still matches. */
  code(address: number): CodeInfo {
    const cached = this.codes.get(address);
    if (cached && this.verified.has(address)) return cached;
    const L = this.layout;
    const head = this.memory.read(address, L.codeReadSize);
    const type = u64At(head, OB_TYPE);
    if (this.codeType !== 0 && type !== this.codeType) throw new TornStack(`0x${address.toString(16)} is not a code object`);
    const namePtr = u64At(head, L.codeName);
    const filePtr = u64At(head, L.codeFilename);
    const qualPtr = L.codeQualname !== null ? u64At(head, L.codeQualname) : 0;
    const tablePtr = u64At(head, L.codeLinetable);
    const firstLine = head.readInt32LE(L.codeFirstlineno);
    const fingerprint = `${namePtr}:${filePtr}:${qualPtr}:${tablePtr}:${firstLine}`;
    if (cached && cached.fingerprint === fingerprint) {
      this.verified.add(address);
      return cached;
    }
    const name = this.string(namePtr);
    const info: CodeInfo = {
      id: nextCodeId++,
      address,
      name,
      qualname: qualPtr ? this.string(qualPtr) : name,
      file: this.string(filePtr),
      firstLine,
      linetable: this.bytes(tablePtr),
      fingerprint,
      lines: new Map(),
    };
    this.codes.set(address, info);
    this.verified.add(address);
    return info;
  }

  /** A str object's text (compact ASCII, compact UCS1/2/4, or legacy with a data pointer). */
  string(address: number): string {
    const L = this.layout;
    if (address === 0) return '';
    const head = this.memory.read(address, L.compactSize + 8);
    const state = head.readUInt32LE(L.unicodeState);
    const length = u64At(head, L.unicodeLength);
    if (length > MAX_STRING * 16) throw new TornStack('string too long');
    const n = Math.min(length, MAX_STRING);
    const kind = (state >> 2) & 7;
    const compact = (state >> 5) & 1;
    const ascii = (state >> 6) & 1;
    if (kind !== 1 && kind !== 2 && kind !== 4) throw new TornStack('not a str object');
    let data: number;
    if (compact && ascii) data = address + L.asciiSize;
    else if (compact) data = address + L.compactSize;
    else data = u64At(head, L.compactSize);
    const raw = this.memory.read(data, n * kind);
    if (kind === 1) return raw.toString('latin1');
    if (kind === 2) return raw.toString('utf16le');
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCodePoint(Math.min(raw.readUInt32LE(i * 4), 0x10ffff));
    return s;
  }

  /** A bytes object's contents (a copy). */
  bytes(address: number): Uint8Array {
    const L = this.layout;
    if (address === 0) return new Uint8Array(0);
    const size = u64At(this.memory.read(address + L.bytesSize, 8), 0);
    if (size > MAX_LINETABLE) throw new TornStack('bytes object too long');
    return new Uint8Array(this.memory.read(address + L.bytesData, size));
  }
}
