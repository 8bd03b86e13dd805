/**
 * A reader for CPython's `marshal` serialisation, enough of it for pstats files
 * (and anything else made of plain data: no code objects).
 *
 * Layout: each value starts with one type byte; bit 0x80 of that byte (FLAG_REF)
 * means "remember this value": it gets the next slot in a reference table, and a
 * later `r` + u32 slot number stands for the same value. The slot is reserved when
 * the value starts (before a container's children are read), as CPython does.
 * All integers are little-endian.
 *
 *   0 NULL (ends a dict)   N None   F False   T True   S StopIteration   . Ellipsis
 *   i int32                I int64 (old)            l long: int32 n, |n| 15-bit digits (sign of n)
 *   f float as text: u8 len + ascii                 g float64
 *   x complex as two text floats                    y complex as two float64
 *   s bytes: int32 len     t interned str (old)     u str: int32 len + utf-8
 *   a / A ascii (/interned): int32 len              z / Z short ascii (/interned): u8 len
 *   ( tuple: int32 n       ) small tuple: u8 n      [ list: int32 n
 *   { dict: key value pairs until NULL              < set / > frozenset: int32 n
 *   r reference: u32 slot                           c code object (see readCode)
 */
import { ProfileFormatError } from '../errors.js';

/** A marshalled dict, kept as ordered entries because its keys are usually tuples. */
export class MarshalDict {
  readonly keys: MarshalValue[] = [];
  readonly values: MarshalValue[] = [];
  /** Byte offset where each key starts (for error messages). */
  readonly offsets: number[] = [];
}

export class MarshalSet {
  constructor(
    readonly items: MarshalValue[],
    readonly frozen: boolean,
  ) {}
}

/** What is kept of a code object: enough to name it. */
export interface MarshalCode {
  code: { name: string; filename: string; firstLineNumber: number };
}

export interface MarshalComplex {
  real: number;
  imag: number;
}

/** Tuples and lists are both JS arrays. `bytes` are Uint8Array, `str` are strings. */
export type MarshalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | MarshalValue[]
  | MarshalDict
  | MarshalSet
  | MarshalComplex
  | MarshalCode
  | { special: 'StopIteration' | 'Ellipsis' };

const FLAG_REF = 0x80;
/** Deeper nesting than this is hostile or corrupt input; refuse instead of overflowing the JS stack. */
const MAX_DEPTH = 200;

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/**
 * Short ASCII strings (names, file paths: nearly every string in a pstats file)
 * are built directly; a TextDecoder call costs more than the string itself.
 */
function decodeText(bytes: Uint8Array, decoder: TextDecoder): string {
  if (bytes.length > 128) return decoder.decode(bytes);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b >= 0x80) return decoder.decode(bytes);
    out += String.fromCharCode(b);
  }
  return out;
}

export class MarshalReader {
  private pos = 0;
  private readonly view: DataView;
  private readonly refs: MarshalValue[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    private readonly format = 'marshal',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  fail(detail: string, offset = this.pos): never {
    throw new ProfileFormatError(this.format, detail, offset);
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      this.fail(`truncated: ${what} needs ${n} bytes, ${Math.max(0, this.bytes.length - this.pos)} left`);
    }
  }

  private u8(): number {
    this.need(1, 'a byte');
    return this.bytes[this.pos++];
  }

