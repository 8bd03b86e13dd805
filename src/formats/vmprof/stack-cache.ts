/**
 * The VMProf reader's stack cache: raw stack bytes -> proto stack. A hash over the record's
 * address words finds an earlier identical stack, and the sample reuses it without walking the
 * frames again. A hit is always confirmed exactly. Plain stacks (CPython without lines) are
 * confirmed against the proto stack tree itself, which keeps each node's raw entry: no copy of
 * the record is kept, so the cache costs a few words per distinct stack. Other layouts (PyPy's
 * tagged pairs, lines mode) keep the raw bytes of each distinct stack in one arena, capped
 * (STACK_CACHE_BYTES): beyond it stacks are walked every time.
 */
import { grownArray, releaseArray, workingArray } from '../../model/columns.js';
import type { ProtoStacks } from './proto-stacks.js';

/** What lookup() returns for a stack it has not seen. */
export const NOT_CACHED = -2;
/** Raw bytes of distinct stacks kept for the stack cache. */
const STACK_CACHE_BYTES = 64 * 1024 * 1024;
/** An entry whose raw bytes are not in the arena (a plain stack: the tree holds its entries). */
const IN_TREE = -1;

export class StackCache {
  private slots = workingArray(Int32Array, 1 << 10); // entry + 1, 0 = empty
  private mask = (1 << 10) - 1;
  private hash = workingArray(Int32Array, 256);
  private offset = workingArray(Int32Array, 256);
  private length = workingArray(Int32Array, 256);
  private stack = workingArray(Int32Array, 256);
  private count = 0;
  private arena = new Uint8Array(1 << 12);
  /** The arena as little-endian int32 words (stacks are whole words, stored at word offsets). */
  private arenaWords = new Int32Array(this.arena.buffer);
  private arenaDoubles = new Float64Array(this.arena.buffer);
  private arenaUsed = 0;
  /** The hash and free slot of the stack the last lookup missed: remember() stores it there. */
  private pendingHash = 0;
  private pendingSlot = 0;

  constructor(private readonly tree: ProtoStacks) {}

  /** The proto stack of identical raw entries view[from, to) seen before, or NOT_CACHED. */
  lookup(view: DataView, from: number, to: number): number {
    // The hash reads a sample of the words (the innermost 32 bytes, where stacks differ
    // most, and a stride through the rest); the byte comparison below then reads them all.
    // One full pass over the stack, not two.
    const len = to - from;
    let h = Math.imul(len, 0x9e3779b1);
    const dense = Math.min(to, from + 32);
    for (let p = from; p < dense; p += 4) h = Math.imul(h ^ view.getInt32(p, true), 0x01000193);
    const step = len > 128 ? (len >>> 4) & ~3 : 4;
    for (let p = dense; p < to; p += step) h = Math.imul(h ^ view.getInt32(p, true), 0x01000193);
    if (to > dense) h = Math.imul(h ^ view.getInt32(to - 4, true), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    this.pendingHash = h;
    const mask = this.mask;
    const arena = this.arenaDoubles;
    const words = this.arenaWords;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.slots[slot] - 1;
      if (e < 0) {
        this.pendingSlot = slot;
        return NOT_CACHED;
      }
      if (this.hash[e] !== h || this.length[e] !== len) continue;
      const offset = this.offset[e];
      if (offset === IN_TREE) {
        if (this.tree.matchesPlainStack(view, from, to, this.stack[e])) return this.stack[e];
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
      if (p === end8 && (end8 === to || words[2 * q] === view.getInt32(p, true))) return this.stack[e];
    }
  }

  /** Caches the stack the last lookup missed, keeping its raw bytes buf[from, to) in the arena. */
  remember(buf: Uint8Array, from: number, to: number, stack: number): void {
    const len = to - from;
    if (this.arenaUsed + len > STACK_CACHE_BYTES) return;
    if (this.arenaUsed + len + 8 > this.arena.length) {
      this.arena = grownArray(this.arena, (this.arenaUsed + len + 15) & ~7); // a whole number of doubles
      this.arenaWords = new Int32Array(this.arena.buffer);
      this.arenaDoubles = new Float64Array(this.arena.buffer);
    }
    this.arena.set(buf.subarray(from, to), this.arenaUsed);
    this.add(len, stack, this.arenaUsed);
    this.arenaUsed += (len + 7) & ~7; // entries start at 8-byte offsets (read as doubles)
  }

  /** Caches the plain stack the last lookup missed: its entries are checked against the tree, not stored. */
  rememberPlain(len: number, stack: number): void {
    this.add(len, stack, IN_TREE);
  }

  private add(len: number, stack: number, offset: number): void {
    const e = this.count++;
    if (e >= this.hash.length) {
      this.hash = grownArray(this.hash, e + 1);
      this.offset = grownArray(this.offset, e + 1);
      this.length = grownArray(this.length, e + 1);
      this.stack = grownArray(this.stack, e + 1);
    }
    this.hash[e] = this.pendingHash;
    this.offset[e] = offset;
    this.length[e] = len;
    this.stack[e] = stack;
    this.slots[this.pendingSlot] = e + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    releaseArray(this.slots);
    this.slots = workingArray(Int32Array, size);
    this.mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      let slot = this.hash[e] & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = e + 1;
    }
  }

  /** Forgets every stack (a stack's meaning depends on the layout, which just changed). */
  clear(): void {
    this.slots.fill(0);
    this.count = 0;
    this.arenaUsed = 0;
  }

  /** Lets the memory go: no more lookups. */
  release(): void {
    for (const a of [this.arena, this.slots, this.hash, this.offset, this.length, this.stack]) releaseArray(a);
    this.arena = new Uint8Array(8);
    this.arenaWords = new Int32Array(this.arena.buffer);
    this.arenaDoubles = new Float64Array(this.arena.buffer);
    this.arenaUsed = 0;
    this.slots = new Int32Array(1);
    this.mask = 0;
    this.count = 0;
    this.hash = this.offset = this.length = this.stack = new Int32Array(0);
  }
}
