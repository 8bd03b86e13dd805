/**
 * The compact stored form of a Profile: what the server keeps after parsing an
 * upload once, and what it ships to the browser viewer.
 *
 * Layout (all integers little-endian):
 *
 *   offset 0   8 bytes  magic "PYRMODEL"
 *          8   u32      version (SERIALIZED_MODEL_VERSION)
 *         12   u32      header length H in bytes
 *         16   H bytes  header: UTF-8 JSON (meta, strings, thread names, marker
 *                       data, attachments, and a {type, offset, length}
 *                       descriptor in place of every typed-array column)
 *              padding  zeros up to the next multiple of 8
 *         A    columns  the raw bytes of every typed-array column, each
 *                       starting at a multiple of 8 from A
 *
 * Columns keep their exact bits (NaN RSS values included), so a round trip is
 * lossless. Decoding makes typed-array views straight onto the input when it is
 * suitably aligned (no copy), else copies column by column. Compression is the
 * caller's business (the server gzips; browsers get it as Content-Encoding).
 *
 * Pure TypeScript, no Node APIs: the browser decodes with the same module.
 *
 * Versions. The server keeps models for good, so every version this code ever wrote stays
 * readable: a stored header is brought up to the current layout by UPGRADES, one version at a
 * time, before it is decoded. To change the layout: bump SERIALIZED_MODEL_VERSION, add the
 * upgrader from the previous version, and keep a model the previous version wrote in
 * test/data/model/ (serialize.test.ts opens each one there).
 *   1: the first layout.
 *   2: the header names the function kinds and frame categories its u8 columns index
 *      (`kinds`, `categories`), so adding or reordering one later cannot misread old models.
 */
import { CATEGORIES, FUNCTION_KINDS, type Counter, type MarkerTable, type Profile, type SampleTable, type Thread } from './profile.js';
import { ProfileFormatError } from './errors.js';

export const SERIALIZED_MODEL_VERSION = 2;
export const SERIALIZED_MODEL_MAGIC = 'PYRMODEL';
/** The media type the server uses for this form. */
export const SERIALIZED_MODEL_MEDIA_TYPE = 'application/vnd.pyrometer.model';

const FORMAT_NAME = 'pyrometer-model';
const PREFIX_BYTES = 16;

type ColumnType = 'i32' | 'u8' | 'f64';
type Column = Int32Array | Uint8Array | Float64Array;
interface ColumnRef {
  type: ColumnType;
  offset: number;
  length: number;
}

const ELEMENT_BYTES: Record<ColumnType, number> = { i32: 4, u8: 1, f64: 8 };

function columnType(column: Column): ColumnType {
  if (column instanceof Int32Array) return 'i32';
  if (column instanceof Uint8Array) return 'u8';
  if (column instanceof Float64Array) return 'f64';
  throw new Error('serialize: unsupported column type');
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** JSON replacer/reviver pair that keeps typed arrays inside attachments and marker data. */
const TYPED_TAG = '$pyrometerTypedArray';
const TYPED_CTORS: Record<string, { from(values: number[]): ArrayBufferView }> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
};

function replaceTyped(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name;
    if (name in TYPED_CTORS) return { [TYPED_TAG]: name, values: Array.from(value as unknown as ArrayLike<number>) };
  }
  return value;
}

function reviveTyped(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && TYPED_TAG in value) {
    const v = value as Record<string, unknown>;
    const ctor = TYPED_CTORS[String(v[TYPED_TAG])];
    if (ctor && Array.isArray(v.values)) return ctor.from(v.values as number[]);
  }
  return value;
}

/**
 * Header upgraders: UPGRADES[v] turns the header of a version-v model into a version v + 1
 * header. Columns never move, so an upgrade rewrites the header only.
 */
const UPGRADES: Record<number, (header: any) => any> = {
  // Version 1 wrote the kinds and categories of its time; the u8 columns index these lists.
  1: (h) => ({
    ...h,
    kinds: ['python', 'native', 'jit', 'gc', 'other'],
    categories: ['python', 'native', 'jit', 'gc', 'other', 'idle', 'kernel'],
  }),
};

/**
 * Maps a stored u8 column onto today's list of names (a stored name we no longer have becomes
 * `fallback`). The column is returned as it is when the lists agree.
 */
function remapNames(column: Uint8Array, stored: unknown, current: readonly string[], fallback: string): Uint8Array {
  if (!Array.isArray(stored) || (stored.length === current.length && stored.every((name, i) => name === current[i]))) return column;
  const map = Uint8Array.from(stored, (name) => {
    const i = current.indexOf(String(name));
    return i >= 0 ? i : current.indexOf(fallback);
  });
  const fallbackIndex = current.indexOf(fallback);
  return column.map((v) => (v < map.length ? map[v] : fallbackIndex));
}

