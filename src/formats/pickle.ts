/**
 * A small, safe reader for Python pickles (protocols 0-5) holding plain data:
 * None, bools, ints, floats, strings, bytes, tuples, lists, dicts, sets, and
 * instances of classes, which it NEVER imports or calls: a class reference is
 * kept as its name (`PickleGlobal`), and an instance as `PickleObject` (class
 * name, constructor arguments, state). Reading is one pass over the opcodes,
 * linear in the input; opcodes that need outside help (persistent ids, the
 * extension registry, out-of-band buffers) are refused with a clean error.
 *
 * Reference: CPython's Lib/pickletools.py, which documents every opcode.
 */
import { ProfileFormatError } from './errors.js';

export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance (NEWOBJ, REDUCE, OBJ, INST) with the state BUILD gave it. Nothing was run to make it. */
export class PickleObject {
  state: unknown = null;
  constructor(
    readonly cls: PickleGlobal | null,
    readonly args: unknown[],
  ) {}
}

/** A Python tuple (kept apart from lists: dict keys are often tuples). */
export class PickleTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict; keys may be tuples, so entries are kept as pairs. */
export class PickleDict {
  readonly entries: [unknown, unknown][] = [];
  get(key: string): unknown {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

export class PickleSet {
  constructor(readonly items: unknown[]) {}
}

const MARK = Symbol('mark');

/** Parses one pickle; `format` names the caller's format in errors. */
export function readPickle(bytes: Uint8Array, format: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let i = 0;
  let op = 0;
  let opAt = 0;
  const fail = (detail: string, at = opAt): never => {
    throw new ProfileFormatError(format, `pickle: ${detail}`, at);
  };
  const need = (n: number) => {
    if (i + n > bytes.length) fail(`the data ends inside opcode 0x${op.toString(16)}`, bytes.length);
  };
  const u8 = () => (need(1), bytes[i++]);
  const u16 = () => (need(2), (i += 2), view.getUint16(i - 2, true));
  const u32 = () => (need(4), (i += 4), view.getUint32(i - 4, true));
  const i32 = () => (need(4), (i += 4), view.getInt32(i - 4, true));
  const u64 = () => {
    need(8);
    const lo = view.getUint32(i, true);
    const hi = view.getUint32(i + 4, true);
    i += 8;
    if (hi > 0x1fffff) fail('a length beyond 2^53');
    return hi * 2 ** 32 + lo;
  };
  const take = (n: number) => {
    need(n);
    i += n;
    return bytes.subarray(i - n, i);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, i);
    if (end < 0) fail('a text opcode without its newline');
    const text = latin1.decode(bytes.subarray(i, end));
    i = end + 1;
    return text;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('the stack is empty');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) fail('no MARK to pop to');
    return stack.splice(at!);
  };
  /** Little-endian two's-complement integer of `data` (LONG1/LONG4), as a Number. */
  const long = (data: Uint8Array): number => {
    if (data.length === 0) return 0;
    let v = 0n;
    for (let k = data.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(data[k]);
    if (data[data.length - 1] & 0x80) v -= 1n << BigInt(8 * data.length);
    return Number(v);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof PickleDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let k = 0; k < items.length; k += 2) (dict as PickleDict).entries.push([items[k], items[k + 1]]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail('APPEND(S) on something that is not a list');
    for (const item of items) (list as unknown[]).push(item);
  };
  const textString = (s: string): string => {
    // Protocol 0 STRING: a Python repr, quoted with ' or ".
    const q = s[0];
    if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) fail('a STRING that is not quoted');
    return s
      .slice(1, -1)
      .replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt])/g, (_, e: string) =>
        e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e,
      );
  };
  const rawUnicode = (s: string): string =>
    s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) =>
      String.fromCodePoint(parseInt((a ?? b)!, 16)),
    );

  while (i < bytes.length) {
    opAt = i;
    op = bytes[i++];
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length > 0) fail(`STOP with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x49: {
        // INT (text; "01"/"00" are True/False)
        const t = line().trim();
        if (t === '01') stack.push(true);
        else if (t === '00') stack.push(false);
        else {
          const n = Number(t);
          if (!Number.isFinite(n) || !/^[-+]?\d+$/.test(t)) fail(`a bad INT ${JSON.stringify(t.slice(0, 40))}`);
          stack.push(n);
        }
        break;
      }
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4c: {
        // LONG (text, "123L")
        const t = line().trim().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(t)) fail(`a bad LONG ${JSON.stringify(t.slice(0, 40))}`);
        stack.push(Number(t));
        break;
      }
      case 0x8a:
        stack.push(long(take(u8())));
        break; // LONG1
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('a negative length');
        stack.push(long(take(n)));
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const t = line().trim();
        const n = Number(t);
        if (Number.isNaN(n) && !/^[-+]?nan$/i.test(t)) fail(`a bad FLOAT ${JSON.stringify(t.slice(0, 40))}`);
        stack.push(n);
        break;
      }
      case 0x47:
        need(8);
        stack.push(view.getFloat64(i, false));
        i += 8;
        break; // BINFLOAT (big-endian)
      case 0x53:
        stack.push(textString(line()));
        break; // STRING
      case 0x54: {
        // BINSTRING
        const n = i32();
        if (n < 0) fail('a negative length');
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x55:
        stack.push(latin1.decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x56:
        stack.push(rawUnicode(line()));
        break; // UNICODE (raw-unicode-escape)
      case 0x58:
        stack.push(utf8.decode(take(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8.decode(take(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(utf8.decode(take(u64())));
        break; // BINUNICODE8
      case 0x42:
        stack.push(take(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(take(u64()).slice());
        break; // BINBYTES8
      case 0x96:
        stack.push(take(u64()).slice());
        break; // BYTEARRAY8
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x61: {
        const item = pop();
        append(top(), [item]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x29:
        stack.push(new PickleTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(new PickleTuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(new PickleTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x7d:
        stack.push(new PickleDict());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x8f:
        stack.push(new PickleSet([]));
        break; // EMPTY_SET
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof PickleSet)) fail('ADDITEMS on something that is not a set');
        (set as PickleSet).items.push(...items);
        break;
      }
      case 0x91:
        stack.push(new PickleSet(popMark()));
        break; // FROZENSET
      case 0x67: {
        // GET
        const t = line().trim();
        const key = Number(t);
        if (!memo.has(key)) fail(`GET of memo ${t} that was never PUT`);
        stack.push(memo.get(key));
        break;
      }
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`GET of memo ${key} that was never PUT`);
        stack.push(memo.get(key));
        break;
      }
      case 0x70:
        memo.set(Number(line().trim()), top());
        break; // PUT
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(new PickleGlobal(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of something that is not two strings');
        stack.push(new PickleGlobal(module as string, name as string));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls, args -> instance (never called)
        const args = pop();
        const cls = pop();
        stack.push(new PickleObject(cls instanceof PickleGlobal ? cls : null, args instanceof PickleTuple ? args.items : []));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: cls, args, kwargs
        pop();
        const args = pop();
        const cls = pop();
        stack.push(new PickleObject(cls instanceof PickleGlobal ? cls : null, args instanceof PickleTuple ? args.items : []));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), recorded, not called
        const args = pop();
        const callable = pop();
        const items = args instanceof PickleTuple ? args.items : [];
        // Protocols 0 and 1 make instances with copyreg's helpers: the class is their first argument.
        const helper =
          callable instanceof PickleGlobal &&
          /^copy_?reg$/.test(callable.module) &&
          (callable.name === '_reconstructor' || callable.name === '__newobj__');
        if (helper && items[0] instanceof PickleGlobal) stack.push(new PickleObject(items[0], items.slice(1)));
        else stack.push(new PickleObject(callable instanceof PickleGlobal ? callable : null, items));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        const cls = items[0];
        stack.push(new PickleObject(cls instanceof PickleGlobal ? cls : null, items.slice(1)));
        break;
      }
      case 0x69: {
        // INST: module, name lines, MARK args...
        const module = line();
        const name = line();
        stack.push(new PickleObject(new PickleGlobal(module, name), popMark()));
        break;
      }
      case 0x62: {
        // BUILD: set the instance's state
        const state = pop();
        const obj = top();
        if (obj instanceof PickleObject) obj.state = state;
        break;
      }
      default:
        fail(
          `opcode 0x${op.toString(16).padStart(2, '0')} is not supported (persistent ids, extension codes and out-of-band buffers are refused)`,
        );
    }
  }
  return fail('the data ends before STOP', bytes.length);
}
