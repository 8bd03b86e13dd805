/**
 * The proto stack tree of the VMProf reader. Names may arrive after the stacks that use them
 * (0x08 records are written at the end), so a stack's raw entries are first turned into "proto
 * frames" (address id, line, kind) and interned as proto stacks (parent, proto frame);
 * functions, frames and stacks are made with ProfileBuilder at the end, when every name is known
 * (build.ts). 64-bit addresses are kept as two uint32 halves.
 *
 * Plain stacks (CPython without lines: every entry an address) are interned by (parent, raw
 * address) directly, one probe per frame; their nodes keep the raw entry, so the stack cache
 * can confirm a hit against the tree without a copy of the record (matchesPlainStack).
 */
import { grownArray, IntPairMap, releaseArray, workingArray } from '../../model/columns.js';
import { TAG_ASSEMBLER, TAG_BLACKHOLE, TAG_CODE, TAG_GC, TAG_JITTED, TAG_JITTING, TAG_NATIVE } from './records.js';

/** The parent of a root proto stack; also "no stack". */
export const NO_STACK = -1;
/** The address of a proto frame that has none (GC, the JIT compiler, ...). */
export const NO_ADDRESS = -1;

/** Proto frame kinds: what a stack entry was, before names are known. */
export const P_PLAIN = 0; // untagged entry (CPython, legacy files): Python code, or native if odd / named n:
export const P_CODE = 1; // PyPy CODE
export const P_JITTED = 2; // PyPy JITTED: Python function running as JIT code
export const P_NATIVE = 3; // PyPy NATIVE tag
export const P_ASSEMBLER = 4; // PyPy ASSEMBLER without JITTED entries
export const P_BLACKHOLE = 5;
export const P_JITTING = 6;
export const P_GC = 7;
export const P_OTHER_TAG = 8; // unknown PyPy kind; the kind number is kept as the "line"

const TWO_32 = 4294967296;

/** A 64-bit address as a map key: one exact number below 2^53, a string above (legacy PyPy code ids carry 0x77 in the top byte). */
export function addressKey(lo: number, hi: number): number | string {
  return hi < 0x200000 ? hi * TWO_32 + lo : `${hi}:${lo}`;
}

export function hexAddress(lo: number, hi: number): string {
  const h = hi >>> 0;
  const l = (lo >>> 0).toString(16);
  return h === 0 ? `0x${l}` : `0x${h.toString(16)}${l.padStart(8, '0')}`;
}

export class ProtoStacks {
  // --- the layout stacks are read in (set by the reader's header) ---
  addrSize = 8;
  rpython = false;
  lines = false;

  // --- addresses seen in stacks ---
  private readonly addrIndex = new IntPairMap(1 << 9); // (lo, hi) -> address id
  private plainFrameByAddr = new IntPairMap(1 << 9); // (lo, hi) -> proto frame of a plain entry, line 0
  addrLo = workingArray(Uint32Array, 1024);
  addrHi = workingArray(Uint32Array, 1024);
  private addrCount = 0;

  // --- proto frames and proto stacks ---
  private readonly frameIndex = new IntPairMap(1 << 9);
  frameAddr = workingArray(Int32Array, 1024); // addr id, NO_ADDRESS for none
  frameLine = workingArray(Int32Array, 1024);
  frameKind = workingArray(Uint8Array, 1024);
  frameCount = 0;
  private stackIndex = new IntPairMap(1 << 9);
  stackPrefix = workingArray(Int32Array, 256);
  stackFrame = workingArray(Int32Array, 256);
  stackCount = 0;
  /**
   * Proto stacks of plain stacks, as the walk made them from raw entries: (lo, hi, parent)
   * per proto stack, side by side so that checking a record against a cached stack reads
   * one cache line per frame. Unused by the other layouts.
   */
  private plainNodes = workingArray(Int32Array, 4 * 256, true); // [lo, hi, parent, last child found + 1] per proto stack
  /**
   * Finds a plain proto stack by (parent, lo, hi): open addressing over proto stack ids
   * (id + 1, 0 = empty) whose keys are read from plainNodes, so the index costs 4 bytes a slot.
   */
  private plainSlots = workingArray(Int32Array, 1 << 10);
  private plainSlotsUsed = 0;
  private pendingPlainSlot = 0;
  private lastRootChild = 0;
  private walkFrames = workingArray(Int32Array, 256);
  /** Which index made proto stacks: both only when the layout changed mid-file. */
  plainWalks = false;
  frameWalks = false;
  /** Whether the last walk was of a plain stack (whose entries the tree itself keeps). */
  lastWalkPlain = false;