/** Profile -> bytes. */
export function serializeProfile(profile: Profile): Uint8Array {
  const columns: Column[] = [];
  let nextOffset = 0;
  const ref = (column: Column): ColumnRef => {
    const r: ColumnRef = { type: columnType(column), offset: nextOffset, length: column.length };
    columns.push(column);
    nextOffset = align8(nextOffset + column.byteLength);
    return r;
  };

  const header = {
    meta: profile.meta,
    kinds: FUNCTION_KINDS,
    categories: CATEGORIES,
    strings: profile.strings,
    funcs: {
      length: profile.funcs.length,
      name: ref(profile.funcs.name),
      file: ref(profile.funcs.file),
      line: ref(profile.funcs.line),
      kind: ref(profile.funcs.kind),
    },
    frames: {
      length: profile.frames.length,
      func: ref(profile.frames.func),
      line: ref(profile.frames.line),
      category: ref(profile.frames.category),
    },
    stacks: {
      length: profile.stacks.length,
      frame: ref(profile.stacks.frame),
      prefix: ref(profile.stacks.prefix),
      depth: ref(profile.stacks.depth),
    },
    threads: profile.threads.map((t) => ({
      id: t.id,
      name: t.name,
      processId: t.processId,
      samples: {
        length: t.samples.length,
        stack: ref(t.samples.stack),
        time: ref(t.samples.time),
        weight: ref(t.samples.weight),
        rss: t.samples.rss ? ref(t.samples.rss) : null,
      },
      markers: {
        length: t.markers.length,
        name: ref(t.markers.name),
        start: ref(t.markers.start),
        end: ref(t.markers.end),
        category: ref(t.markers.category),
        depth: ref(t.markers.depth),
        data: t.markers.data,
      },
    })),
    counters: profile.counters.map((c) => ({
      name: c.name,
      category: c.category,
      unit: c.unit,
      thread: c.thread,
      time: ref(c.time),
      value: ref(c.value),
    })),
    attachments: profile.attachments,
  };

  const headerBytes = new TextEncoder().encode(JSON.stringify(header, replaceTyped));
  const columnsStart = align8(PREFIX_BYTES + headerBytes.length);
  const out = new Uint8Array(columnsStart + nextOffset);
  for (let i = 0; i < 8; i++) out[i] = SERIALIZED_MODEL_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, SERIALIZED_MODEL_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);

  let offset = columnsStart;
  for (const column of columns) {
    writeColumn(out, view, offset, column);
    offset = align8(offset + column.byteLength);
  }
  return out;
}

function writeColumn(out: Uint8Array, view: DataView, at: number, column: Column): void {
  if (hostIsLittleEndian || column instanceof Uint8Array) {
    out.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), at);
    return;
  }
  const step = column.BYTES_PER_ELEMENT;
  for (let i = 0; i < column.length; i++) {
    if (column instanceof Int32Array) view.setInt32(at + i * step, column[i], true);
    else view.setFloat64(at + i * step, column[i], true);
  }
}

/** True when the bytes start with the serialized-model magic. */
export function isSerializedProfile(bytes: Uint8Array): boolean {
  if (bytes.length < PREFIX_BYTES) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SERIALIZED_MODEL_MAGIC.charCodeAt(i)) return false;
  return true;
}

