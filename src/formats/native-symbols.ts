/**
 * Native function symbols of a library, placed at the addresses a profile saw it loaded at.
 * Pure (no files): the Node-side loader reads the symbols (elf.ts) and hands them to a reader
 * through ReadOptions.nativeSymbols; in the browser nothing does, and frames keep the library name.
 *
 * Placement: a V8 log on Linux gives a library's start as the address its file offset 0 would
 * have (the executable mapping's start less its file offset), so a symbol lies at that start plus
 * its file offset (its value less its section's address, plus the section's offset). The rest
 * follows V8's tick processor (deps/v8/tools/tickprocessor.mjs, what `node --prof-process` does
 * with `nm -C -n -S` and `nm -D`): a symbol without a size ends where the next one starts; of
 * several at one address the first is kept; a lookup takes the last symbol starting at or before
 * the address, and only when the address is inside it: an address in a gap is the library's.
 * Where we differ: the tick processor adds the start only to offsets below both the start and the
 * library's length, so in a non-PIE executable (node's own binary, linked at 0x400000, whose
 * .text offset is its address less 0x400000) every symbol lands 4 MiB low and its ticks get a
 * neighbour's name or none (node 20); we place every symbol by its offset.
 */

export interface NativeSymbol {
  name: string;
  /** Where the symbol starts in the file (its value less its section's address plus the section's offset). */
  fileOffset: number;
  /** 0 when the symbol table gives none. */
  size: number;
}

export interface NativeSymbolTable {
  /** The tables in the order nm lists them: `.symtab`'s symbols by value, then `.dynsym`'s. */
  tables: NativeSymbol[][];
  /**
   * The file offsets where each executable segment's pages end: a log's library range
   * (end - start) must be one of them, or the file is not the one the profile saw.
   */
  executableEnds: number[];
}

/** Where a reader gets native symbols: on Node, the libraries on this machine (machine-symbols.ts). */
export interface NativeSymbolSource {
  /** Symbols of the library at `path`, or an Error saying why there are none. */
  read(path: string): NativeSymbolTable | Error;
  /** A symbol as a frame shows it (C++ names demangled); called only for symbols frames use. */
  displayName(symbol: string): string;
}

/** A library's functions at run-time addresses: sorted starts, their ends and names. */
export interface PlacedSymbols {
  starts: number[];
  ends: number[];
  names: string[];
}

export function placeSymbols(table: NativeSymbolTable, libStart: number, libEnd: number): PlacedSymbols {
  const placed: { start: number; end: number; name: string }[] = [];
  const inLibrary = (s: number, e: number) => s >= libStart && e <= libEnd;
  let unsized: { start: number; name: string } | undefined;
  let lastAdded: { start: number; end: number } | undefined;
  const add = (name: string, start: number, end: number) => {
    placed.push({ name, start, end });
    lastAdded = { start, end };
  };
  const next = (name: string, start: number, size: number) => {
    if (unsized && unsized.start < start) {
      // A symbol without a size ends where the next one starts, unless a sized one already covers it.
      const u = unsized;
      if ((!lastAdded || !(u.start >= lastAdded.start && start <= lastAdded.end)) && inLibrary(u.start, start)) add(u.name, u.start, start);
    }
    unsized = undefined;
    if (size > 0) {
      if ((!lastAdded || lastAdded.start !== start) && inLibrary(start, start + size)) add(name, start, start + size);
    } else unsized = { start, name };
  };
  for (const symbols of table.tables) {
    for (const s of symbols) next(s.name, libStart + s.fileOffset, s.size);
  }
  next('', libEnd, 0);
  // The tick processor's map keeps the first entry at an address; a stable sort keeps that order.
  placed.sort((a, b) => a.start - b.start);
  const out: PlacedSymbols = { starts: [], ends: [], names: [] };
  for (const p of placed) {
    if (out.starts.length > 0 && out.starts[out.starts.length - 1] === p.start) continue;
    out.starts.push(p.start);
    out.ends.push(p.end);
    out.names.push(p.name);
  }
  return out;
}

/** Index of the symbol holding `address`, or -1. */
export function findSymbol(placed: PlacedSymbols, address: number): number {
  let lo = 0;
  let hi = placed.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (placed.starts[mid] <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && address < placed.ends[lo - 1] ? lo - 1 : -1;
}

/** Whether a library range [start, end) from a profile fits this file's executable segments. */
export function rangeFits(table: NativeSymbolTable, libStart: number, libEnd: number): boolean {
  return table.executableEnds.includes(libEnd - libStart);
}
