/**
 * Just enough ELF (64-bit little-endian) to find CPython's globals in a running process:
 * symbol values from `.dynsym` and `.symtab`, the first PT_LOAD's address (to turn a symbol
 * value into an address with the load bias from /proc/PID/maps) and DT_NEEDED names.
 * Reads only the headers and the sections it needs, with positioned reads.
 */
import { closeSync, openSync, readSync } from 'node:fs';

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

export function readElf(path: string, wanted: readonly string[]): ElfInfo {
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
    const phoff = u64(head, 0x20);
    const shoff = u64(head, 0x28);
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const shentsize = head.readUInt16LE(0x3a);
    const shnum = head.readUInt16LE(0x3c);

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
    if (shoff === 0 || shnum === 0) return { symbols, firstLoadVaddr, needed };
    const sh = read(shoff, shentsize * shnum);
    const section = (i: number) => {
      const at = i * shentsize;
      return {
        type: sh.readUInt32LE(at + 4),
        offset: u64(sh, at + 24),
        size: u64(sh, at + 32),
        link: sh.readUInt32LE(at + 40),
        entsize: u64(sh, at + 56),
      };
    };
    const wantedBytes = wanted.map((w) => Buffer.from(w + '\0', 'latin1'));
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
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
  } finally {
    closeSync(fd);
  }
}