/** Bytes -> Profile. Raises ProfileFormatError('pyrometer-model', …) on anything malformed. */
export function deserializeProfile(bytes: Uint8Array): Profile {
  const fail = (detail: string, offset = -1): never => {
    throw new ProfileFormatError(FORMAT_NAME, detail, offset);
  };
  if (!isSerializedProfile(bytes)) fail('missing the PYRMODEL signature', 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version < 1 || version > SERIALIZED_MODEL_VERSION) {
    fail(
      version > SERIALIZED_MODEL_VERSION
        ? `version ${version} was written by a newer pyrometer (this one reads versions 1 to ${SERIALIZED_MODEL_VERSION}): upgrade pyrometer`
        : `version ${version} is not a model version`,
      8,
    );
  }
  const headerLength = view.getUint32(12, true);
  if (PREFIX_BYTES + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end`, 12);
  let header: any;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
      reviveTyped,
    );
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`, PREFIX_BYTES);
  }
  if (!header || typeof header !== 'object' || !header.meta || !Array.isArray(header.strings) || !Array.isArray(header.threads)) {
    fail('header lacks meta, strings or threads', PREFIX_BYTES);
  }
  for (let v = version; v < SERIALIZED_MODEL_VERSION; v++) header = UPGRADES[v](header);
  const columnsStart = align8(PREFIX_BYTES + headerLength);

  function column(r: ColumnRef, type: ColumnType): any {
    if (!r || r.type !== type || !Number.isInteger(r.offset) || !Number.isInteger(r.length) || r.offset < 0 || r.length < 0) {
      fail(`bad column descriptor ${JSON.stringify(r)}`, PREFIX_BYTES);
    }
    const size = ELEMENT_BYTES[type];
    const start = columnsStart + r.offset;
    if (start + r.length * size > bytes.length) fail(`column of ${r.length} ${type} values runs past the end`, start);
    const absolute = bytes.byteOffset + start;
    if (type === 'u8') return bytes.slice(start, start + r.length);
    if (hostIsLittleEndian && absolute % size === 0) {
      // A view onto the input, no copy: opening a stored profile stays cheap.
      return type === 'i32' ? new Int32Array(bytes.buffer, absolute, r.length) : new Float64Array(bytes.buffer, absolute, r.length);
    }
    if (type === 'i32') {
      const out = new Int32Array(r.length);
      for (let i = 0; i < r.length; i++) out[i] = view.getInt32(start + i * 4, true);
      return out;
    }
    const out = new Float64Array(r.length);
    for (let i = 0; i < r.length; i++) out[i] = view.getFloat64(start + i * 8, true);
    return out;
  }

  const checkLength = (what: string, expected: number, ...cols: { length: number }[]) => {
    for (const c of cols) if (c.length !== expected) fail(`${what}: a column has ${c.length} rows, expected ${expected}`);
  };

  const h = header;
  const funcs = {
    length: h.funcs.length,
    name: column(h.funcs.name, 'i32'),
    file: column(h.funcs.file, 'i32'),
    line: column(h.funcs.line, 'i32'),
    kind: remapNames(column(h.funcs.kind, 'u8'), h.kinds, FUNCTION_KINDS, 'other'),
  };
  checkLength('funcs', funcs.length, funcs.name, funcs.file, funcs.line, funcs.kind);
  const frames = {
    length: h.frames.length,
    func: column(h.frames.func, 'i32'),
    line: column(h.frames.line, 'i32'),
    category: remapNames(column(h.frames.category, 'u8'), h.categories, CATEGORIES, 'other'),
  };
  checkLength('frames', frames.length, frames.func, frames.line, frames.category);
  const stacks = {
    length: h.stacks.length,
    frame: column(h.stacks.frame, 'i32'),
    prefix: column(h.stacks.prefix, 'i32'),
    depth: column(h.stacks.depth, 'i32'),
  };
  checkLength('stacks', stacks.length, stacks.frame, stacks.prefix, stacks.depth);

  const threads: Thread[] = h.threads.map((t: any, i: number): Thread => {
    const samples: SampleTable = {
      length: t.samples.length,
      stack: column(t.samples.stack, 'i32'),
      time: column(t.samples.time, 'f64'),
      weight: column(t.samples.weight, 'f64'),
      rss: t.samples.rss ? column(t.samples.rss, 'f64') : null,
    };
    checkLength(`thread ${i} samples`, samples.length, samples.stack, samples.time, samples.weight, ...(samples.rss ? [samples.rss] : []));
    const markers: MarkerTable = {
      length: t.markers.length,
      name: column(t.markers.name, 'i32'),
      start: column(t.markers.start, 'f64'),
      end: column(t.markers.end, 'f64'),
      category: column(t.markers.category, 'i32'),
      depth: column(t.markers.depth, 'i32'),
      data: Array.isArray(t.markers.data) ? t.markers.data : [],
    };
    checkLength(
      `thread ${i} markers`,
      markers.length,
      markers.name,
      markers.start,
      markers.end,
      markers.category,
      markers.depth,
      markers.data,
    );
    return { id: String(t.id), name: String(t.name), processId: String(t.processId), samples, markers };
  });
  const counters: Counter[] = (h.counters ?? []).map((c: any): Counter => {
    const counter = {
      name: String(c.name),
      category: String(c.category),
      unit: String(c.unit),
      thread: Number(c.thread),
      time: column(c.time, 'f64'),
      value: column(c.value, 'f64'),
    };
    checkLength(`counter ${counter.name}`, counter.time.length, counter.value);
    return counter;
  });

  return {
    meta: h.meta,
    strings: h.strings,
    funcs,
    frames,
    stacks,
    threads,
    counters,
    attachments: h.attachments && typeof h.attachments === 'object' ? h.attachments : {},
  };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8; // not `& ~7`: that wraps past 2 GiB
}
