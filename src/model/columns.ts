/**
 * Growable typed-array columns, an integer-pair hash map and working arrays that free their
 * memory at once: the building blocks the ProfileBuilder and the readers use so that millions
 * of samples stay in flat memory instead of millions of small objects.
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
 * Open-addressing hash map from a pair of int32 keys to an int32 value >= 0. Keys and value sit
 * side by side in one array ([a, b, value + 1] per slot, value + 1 === 0 marks an empty slot), so
 * a probe reads one cache line: the hot path of every reader interns stacks by (prefix, frame),
 * and the VMProf reader looks up every frame of a new stack in tables that outgrow the CPU cache.
 * Far faster than a Map with composite keys.
 */
export class IntPairMap {
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    let capacity = 1;
    while (capacity < initialCapacity * 2) capacity <<= 1;
    this.slots = new Int32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 13);
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const slots = this.slots;
    for (let i = IntPairMap.hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[3 * i + 2];
      if (v === 0) return -1;
      if (slots[3 * i] === a && slots[3 * i + 1] === b) return v - 1;
    }
  }

  /** Sets the value (>= 0) of a key pair. */
  set(a: number, b: number, value: number): void {
    const slots = this.slots;
    for (let i = IntPairMap.hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[3 * i + 2];
      if (v !== 0 && (slots[3 * i] !== a || slots[3 * i + 1] !== b)) continue;
      slots[3 * i + 2] = value + 1;
      if (v !== 0) return;
      slots[3 * i] = a;
      slots[3 * i + 1] = b;
      if (++this.size * 2 > this.mask + 1) this.grow();
      return;
    }
  }

  /** The value of a key pair; when absent, stores `value` (>= 0) for it and returns -1. One probe sequence for both. */
  getOrSet(a: number, b: number, value: number): number {
    const slots = this.slots;
    for (let i = IntPairMap.hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[3 * i + 2];
      if (v === 0) {
        slots[3 * i] = a;
        slots[3 * i + 1] = b;
        slots[3 * i + 2] = value + 1;
        if (++this.size * 2 > this.mask + 1) this.grow();
        return -1;
      }
      if (slots[3 * i] === a && slots[3 * i + 1] === b) return v - 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = (old.length / 3) * 2 - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 2] !== 0) this.set(old[i], old[i + 1], old[i + 2] - 1);
  }
}

// ---- Working arrays that give their memory back at once ----

export type WorkingArray = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;
type WorkingArrayType<T extends WorkingArray> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};
type Resizable = ArrayBuffer & { resizable?: boolean; resize?(byteLength: number): void };

/**
 * Resizable ArrayBuffers (ES2024: Node 20, current browsers) give their memory back the moment
 * they are resized to 0, without waiting for a garbage collection. A reader that keeps big
 * working arrays (the VMProf reader's sample blocks and proto stack nodes) puts them in such
 * buffers, so that growing one frees the old copy at once and finishing lets go of them as the
 * model is built: the peak is the model, not model + garbage. Only arrays written in bulk should
 * be releasable: elements of resizable-backed arrays are slower to read and write one by one
 * (measured on Node 20: the VMProf parse ran 2x slower with every working array resizable).
 */
const RESIZABLE = (() => {
  try {
    const ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable;
    return new ctor(0, { maxByteLength: 8 }).resizable === true;
  } catch {
    return false;
  }
})();

/** A zeroed working array; `releasable`: one that releaseArray() frees at once. */
export function workingArray<T extends WorkingArray>(type: WorkingArrayType<T>, length: number, releasable = false): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  const buffer =
    RESIZABLE && releasable
      ? new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(bytes, { maxByteLength: bytes })
      : new ArrayBuffer(bytes);
  return new type(buffer, 0, length);
}

/** Frees a working array's memory now (when releasable); the array must not be used again. */
export function releaseArray(a: WorkingArray): void {
  const buffer = a.buffer as Resizable;
  if (buffer.resizable && buffer.resize) buffer.resize(0);
}

/** `block` itself when it is an ordinary array, else a copy in `scratch` (a bulk copy is fast; reading elements one by one is not). */
export function readableArray<T extends WorkingArray>(block: WorkingArray, scratch: T): T | WorkingArray {
  if ((block.buffer as Resizable).resizable !== true) return block;
  scratch.set(block as never);
  return scratch;
}

/** A releasable copy of a working array. */
export function releasableCopy<T extends WorkingArray>(a: T): T {
  const copy = workingArray(a.constructor as unknown as WorkingArrayType<T>, a.length, true);
  copy.set(a as never);
  return copy;
}

/** A grown copy of a working array (at least doubled, at least `min` long); the old one is released. */
export function grownArray<T extends WorkingArray>(a: T, min: number): T {
  let cap = a.length * 2;
  if (cap < min) cap = min;
  const next = workingArray(a.constructor as unknown as WorkingArrayType<T>, cap, (a.buffer as Resizable).resizable === true);
  next.set(a as never);
  releaseArray(a);
  return next;
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
