/**
 * Follows a VMProf file while it is being written and cuts it into pieces:
 * one design for every capture path, since PyPy's `_vmprof`, our in-process
 * sampler and the outside sampler all write one (our sampler flushes whole
 * records every 0.25 s; PyPy's `_vmprof` writes each sample as it is taken).
 *
 * Each `poll()` reads what the file gained, walks the complete records
 * (vmprof-records.ts; a record cut by the end of the read waits for the
 * next), keeps the header and every name/META record (what later samples
 * refer to: bounded by the program's code, not its run time) and collects the
 * stack records. `cut()` makes a small VMProf file of header + names + the
 * stacks since the last cut and reads it with the ordinary reader, so a piece
 * is exactly what the finished file would show for that stretch of time. The
 * agent's own frames are taken out of PyPy stacks the way `record` does.
 * Reading is linear: every byte is read once, names are re-read per cut.
 *
 * Record weights (`w:<n>` META, pyrometer-meta.ts) number the records of the whole file: the
 * follower keeps each stack record's number and the weights it has read, and gives each piece
 * its own `w:0` for its records. The outside sampler writes a batch's `w:` before the batch; the
 * in-process agent writes it right after, in the same write: a weight is looked up at the cut.
 *
 * PyPy's `_vmprof` may write a code object's name a little after the first
 * samples that use it (its sample and name buffers are flushed separately): a
 * PyPy stack record naming a code id not seen yet is held back until the name
 * arrives (or HOLD_MS passes, or the file ends), so a piece never shows an
 * `<unknown>` frame that the finished file names. Our sampler and the outside
 * sampler write every name before its first use.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readVmprof } from '../../formats/vmprof/index.js';
import { VmprofEncoder } from '../../formats/vmprof/write.js';
import { profileStacks, type WeightedStack } from '../../formats/stream-chunk.js';
import { stripAgentFrames } from '../strip-agent.js';
import {
  MARKER_HEADER,
  MARKER_META,
  MARKER_STACKTRACE,
  MARKER_TRAILER,
  readMeta,
  TAG_CODE,
  walkRecords,
} from '../../formats/vmprof/records.js';
import { concatBytes } from '../../formats/bytes.js';

const READ_BYTES = 1 << 20;
/** How long a PyPy stack waits for its code names before it goes out with unnamed frames. */
export const HOLD_MS = 30_000;
/** The file name of the filler code the agent compiles to make PyPy write its held names (_NAME_FLUSH_FILE). */
const FLUSH_FILLER = '<pyrometer-flush-names';
const latin1 = new TextDecoder('latin1');

/** A name record of the agent's filler code: never in a stack, so not worth re-reading at every cut. */
function isFlushFiller(record: Uint8Array): boolean {
  return record.length > FLUSH_FILLER.length && latin1.decode(record).includes(FLUSH_FILLER);
}
const FILE_HEADER_BYTES = 40;

export class VmprofFollower {
  private fd: number | null = null;
  private offset = 0;
  private fileHeader: Uint8Array | null = null;
  /** The 0x05 header record: walks of later bytes need it to know the record layout. */
  private headerRecord: Uint8Array | null = null;
  private carry: Uint8Array = new Uint8Array(0);
  private readonly names: Uint8Array[] = [];
  /** Stack records not cut yet, with when they were read (ms since the epoch). */
  private stacks: { record: Uint8Array; number: number; arrived: number }[] = [];
  /** Weights other than 1 by record number (from `w:` METAs), until the record is cut. */
  private readonly weights = new Map<number, number>();
  /** PyPy stack records waiting for a code name, with when they were read. */
  private held: { record: Uint8Array; number: number; arrived: number }[] = [];
  private readonly named = new Set<bigint>();
  private rpython = false;
  /** True once the trailer was read: the writer is done. */
  finished = false;
  /** Samples records read so far (for reports). */
  stackRecords = 0;

  constructor(
    private readonly path: string,
    private readonly agentDir?: string,
  ) {}

