/**
 * Chunk framing for the VMProf reader: bytes arrive in chunks of any size, records are parsed
 * straight out of each chunk, and a record split across chunks is completed in a small carry
 * buffer that only ever holds part of ONE record (at most a 64Ki-entry stack). Memory does not
 * grow with the file, and offsets are plain numbers (files > 2 GiB work).
 */
import { grownArray } from '../../model/columns.js';

/** What a record parser returns when the record at its position needs more bytes than it has. */
export const NEED_MORE = -1;

export interface RecordParser {
  /**
   * Parses whole records from buf[start, end), where buf[0] is at file offset `base`. Returns
   * where it stopped: at `end`, at the start of an incomplete record (`need` then says how many
   * bytes that record needs), or just after the last record (`done`).
   */
  parse(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number;
  readonly need: number;
  readonly done: boolean;
}

export class ChunkFraming {
  /** File offset of the first byte not yet consumed (carry bytes are not consumed). */
  consumed = 0;
  carry = new Uint8Array(256);
  carryLength = 0;
  /** Bytes that came after the last record. */
  bytesAfterEnd = 0;

  constructor(private readonly records: RecordParser) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const records = this.records;
    if (records.done) {
      this.bytesAfterEnd += chunk.length;
      return;
    }
    let pos = 0;
    // Complete a record that started in an earlier chunk, feeding only the bytes it needs.
    while (this.carryLength > 0 && pos < chunk.length) {
      const take = Math.min(chunk.length - pos, records.need - this.carryLength);
      if (this.carryLength + take > this.carry.length) this.carry = grownArray(this.carry, this.carryLength + take);
      this.carry.set(chunk.subarray(pos, pos + take), this.carryLength);
      this.carryLength += take;
      pos += take;
      if (this.carryLength < records.need) return;
      const carry = this.carry;
      const used = records.parse(carry, new DataView(carry.buffer, carry.byteOffset, this.carryLength), 0, this.carryLength, this.consumed);
      if (used === this.carryLength) {
        this.consumed += used;
        this.carryLength = 0;
      } else if (used !== 0) {
        // Cannot happen: the carry holds at most one record. Keep the remainder anyway.
        this.carry.copyWithin(0, used, this.carryLength);
        this.carryLength -= used;
        this.consumed += used;
      }
      if (records.done) {
        this.bytesAfterEnd += chunk.length - pos;
        return;
      }
    }
    if (pos >= chunk.length) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // buffers always begin at the first unconsumed byte: chunk[pos] is at file offset `consumed`
    const used = records.parse(chunk, view, pos, chunk.length, this.consumed - pos);
    this.consumed += used - pos;
    if (records.done) {
      this.bytesAfterEnd += chunk.length - used;
      return;
    }
    const rest = chunk.length - used;
    if (rest > 0) {
      if (rest > this.carry.length) this.carry = grownArray(this.carry, Math.max(rest, records.need));
      this.carry.set(chunk.subarray(used), 0);
      this.carryLength = rest;
    }
  }

  release(): void {
    this.carry = new Uint8Array(0);
  }
}