  constructor(private readonly warn: (message: string) => void) {}

  /** Turns raw entries (innermost first) into a proto stack, root first. */
  walk(view: DataView, from: number, depth: number): number {
    let n = 0;
    if (this.rpython && depth % 2 === 1) {
      this.warn('PyPy stacks of odd depth (not (kind, value) pairs) were read as untagged addresses');
    }
    if (this.rpython && depth % 2 === 0) n = this.walkTagged(view, from, depth);
    else if (this.lines && !this.rpython) n = this.walkLines(view, from, depth);
    else return this.walkPlain(view, from, depth);
    this.lastWalkPlain = false;
    let stack = NO_STACK;
    for (let i = 0; i < n; i++) {
      const frame = this.walkFrames[i];
      let s = this.stackIndex.get(stack, frame);
      if (s === -1) {
        s = this.newStack(stack, frame);
        this.stackIndex.set(stack, frame, s);
        this.frameWalks = true;
      }
      stack = s;
    }
    return stack;
  }

  /** PyPy: (kind, value) pairs, innermost first. */
  private walkTagged(view: DataView, from: number, depth: number): number {
    const a = this.addrSize;
    let n = 0;
    let previousTag = 0;
    let previousAddr = NO_ADDRESS;
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
          previousAddr = NO_ADDRESS;
          break;
        case TAG_NATIVE:
          n = this.pushWalk(n, this.protoFrame(this.addrId(lo, hi), 0, P_NATIVE));
          previousAddr = NO_ADDRESS;
          break;
        case TAG_BLACKHOLE:
          n = this.pushWalk(n, this.protoFrame(NO_ADDRESS, 0, P_BLACKHOLE));
          previousAddr = NO_ADDRESS;
          break;
        case TAG_JITTING:
          n = this.pushWalk(n, this.protoFrame(NO_ADDRESS, 0, P_JITTING));
          previousAddr = NO_ADDRESS;
          break;
        case TAG_GC:
          n = this.pushWalk(n, this.protoFrame(NO_ADDRESS, 0, P_GC));
          previousAddr = NO_ADDRESS;
          break;
        default:
          n = this.pushWalk(n, this.protoFrame(NO_ADDRESS, tag >= 0 && tag < 0x7fffffff ? tag : -1, P_OTHER_TAG));
          previousAddr = NO_ADDRESS;
      }
      previousTag = tag;
    }
    return n;
  }

  /** Lines mode: pairs (line, address), innermost first; an odd last entry is an address without a line. */
  private walkLines(view: DataView, from: number, depth: number): number {
    const a = this.addrSize;
    let n = 0;
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
    return n;
  }

  /**
   * The common CPython case: every entry is an address. Proto stacks are found by
   * (parent, raw address) directly: one probe per frame instead of three.
   */
  private walkPlain(view: DataView, from: number, depth: number): number {
    const a = this.addrSize;
    let stack = NO_STACK;
    for (let k = depth - 1; k >= 0; k--) {
      const p = from + k * a;
      const lo = view.getInt32(p, true);
      const hi = a === 8 ? view.getInt32(p + 4, true) : lo >> 31;
      if ((lo === 0 && hi === 0) || hi < 0) continue; // zero and negative entries are not code
      let s = this.plainChild(stack, lo, hi);
      if (s === -1) {
        const frame = this.protoFrame(this.addrId(lo >>> 0, hi >>> 0), 0, P_PLAIN);
        s = this.newStack(stack, frame);
        this.addPlainChild(s, stack, lo, hi);
      }
      stack = s;
    }
    this.lastWalkPlain = true;
    return stack;
  }

  /**
   * True when the raw entries buf[from, to) (innermost first) are exactly the plain proto
   * stack `leaf`: the walk from the leaf to the root meets the same non-zero entries.
   */
  matchesPlainStack(view: DataView, from: number, to: number, leaf: number): boolean {
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
    return s === NO_STACK;
  }

  private addrId(lo: number, hi: number): number {
    let id = this.addrIndex.get(lo | 0, hi | 0);
    if (id === -1) {
      id = this.addrCount++;
      if (id >= this.addrLo.length) {
        this.addrLo = grownArray(this.addrLo, id + 1);
        this.addrHi = grownArray(this.addrHi, id + 1);
      }
      this.addrLo[id] = lo;
      this.addrHi[id] = hi;
      this.addrIndex.set(lo | 0, hi | 0, id);
    }
    return id;
  }

  private protoFrame(addr: number, line: number, kind: number): number {
    const key = addr * 16 + kind; // addr ids stay far below 2^27
    let f = this.frameIndex.get(key, line);
    if (f === -1) {
      f = this.frameCount++;
      if (f >= this.frameAddr.length) {
        this.frameAddr = grownArray(this.frameAddr, f + 1);
        this.frameLine = grownArray(this.frameLine, f + 1);
        this.frameKind = grownArray(this.frameKind, f + 1);
      }
      this.frameAddr[f] = addr;
      this.frameLine[f] = line;
      this.frameKind[f] = kind;
      this.frameIndex.set(key, line, f);
    }
    return f;
  }

  private pushWalk(n: number, frame: number): number {
    if (n >= this.walkFrames.length) this.walkFrames = grownArray(this.walkFrames, n + 1);
    this.walkFrames[n] = frame;
    return n + 1;
  }

  /** Reads an address entry: [lo, hi] with hi sign-extended on 4-byte addresses. */
  private entryLo = 0;
  private entryHi = 0;
  private readEntry(view: DataView, p: number): void {
    this.entryLo = view.getUint32(p, true);
    this.entryHi = this.addrSize === 8 ? view.getUint32(p + 4, true) : view.getInt32(p, true) < 0 ? 0xffffffff : 0;
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

  private plainLookup(parent: number, lo: number, hi: number): number {
    const nodes = this.plainNodes;
    const slots = this.plainSlots;
    const mask = slots.length - 1;
    for (let i = ProtoStacks.plainHash(parent, lo, hi) & mask; ; i = (i + 1) & mask) {
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
    if (4 * s + 4 > this.plainNodes.length) this.plainNodes = grownArray(this.plainNodes, 4 * s + 4);
    this.plainNodes[4 * s] = lo;
    this.plainNodes[4 * s + 1] = hi;
    this.plainNodes[4 * s + 2] = parent;
    if (parent < 0) this.lastRootChild = s + 1;
    else this.plainNodes[4 * parent + 3] = s + 1;
    this.plainSlots[this.pendingPlainSlot] = s + 1;
    // up to 3/4 full: most lookups are answered by the last-child hint before the table
    if (++this.plainSlotsUsed * 4 > this.plainSlots.length * 3) {
      const old = this.plainSlots;
      const slots = workingArray(Int32Array, old.length * 2);
      const mask = slots.length - 1;
      const nodes = this.plainNodes;
      for (let j = 0; j < old.length; j++) {
        const v = old[j];
        if (v === 0) continue;
        const n = 4 * (v - 1);
        let i = ProtoStacks.plainHash(nodes[n + 2], nodes[n], nodes[n + 1]) & mask;
        while (slots[i] !== 0) i = (i + 1) & mask;
        slots[i] = v;
      }
      this.plainSlots = slots;
      releaseArray(old);
    }
  }

  /**
   * A new proto stack. Both indexes (by frame, by raw entry) can make one for the same
   * (parent, frame) only if the layout changed mid-file; ProfileBuilder merges such twins.
   */
  private newStack(prefix: number, frame: number): number {
    const s = this.stackCount++;
    if (s >= this.stackPrefix.length) {
      this.stackPrefix = grownArray(this.stackPrefix, s + 1);
      this.stackFrame = grownArray(this.stackFrame, s + 1);
    }
    this.stackPrefix[s] = prefix;
    this.stackFrame[s] = frame;
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
      this.plainFrameByAddr.set(lo | 0, hi | 0, frame);
    }
    return this.pushWalk(n, frame);
  }

  /** Lets the walk's indexes go (no more stacks will come): the peak of a big parse is the build after. */
  releaseIndexes(): void {
    releaseArray(this.plainSlots);
    this.plainSlots = new Int32Array(1);
    this.stackIndex = new IntPairMap(1);
    this.plainFrameByAddr = new IntPairMap(1);
  }

  /** Lets the proto stacks go, once the model's stacks are made. */
  releaseStacks(): void {
    releaseArray(this.stackPrefix);
    releaseArray(this.stackFrame);
    releaseArray(this.plainNodes);
    this.stackPrefix = this.stackFrame = this.plainNodes = workingArray(Int32Array, 0);
  }
}
