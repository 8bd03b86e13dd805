/**
 * `threading` names read from the process: sys.modules['threading']._active maps each
 * thread's ident (PyThreadState.thread_id) to its Thread object, whose `_name` is the name.
 * That takes a small reader of dicts, ints and instance attributes for each layout:
 * - dict keys: 3.7–3.10 (dk_size, index width from it, 24-byte entries); 3.11+ (log2 sizes,
 *   16-byte entries for str-only keys);
 * - instance attributes: 3.7–3.10 the instance dict at tp_dictoffset (maybe a split table);
 *   3.11–3.12 values array before the object (3.12: tagged pointer) with the keys the type
 *   caches (ht_cached_keys); 3.13 values inline after the object (tp_basicsize), or the
 *   managed dict once one was made.
 * Any surprise throws; the caller then falls back to the kernel's thread names.
 */
import { OB_TYPE } from './layouts.js';
import { u64At } from './memory.js';
import type { PythonReader } from './python.js';

const TYPE_BASICSIZE = 32;
const TYPE_DICTOFFSET = 288;
const TYPE_FLAGS = 168;
const TPFLAGS_MANAGED_DICT = 1 << 4;
const TPFLAGS_INLINE_VALUES = 1 << 2;
const MODULE_DICT = 16;
const DICT_KEYS = 32;
const DICT_VALUES = 40;
const MAX_ENTRIES = 1 << 16;

function htCachedKeys(minor: number): number {
  return minor === 7 ? 856 : minor === 9 ? 864 : minor >= 12 ? 880 : 872;
}

interface Entry {
  key: number;
  value: number;
}

/** A dict's (key, value) pointers, in insertion order. */
function dictEntries(r: PythonReader, dict: number): Entry[] {
  const m = r.memory;
  const keys = m.u64(dict + DICT_KEYS);
  const values = m.u64(dict + DICT_VALUES);
  return keysEntries(r, keys, values);
}

/** Entries of a keys object; values from `values` (a split table's array) when it is not 0. */
function keysEntries(r: PythonReader, keys: number, values: number): Entry[] {
  const m = r.memory;
  const minor = r.layout.minor;
  const out: Entry[] = [];
  let entriesAt: number;
  let n: number;
  let entrySize: number;
  let keyAt: number;
  if (minor <= 10) {
    const size = m.u64(keys + 8);
    n = m.u64(keys + 32);
    const ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffff ? 4 : 8;
    entriesAt = keys + 40 + size * ix;
    entrySize = 24;
    keyAt = 8;
  } else {
    const head = m.read(keys, 32);
    const log2IndexBytes = head[9];
    const kind = head[10];
    n = u64At(head, 24);
    entriesAt = keys + 32 + 2 ** log2IndexBytes;
    entrySize = kind === 0 ? 24 : 16;
    keyAt = kind === 0 ? 8 : 0;
  }
  if (n > MAX_ENTRIES) throw new Error('dict too large');
  const valuesBase = values === 0 ? 0 : minor >= 13 ? values + 8 : values;
  const b = m.read(entriesAt, n * entrySize);
  for (let i = 0; i < n; i++) {
    const key = u64At(b, i * entrySize + keyAt);
    if (key === 0) continue; // a deleted entry
    const value = valuesBase ? m.u64(valuesBase + i * 8) : u64At(b, i * entrySize + keyAt + 8);
    if (value !== 0) out.push({ key, value });
  }
  return out;
}

function dictGet(r: PythonReader, dict: number, name: string): number {
  for (const e of dictEntries(r, dict)) if (r.string(e.key) === name) return e.value;
  return 0;
}

/** An int object's value (non-negative, up to 2^53). */
function intValue(r: PythonReader, obj: number): number {
  const m = r.memory;
  let ndigits: number;
  if (r.layout.minor >= 12) {
    const tag = m.u64(obj + 16);
    if ((tag & 3) === 2) return -1;
    ndigits = Math.floor(tag / 8);
  } else {
    const size = m.u64(obj + 16);
    if (size > 2 ** 62) return -1; // negative
    ndigits = size;
  }
  if (ndigits > 2) return -1; // beyond 2^60: not a thread ident
  const b = m.read(obj + 24, 8);
  let v = 0;
  for (let i = ndigits - 1; i >= 0; i--) v = v * 2 ** 30 + (b.readUInt32LE(i * 4) & 0x3fffffff);
  return v;
}

/** The value of an instance attribute stored in the instance's dict or values. */
function attribute(r: PythonReader, obj: number, name: string): number {
  const m = r.memory;
  const minor = r.layout.minor;
  const type = m.u64(obj + OB_TYPE);
  const flags = m.u64(type + TYPE_FLAGS);
  if (minor >= 11 && flags % (TPFLAGS_MANAGED_DICT * 2) >= TPFLAGS_MANAGED_DICT) {
    const cached = m.u64(type + htCachedKeys(minor));
    if (minor === 11) {
      const values = m.u64(obj - 32);
      if (values !== 0 && cached !== 0) return lookupIn(r, cached, values, name);
      const dict = m.u64(obj - 24);
      return dict ? dictGet(r, dict, name) : 0;
    }
    if (minor === 12) {
      const dorv = m.u64(obj - 24);
      // tagged: the values pointer minus one
      if (dorv % 2 === 1 && cached !== 0) return lookupIn(r, cached, dorv + 1, name);
      return dorv ? dictGet(r, dorv, name) : 0;
    }
    // 3.13: inline values after the object while valid, else the materialized dict
    if (flags % (TPFLAGS_INLINE_VALUES * 2) >= TPFLAGS_INLINE_VALUES && cached !== 0) {
      const values = obj + m.u64(type + TYPE_BASICSIZE);
      if (m.read(values + 3, 1)[0] !== 0) return lookupIn(r, cached, values, name);
    }
    const dict = m.u64(obj - 24);
    return dict ? dictGet(r, dict, name) : 0;
  }
  const dictOffset = m.u64(type + TYPE_DICTOFFSET);
  if (dictOffset <= 0 || dictOffset > 4096) return 0;
  const dict = m.u64(obj + dictOffset);
  return dict ? dictGet(r, dict, name) : 0;
}

function lookupIn(r: PythonReader, keys: number, values: number, name: string): number {
  for (const e of keysEntries(r, keys, values)) if (r.string(e.key) === name) return e.value;
  return 0;
}

/** Thread ident → `threading` name; empty when threading is not imported. */
export function threadNames(r: PythonReader): Map<number, string> {
  const out = new Map<number, string>();
  const interp = r.interpreters()[0];
  if (!interp) return out;
  const modules = r.memory.u64(interp + r.layout.interpModules);
  if (!modules) return out;
  const threading = dictGet(r, modules, 'threading');
  if (!threading) return out;
  const moduleDict = r.memory.u64(threading + MODULE_DICT);
  const active = dictGet(r, moduleDict, '_active');
  if (!active) return out;
  for (const e of dictEntries(r, active)) {
    const ident = intValue(r, e.key);
    const nameObj = attribute(r, e.value, '_name');
    if (ident > 0 && nameObj) out.set(ident, r.string(nameObj));
  }
  return out;
}
