/**
 * Growable typed-array columns and an integer-pair hash map: the building
 * blocks the ProfileBuilder uses so that millions of samples stay in flat
 * memory instead of millions of small objects.
 */

type TypedArray = Int32Array | Uint8Array | Float64Array;
type TypedArrayCtor<T extends TypedArray> = { new (length: number): T };

export class GrowableColumn<T extends TypedArray> {
  data: T;
  length = 0;
  private readonly ctor: TypedArrayCtor<T>;

  constructor(ctor: TypedArrayCtor<T>, initialCapacity = 1024) {
    this.ctor = ctor;
    this.data = new ctor(initialCapacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i];
  }

  private grow(minCapacity: number): void {
    let capacity = this.data.length * 2;
    if (capacity < minCapacity) capacity = minCapacity;
    const next = new this.ctor(capacity);
    next.set(this.data as never);
    this.data = next;
  }

  /** A right-sized copy (the builder hands these to the finished Profile). */
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Open-addressing hash map from a pair of non-negative-or--1 int32 keys to an
 * int32 value. Used to intern stacks by (prefix, frame): far faster than a Map
 * with composite keys on the hot path of every reader. Each slot's two keys and
 * value sit side by side (16 bytes, four slots to a cache line): a lookup in a
 * table of millions costs one cache miss, not three.
 */
export class IntPairMap {
  /** Slot i: [keyA, keyB, value, unused] at 4i; value -1 marks an empty slot. */
  private table: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    let capacity = 1;
    while (capacity < initialCapacity * 2) capacity <<= 1;
    this.table = IntPairMap.emptyTable(capacity);
    this.mask = capacity - 1;
  }

  private static emptyTable(capacity: number): Int32Array {
    const table = new Int32Array(capacity * 4);
    for (let i = 2; i < table.length; i += 4) table[i] = -1;
    return table;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h;
  }

  get(a: number, b: number): number {
    const table = this.table;
    let slot = IntPairMap.hash(a, b) & this.mask;
    for (;;) {
      const at = slot << 2;
      const v = table[at + 2];
      if (v === -1) return -1;
      if (table[at] === a && table[at + 1] === b) return v;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Sets a value (>= 0) for a key pair. */
  set(a: number, b: number, value: number): void {
    this.insert(a, b, value, true);
  }

  /** The value of a key pair; when absent, stores `value` (>= 0) for it and returns -1. One probe sequence for both. */
  getOrSet(a: number, b: number, value: number): number {
    return this.insert(a, b, value, false);
  }

  private insert(a: number, b: number, value: number, overwrite: boolean): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash();
    const table = this.table;
    let slot = IntPairMap.hash(a, b) & this.mask;
    for (;;) {
      const at = slot << 2;
      const v = table[at + 2];
      if (v === -1) {
        table[at] = a;
        table[at + 1] = b;
        table[at + 2] = value;
        this.size++;
        return -1;
      }
      if (table[at] === a && table[at + 1] === b) {
        if (overwrite) table[at + 2] = value;
        return v;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private rehash(): void {
    const old = this.table;
    const capacity = (this.mask + 1) * 2;
    this.table = IntPairMap.emptyTable(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at + 2] !== -1) this.insert(old[at], old[at + 1], old[at + 2], true);
    }
  }
}

/**
 * Builds a stack prefix tree: interns (prefix, frame) pairs so each appears
 * once, numbering stacks so a prefix always precedes its children. Shared by
 * ProfileBuilder and the view transforms, which rebuild the table.
 */
export class StackTableBuilder {
  private readonly frame = new GrowableColumn(Int32Array);
  private readonly prefix = new GrowableColumn(Int32Array);
  private readonly depth = new GrowableColumn(Int32Array);
  private readonly index = new IntPairMap(1 << 12);

  get length(): number {
    return this.frame.length;
  }

  /** The stack that is `prefix` (-1 for none) with `frame` on top, created on first use. */
  stack(prefix: number, frame: number): number {
    let s = this.index.get(prefix, frame);
    if (s === -1) {
      s = this.frame.length;
      this.frame.push(frame);
      this.prefix.push(prefix);
      this.depth.push(prefix < 0 ? 1 : this.depth.get(prefix) + 1);
      this.index.set(prefix, frame, s);
    }
    return s;
  }

  finish(): { length: number; frame: Int32Array; prefix: Int32Array; depth: Int32Array } {
    return { length: this.frame.length, frame: this.frame.finish(), prefix: this.prefix.finish(), depth: this.depth.finish() };
  }
}
