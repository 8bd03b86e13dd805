/**
 * Just enough ELF (64-bit little-endian), Node side, for two users: the outside sampler finds
 * CPython's globals in a running process (symbol values from `.dynsym` and `.symtab`, the first
 * PT_LOAD's address to turn a symbol value into an address with the load bias from
 * /proc/PID/maps, DT_NEEDED names); the V8 log reader names native frames (every function symbol,
 * as `nm` lists them, see native-symbols.ts). Reads only the headers and the sections it needs,
 * with positioned reads.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { NativeSymbol, NativeSymbolTable } from './native-symbols.js';

const SHT_SYMTAB = 2;
const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const DT_NEEDED = 1;

export class NotElfError extends Error {}

export interface ElfInfo {
  /** Symbol name to value (only the names asked for). */
  symbols: Map<string, number>;
  /** p_vaddr of the first PT_LOAD segment, rounded down to its page. */
  firstLoadVaddr: number;
  needed: string[];
}

function u64(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 4294967296;
}

type Read = (offset: number, length: number) => Buffer;

/** Opens an ELF file, checks its header and hands `use` a positioned reader and the header. */
function withElf<T>(path: string, use: (read: Read, head: Buffer) => T): T {
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, b, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      if (done < length) throw new NotElfError(`${path}: truncated ELF file`);
      return b;
    };
    const head = read(0, 64);
    if (head.readUInt32BE(0) !== 0x7f454c46) throw new NotElfError(`${path}: not an ELF file`);
    if (head[4] !== 2 || head[5] !== 1) throw new NotElfError(`${path}: not a 64-bit little-endian ELF file`);
    return use(read, head);
  } finally {
    closeSync(fd);
  }
}

interface Section {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function sectionHeaders(read: Read, head: Buffer): Section[] {
  const shoff = u64(head, 0x28);
  const shentsize = head.readUInt16LE(0x3a);
  const shnum = head.readUInt16LE(0x3c);
  if (shoff === 0 || shnum === 0) return [];
  const sh = read(shoff, shentsize * shnum);
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * shentsize;
    out.push({
      name: '',
      type: sh.readUInt32LE(at + 4),
      flags: u64(sh, at + 8),
      addr: u64(sh, at + 16),
      offset: u64(sh, at + 24),
      size: u64(sh, at + 32),
      link: sh.readUInt32LE(at + 40),
      entsize: u64(sh, at + 56),
    });
  }
  // Names come from the section-name string table (e_shstrndx).
  const names = out[head.readUInt16LE(0x3e)];
  if (names) {
    const strtab = read(names.offset, names.size);
    for (let i = 0; i < shnum; i++) {
      const off = sh.readUInt32LE(i * shentsize);
      const end = strtab.indexOf(0, off);
      out[i].name = strtab.toString('latin1', off, end < 0 ? strtab.length : end);
    }
  }
  return out;
}

const SHF_EXECINSTR = 4;
const SHN_LORESERVE = 0xff00;
const STT_OBJECT = 1;
const STT_SECTION = 3;
const STT_FILE = 4;
const STT_GNU_IFUNC = 10;
const STB_WEAK = 2;
const STB_GNU_UNIQUE = 10;
const PF_X = 1;
const PAGE = 4096;

/**
 * The function symbols `nm` shows as t, T or W (code in an executable section, or a weak
 * non-object), `.symtab` then `.dynsym`, each sorted by address then name as `nm -n` sorts,
 * placed by file offset; names as stored (C++ names mangled; no `@GLIBC_…` versions).
 */