  private i32(): number {
    this.need(4, 'an int32');
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private length(what: string): number {
    const start = this.pos;
    const n = this.i32();
    if (n < 0) this.fail(`negative ${what} length ${n}`, start);
    return n;
  }

  private f64(): number {
    this.need(8, 'a float64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  private take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private textFloat(): number {
    const n = this.u8();
    const text = latin1.decode(this.take(n, 'a text float'));
    const v = Number(text);
    if (Number.isNaN(v) && !/nan/i.test(text)) this.fail(`bad text float ${JSON.stringify(text)}`);
    return v;
  }

  /** Reads one value. */
  read(depth = 0): MarshalValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const start = this.pos;
    const code = this.u8();
    // Reserve the reference slot before reading children, as CPython numbers them.
    const slot = (code & FLAG_REF) !== 0 ? this.refs.push(null) - 1 : -1;
    const type = code & ~FLAG_REF;
    let value: MarshalValue;
    switch (type) {
      case 0x4e /* N */:
        value = null;
        break;
      case 0x46 /* F */:
        value = false;
        break;
      case 0x54 /* T */:
        value = true;
        break;
      case 0x53 /* S */:
        value = { special: 'StopIteration' };
        break;
      case 0x2e /* . */:
        value = { special: 'Ellipsis' };
        break;
      case 0x69 /* i */:
        value = this.i32();
        break;
      case 0x49 /* I */:
        {
          this.need(8, 'an int64');
          const v = this.view.getBigInt64(this.pos, true);
          this.pos += 8;
          value = Number.isSafeInteger(Number(v)) ? Number(v) : v;
          break;
        }
      case 0x6c /* l */:
        {
          const n = this.i32();
          const count = Math.abs(n);
          this.need(count * 2, 'long digits');
          let v = 0n;
          for (let i = count - 1; i >= 0; i--) {
            const digit = this.view.getUint16(this.pos + i * 2, true);
            if (digit > 0x7fff) this.fail('long digit out of range', this.pos + i * 2);
            v = (v << 15n) | BigInt(digit);
          }
          this.pos += count * 2;
          if (n < 0) v = -v;
          value = Number.isSafeInteger(Number(v)) ? Number(v) : v;
          break;
        }
      case 0x66 /* f */:
        value = this.textFloat();
        break;
      case 0x67 /* g */:
        value = this.f64();
        break;
      case 0x78 /* x */:
        {
          const real = this.textFloat();
          value = { real, imag: this.textFloat() };
          break;
        }
      case 0x79 /* y */:
        {
          const real = this.f64();
          value = { real, imag: this.f64() };
          break;
        }
      case 0x73 /* s */:
        value = this.take(this.length('bytes'), 'bytes').slice();
        break;
      case 0x74 /* t */:
      case 0x75 /* u */:
        value = decodeText(this.take(this.length('string'), 'a string'), utf8);
        break;
      case 0x61 /* a */:
      case 0x41 /* A */:
        value = decodeText(this.take(this.length('string'), 'an ascii string'), latin1);
        break;
      case 0x7a /* z */:
      case 0x5a /* Z */:
        value = decodeText(this.take(this.u8(), 'a short ascii string'), latin1);
        break;
      case 0x28 /* ( */:
      case 0x5b /* [ */:
        return this.sequence(this.length('tuple'), slot, depth);
      case 0x29 /* ) */:
        return this.sequence(this.u8(), slot, depth);
      case 0x7b /* { */:
        {
          const dict = new MarshalDict();
          if (slot >= 0) this.refs[slot] = dict;
          for (;;) {
            this.need(1, 'a dict key');
            if (this.bytes[this.pos] === 0x30 /* '0' NULL */) {
              this.pos++;
              return dict;
            }
            dict.offsets.push(this.pos);
            dict.keys.push(this.read(depth + 1));
            dict.values.push(this.read(depth + 1));
          }
        }
      case 0x3c /* < */:
      case 0x3e /* > */:
        {
          const n = this.length('set');
          const set = new MarshalSet([], type === 0x3e);
          if (slot >= 0) this.refs[slot] = set;
          for (let i = 0; i < n; i++) set.items.push(this.read(depth + 1));
          return set;
        }
      case 0x72 /* r */:
        {
          const index = this.i32() >>> 0;
          if (index >= this.refs.length) this.fail(`back-reference ${index} to an unknown value (${this.refs.length} known)`, start);
          return this.refs[index];
        }
      case 0x63 /* c */:
        return this.readCode(slot, depth, start);
      case 0x30 /* 0 */:
        return this.fail('unexpected NULL', start);
      default:
        return this.fail(`unknown marshal type byte 0x${code.toString(16).padStart(2, '0')}`, start);
    }
    if (slot >= 0) this.refs[slot] = value;
    return value;
  }

  /**
   * Code objects appear in pstats keys written by the pure-Python `profile`
   * module. Their layout depends on the Python version that wrote them:
   * 3.11+: 5 int32 (argcount, posonly, kwonly, stacksize, flags), then code,
   *   consts, names, localsplusnames, localspluskinds, filename, name, qualname,
   *   int32 firstlineno, linetable, exceptiontable.
   * 3.8-3.10: 6 int32 (argcount, posonly, kwonly, nlocals, stacksize, flags), then
   *   code, consts, names, varnames, freevars, cellvars, filename, name,
   *   int32 firstlineno, lnotab/linetable.
   * The bytecode (a bytes object, type 's') follows the int32s, which tells the
   * two apart.
   */
  private readCode(slot: number, depth: number, start: number): MarshalCode {
    const code: MarshalCode = { code: { name: '', filename: '', firstLineNumber: 0 } };
    if (slot >= 0) this.refs[slot] = code;
    const isBytes = (at: number) => at < this.bytes.length && (this.bytes[at] & 0x7f) === 0x73;
    let ints: number;
    if (isBytes(this.pos + 20)) ints = 5;
    else if (isBytes(this.pos + 24)) ints = 6;
    else return this.fail('code object of an unknown Python version', start);
    for (let i = 0; i < ints; i++) this.i32();
    // Eight objects before firstlineno in both layouts.
    const values: MarshalValue[] = [];
    for (let i = 0; i < 8; i++) values.push(this.read(depth + 1));
    const first = this.i32();
    const trailing = ints === 5 ? 2 : 1;
    for (let i = 0; i < trailing; i++) this.read(depth + 1);
    const filename = values[ints === 5 ? 5 : 6];
    const name = values[ints === 5 ? 6 : 7];
    code.code.filename = typeof filename === 'string' ? filename : '';
    code.code.name = typeof name === 'string' ? name : '';
    code.code.firstLineNumber = first;
    return code;
  }

  private sequence(n: number, slot: number, depth: number): MarshalValue[] {
    // Every element takes at least one byte: a length beyond the input is corrupt, not a reason to allocate.
    if (n > this.bytes.length - this.pos)
      this.fail(`truncated: a sequence of ${n} items cannot fit in the ${this.bytes.length - this.pos} bytes left`);
    const items: MarshalValue[] = [];
    if (slot >= 0) this.refs[slot] = items;
    for (let i = 0; i < n; i++) items.push(this.read(depth + 1));
    return items;
  }
}

/** Reads exactly one marshalled value; trailing bytes are an error. */
export function readMarshal(bytes: Uint8Array, format = 'marshal'): MarshalValue {
  const reader = new MarshalReader(bytes, format);
  const value = reader.read();
  if (!reader.atEnd) reader.fail(`${bytes.length - reader.offset} unexpected bytes after the value`);
  return value;
}
