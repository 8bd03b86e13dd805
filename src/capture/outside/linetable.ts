/**
 * The current line of a frame from its code object's line table, for each table format
 * CPython has used (Objects/lnotab_notes.txt, Objects/locations.md):
 * - ≤3.9 `co_lnotab`: (byte-offset increment, signed line increment) pairs;
 * - 3.10 `co_linetable`: (byte-range length, signed line delta; -128 = no line) pairs;
 * - 3.11+ `co_linetable` "locations table": entries covering 1–8 code units each.
 * Pure functions over bytes; they never throw on bad bytes (a torn read gives some line or the
 * first line, never an exception).
 */

/** ≤3.9: `byteOffset` is f_lasti. */
export function lineFromLnotab(table: Uint8Array, firstLine: number, byteOffset: number): number {
  let line = firstLine;
  let addr = 0;
  for (let i = 0; i + 1 < table.length; i += 2) {
    addr += table[i];
    if (addr > byteOffset) break;
    const delta = table[i + 1];
    line += delta >= 128 ? delta - 256 : delta;
  }
  return line;
}

/** 3.10: `byteOffset` is f_lasti * 2 (3.10 counts f_lasti in code units). */
export function lineFrom310(table: Uint8Array, firstLine: number, byteOffset: number): number {
  let line = firstLine;
  let start = 0;
  let lastLine = firstLine;
  for (let i = 0; i + 1 < table.length; i += 2) {
    const end = start + table[i];
    const delta = table[i + 1];
    let rangeLine = -1;
    if (delta !== 128) {
      line += delta > 128 ? delta - 256 : delta;
      rangeLine = line;
      lastLine = line;
    }
    if (byteOffset >= start && byteOffset < end) return rangeLine >= 0 ? rangeLine : lastLine;
    start = end;
  }
  return lastLine;
}

/** 3.11+: `unit` is the index of the instruction in code units (a negative index: the first line). */
export function lineFromLocations(table: Uint8Array, firstLine: number, unit: number): number {
  let line = firstLine;
  let addr = 0;
  let pos = 0;
  const varint = (): number => {
    let shift = 0;
    let value = 0;
    while (pos < table.length) {
      const b = table[pos++];
      value += (b & 63) * 2 ** shift;
      shift += 6;
      if ((b & 64) === 0 || shift > 42) break;
    }
    return value;
  };
  const svarint = (): number => {
    const v = varint();
    return v % 2 === 1 ? -Math.floor(v / 2) : v / 2;
  };
  if (unit < 0) return firstLine;
  while (pos < table.length) {
    const first = table[pos++];
    if ((first & 128) === 0) continue; // not an entry start: resynchronise
    const code = (first >> 3) & 15;
    const length = (first & 7) + 1;
    let entryLine: number | null = line;
    if (code === 15) {
      entryLine = null; // no location
    } else if (code === 14) {
      line += svarint();
      entryLine = line;
      varint();
      varint();
      varint();
    } else if (code === 13) {
      line += svarint();
      entryLine = line;
    } else if (code >= 10) {
      line += code - 10;
      entryLine = line;
      pos += 2;
    } else {
      pos += 1;
    }
    if (unit >= addr && unit < addr + length) return entryLine ?? line;
    addr += length;
  }
  return line;
}