export function readElfFunctionSymbols(path: string): NativeSymbolTable {
  return withElf(path, (read, head) => {
    const phoff = u64(head, 0x20);
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const ph = read(phoff, phentsize * phnum);
    const executableEnds: number[] = [];
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (ph.readUInt32LE(at) !== PT_LOAD || (ph.readUInt32LE(at + 4) & PF_X) === 0) continue;
      const end = u64(ph, at + 8) + u64(ph, at + 32);
      executableEnds.push(Math.ceil(end / PAGE) * PAGE);
    }
    const sections = sectionHeaders(read, head);
    const tables: NativeSymbol[][] = [];
    for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
      const s = sections.find((x) => x.type === type);
      if (!s || s.link >= sections.length) continue;
      const syms = read(s.offset, s.size);
      const strtab = read(sections[s.link].offset, sections[s.link].size);
      const entsize = s.entsize || 24;
      const table: NativeSymbol[] = [];
      for (let at = 0; at + 24 <= syms.length; at += entsize) {
        const info = syms[at + 4];
        const bind = info >> 4;
        const kind = info & 15;
        const shndx = syms.readUInt16LE(at + 6);
        if (shndx === 0 || shndx >= SHN_LORESERVE || kind === STT_SECTION || kind === STT_FILE || kind === STT_GNU_IFUNC) continue;
        if (bind === STB_GNU_UNIQUE) continue;
        if (bind === STB_WEAK ? kind === STT_OBJECT : (sections[shndx]?.flags & SHF_EXECINSTR) === 0) continue;
        const nameOff = syms.readUInt32LE(at);
        const end = strtab.indexOf(0, nameOff);
        const name = strtab.toString('utf8', nameOff, end < 0 ? strtab.length : end);
        if (name === '') continue;
        const section = sections[shndx];
        table.push({ name, fileOffset: u64(syms, at + 8) - section.addr + section.offset, size: u64(syms, at + 16) });
      }
      table.sort((a, b) => a.fileOffset - b.fileOffset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      tables.push(table);
    }
    return { tables, executableEnds };
  });
}

export function readElf(path: string, wanted: readonly string[]): ElfInfo {
  return withElf(path, (read, head) => {
    const phoff = u64(head, 0x20);
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);

    let firstLoadVaddr = -1;
    const ph = read(phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (ph.readUInt32LE(at) === PT_LOAD) {
        const vaddr = u64(ph, at + 16);
        const align = Math.max(4096, u64(ph, at + 48));
        firstLoadVaddr = vaddr - (vaddr % align);
        break;
      }
    }
    if (firstLoadVaddr < 0) throw new NotElfError(`${path}: no loadable segment`);

    const symbols = new Map<string, number>();
    const needed: string[] = [];
    const sections = sectionHeaders(read, head);
    const section = (i: number) => sections[i];
    const wantedBytes = wanted.map((w) => Buffer.from(w + '\0', 'latin1'));
    for (const s of sections) {
      if (s.type === SHT_DYNAMIC) {
        const dyn = read(s.offset, s.size);
        const strs = section(s.link);
        const strtab = read(strs.offset, strs.size);
        for (let at = 0; at + 16 <= dyn.length; at += 16) {
          const tag = u64(dyn, at);
          if (tag === 0) break;
          if (tag === DT_NEEDED) {
            const off = u64(dyn, at + 8);
            const end = strtab.indexOf(0, off);
            needed.push(strtab.toString('latin1', off, end < 0 ? strtab.length : end));
          }
        }
      }
      if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
      if (symbols.size === wanted.length) continue;
      const syms = read(s.offset, s.size);
      const strs = section(s.link);
      const strtab = read(strs.offset, strs.size);
      const entsize = s.entsize || 24;
      for (let at = 0; at + 24 <= syms.length; at += entsize) {
        const value = u64(syms, at + 8);
        if (value === 0) continue;
        const nameOff = syms.readUInt32LE(at);
        for (let w = 0; w < wanted.length; w++) {
          const name = wantedBytes[w];
          if (
            strtab[nameOff] === name[0] &&
            strtab.compare(name, 0, name.length, nameOff, nameOff + name.length) === 0 &&
            !symbols.has(wanted[w])
          ) {
            symbols.set(wanted[w], value);
          }
        }
      }
    }
    return { symbols, firstLoadVaddr, needed };
  });
}