  /** Reads what the file gained since the last poll; false while the file does not exist yet. */
  poll(): boolean {
    if (this.fd === null) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return false;
      }
    }
    const size = fstatSync(this.fd).size;
    while (this.offset < size && !this.finished) {
      const buffer = new Uint8Array(Math.min(READ_BYTES, size - this.offset));
      const n = readSync(this.fd, buffer, 0, buffer.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.consume(buffer.subarray(0, n));
    }
    return true;
  }

  private consume(bytes: Uint8Array): void {
    let data = concatBytes([this.carry, bytes]);
    if (!this.fileHeader) {
      if (data.length < FILE_HEADER_BYTES) {
        this.carry = data;
        return;
      }
      this.fileHeader = data.slice(0, FILE_HEADER_BYTES);
      data = data.subarray(FILE_HEADER_BYTES);
    }
    const lead = concatBytes([this.fileHeader, this.headerRecord ?? new Uint8Array(0)]);
    const buffer = concatBytes([lead, data]);
    if (buffer.length <= lead.length) {
      this.carry = data;
      return;
    }
    const walk = walkRecords(buffer, (uid) => this.named.add(uid));
    if (walk === null) throw new Error(`${this.path}: not a VMProf file this machine wrote (8-byte words)`);
    this.rpython ||= walk.rpython;
    let end = lead.length;
    const arrived = Date.now();
    for (const r of walk.records) {
      if (r.start < lead.length) continue; // the header record we put in front
      const record = buffer.slice(r.start, r.end);
      end = r.end;
      if (r.marker === MARKER_STACKTRACE) {
        const number = this.stackRecords++;
        if (this.rpython && !this.namesKnown(record)) this.held.push({ record, number, arrived });
        else this.stacks.push({ record, number, arrived });
      } else if (r.marker === MARKER_TRAILER) {
        this.finished = true;
      } else if (r.marker === MARKER_HEADER) {
        this.headerRecord = record;
      } else if (r.marker === MARKER_META) {
        // time marks and weights count records of the whole file: not copied into pieces
        const [key, value] = readMeta(buffer, r.start);
        if (key.startsWith('w:')) this.noteWeights(key, value);
        else if (!key.startsWith('ts:')) this.names.push(record);
      } else if (!isFlushFiller(record)) {
        // names, start time
        this.names.push(record);
      }
    }
    this.carry = buffer.slice(end);
  }

  private noteWeights(key: string, value: string): void {
    let n = Number(key.slice(2));
    if (!Number.isInteger(n) || n < 0) return;
    for (const text of value.split(',')) {
      const w = Number(text);
      if (Number.isInteger(w) && w > 1) this.weights.set(n, w);
      n++;
    }
  }

  /** Are the code ids of a PyPy stack record (pairs of tag, value) all named already? */
  private namesKnown(record: Uint8Array): boolean {
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const depth = Number(view.getBigInt64(9, true));
    for (let i = 0; i + 1 < depth; i += 2) {
      if (view.getBigInt64(17 + i * 8, true) === BigInt(TAG_CODE) && !this.named.has(view.getBigInt64(17 + (i + 1) * 8, true)))
        return false;
    }
    return true;
  }

  /** The stacks collected since the last cut, with their weights; empty when none. `final`: the file is complete, hold nothing back. */
  cut(final = false): WeightedStack[] {
    return this.cutByArrival(final, () => 0)[0]?.stacks ?? [];
  }

  /**
   * The stacks collected since the last cut, grouped by `windowOf(when each record was read)`
   * (the stream's interval it reached the file in). A PyPy stack held back for a code name and
   * released now goes to the window it arrived in, not this one: PyPy writes the samples as it
   * takes them, the names later, and a phase of the program must not move to when its names came.
   */
  cutByArrival(final: boolean, windowOf: (arrivedMs: number) => number): { window: number; stacks: WeightedStack[] }[] {
    if (this.held.length > 0) {
      const now = Date.now();
      const still: typeof this.held = [];
      for (const h of this.held) {
        if (final || this.finished || now - h.arrived > HOLD_MS || this.namesKnown(h.record)) this.stacks.push(h);
        else still.push(h);
      }
      this.held = still;
    }
    if (this.stacks.length === 0 || !this.fileHeader) return [];
    const groups = new Map<number, typeof this.stacks>();
    for (const s of this.stacks) {
      const window = windowOf(s.arrived);
      const group = groups.get(window);
      if (group) group.push(s);
      else groups.set(window, [s]);
    }
    this.stacks = [];
    const out: { window: number; stacks: WeightedStack[] }[] = [];
    for (const [window, stacks] of [...groups].sort((a, b) => a[0] - b[0])) {
      // Records in file order within a group: the reader sees them as the finished file has them.
      stacks.sort((a, b) => a.number - b.number);
      out.push({ window, stacks: this.piece(stacks) });
    }
    return out;
  }

  /** header + names + these stack records, read with the ordinary reader. */
  private piece(stacks: { record: Uint8Array; number: number }[]): WeightedStack[] {
    const weights = stacks.map((s) => this.weights.get(s.number) ?? 1);
    for (const s of stacks) this.weights.delete(s.number);
    const weightMeta = weights.some((w) => w !== 1) ? [new VmprofEncoder().meta('w:0', weights.join(',')).bytes()] : [];
    const parts = [
      this.fileHeader!,
      ...(this.headerRecord ? [this.headerRecord] : []),
      ...this.names,
      ...weightMeta,
      ...stacks.map((s) => s.record),
    ];
    let bytes = concatBytes(parts);
    if (this.rpython && this.agentDir) bytes = stripAgentFrames(bytes, this.agentDir) ?? bytes;
    return profileStacks(readVmprof(bytes));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
