/**
 * Reading another process's memory through /proc/PID/mem: a positioned read at the address.
 * Allowed when we may ptrace the process (our own child, same user with Yama permitting it,
 * root or CAP_SYS_PTRACE). One read costs a few microseconds, so a look at a process reads
 * whole 4 KiB pages and keeps them for the rest of that look (neighbouring frames and objects
 * come from the same page), and bigger ranges (3.11+ data-stack chunks) in one read each.
 * `newLook()` forgets everything: the program has moved on since.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class MemoryReadError extends Error {
  constructor(
    readonly address: number,
    readonly length: number,
    readonly code: string,
  ) {
    super(`cannot read ${length} bytes at 0x${address.toString(16)} (${code})`);
  }
}

interface Region {
  start: number;
  end: number;
  bytes: Buffer;
}

const PAGE = 4096;
const BLOCK = 1 << 16;
const TWO_32 = 4294967296;
/** Addresses above this are not user-space pointers on x86-64/aarch64 (47/48 bits). */
export const MAX_USER_ADDRESS = 2 ** 48;

export class ProcessMemory {
  private fd: number;
  private readonly pages = new Map<number, Buffer>();
  private readonly blocks = new Map<number, Buffer | null>();
  private readonly regions: Region[] = [];
  private lastRegion: Region | null = null;
  /** Reads done through the kernel (a cost counter for the benchmark and `info`). */
  syscalls = 0;

  constructor(readonly pid: number) {
    this.fd = openSync(`/proc/${pid}/mem`, 'r');
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  newLook(): void {
    this.pages.clear();
    this.blocks.clear();
    this.regions.length = 0;
    this.lastRegion = null;
  }

  /** Reads straight from the process, bypassing what this look has cached. */
  readFresh(address: number, length: number): Buffer {
    if (!(address > 0 && address + length <= MAX_USER_ADDRESS)) throw new MemoryReadError(address, length, 'bad address');
    const b = Buffer.allocUnsafe(length);
    let n: number;
    try {
      this.syscalls++;
      n = readSync(this.fd, b, 0, length, address);
    } catch (err) {
      throw new MemoryReadError(address, length, (err as NodeJS.ErrnoException).code ?? 'EIO');
    }
    if (n < length) throw new MemoryReadError(address, length, 'short read');
    return b;
  }

  /** Keeps [address, address+length) for this look; reads inside it cost nothing more. */
  preload(address: number, length: number): void {
    this.regions.push({ start: address, end: address + length, bytes: this.readFresh(address, length) });
  }

  private page(base: number): Buffer {
    let p = this.pages.get(base);
    if (p === undefined) {
      p = this.readFresh(base, PAGE);
      this.pages.set(base, p);
    }
    return p;
  }

  /**
   * Like read(), through 64 KiB blocks: for walks over many neighbouring objects (the frame
   * objects of a deep recursion sit in consecutive allocator pools).
   */
  readNear(address: number, length: number): Buffer {
    const base = address - (address % BLOCK);
    if (address + length > base + BLOCK) return this.read(address, length);
    let block = this.blocks.get(base);
    if (block === undefined) {
      try {
        block = this.readFresh(base, BLOCK);
      } catch {
        block = null; // the block runs past the mapping: pages then
      }
      this.blocks.set(base, block);
    }
    if (block === null) return this.read(address, length);
    return block.subarray(address - base, address - base + length);
  }

  /** `length` bytes at `address` as of this look (a view into a cache: copy it to keep it). */
  read(address: number, length: number): Buffer {
    const last = this.lastRegion;
    if (last !== null && address >= last.start && address + length <= last.end)
      return last.bytes.subarray(address - last.start, address - last.start + length);
    for (const r of this.regions) {
      if (address >= r.start && address + length <= r.end) {
        this.lastRegion = r;
        return r.bytes.subarray(address - r.start, address - r.start + length);
      }
    }
    if (!(address > 0 && address + length <= MAX_USER_ADDRESS)) throw new MemoryReadError(address, length, 'bad address');
    const base = address - (address % PAGE);
    if (address + length <= base + PAGE) {
      const off = address - base;
      return this.page(base).subarray(off, off + length);
    }
    if (length > 2 * PAGE) return this.readFresh(address, length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const a = address + done;
      const pb = a - (a % PAGE);
      const n = Math.min(length - done, pb + PAGE - a);
      this.page(pb).copy(out, done, a - pb, a - pb + n);
      done += n;
    }
    return out;
  }

  u64(address: number): number {
    const b = this.read(address, 8);
    return b.readUInt32LE(0) + b.readUInt32LE(4) * TWO_32;
  }

  i32(address: number): number {
    return this.read(address, 4).readInt32LE(0);
  }
}

export function u64At(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * TWO_32;
}
