/**
 * A stream chunk made ready for the ClickHouse store's batch as it arrives: its
 * stacks resolved to ids, its 10 s rows built as TabSeparated bytes. Pure apart
 * from its caches, so that the store runs it in-process (ingest) and in a worker
 * thread (the HTTP route's chunks: chunk-worker.ts), where it takes the JSON
 * parse and the stack lookups off the thread that serves requests.
 */
import { randomFillSync } from 'node:crypto';
import type { StreamChunk } from '../../formats/stream-chunk.js';
import { bucketOf, chunkTime, hashId, RESOLUTIONS_MS, seriesKey } from './store.js';

/**
 * A chunk ready to write: the parsed chunk is garbage at once, instead of surviving (and being
 * copied by the garbage collector) while it waits for its batch.
 */
export interface Prepared {
  sender: string;
  seq: number;
  seriesId: string;
  bucket: number;
  seriesRow: Record<string, unknown>;
  markers: Record<string, unknown>[];
  /** Its stacks' ids and summed weights. */
  ids: string[];
  weights: number[];
  total: number;
  /** Its rows of cp_samples_10s, TabSeparated: outside V8's heap, so that the collector never copies them while they wait. */
  rows: Uint8Array;
  /** [id, text] of the stacks this preparer had not met before: the store keeps each text until it has written it. */
  texts: [string, string][];
}

/** Stack ids remembered by their frames' numbers; the numbers and ids start over when either is full. */
const STACK_ID_CACHE = 500_000;

/** A stack seen before: its frames' numbers, its id, and the next stack whose numbers hash alike. */
interface KnownStack {
  numbers: number[];
  id: string;
  next: KnownStack | undefined;
}

/** Whether a stack seen before has these frames (chunk frame indices, mapped to numbers). */
function sameFrames(known: number[], frames: number[], numbers: number[]): boolean {
  if (known.length !== frames.length) return false;
  for (let j = 0; j < frames.length; j++) if (known[j] !== numbers[frames[j]]) return false;
  return true;
}

/** A string as a TabSeparated field. */
export function tsvField(text: string): string {
  return /[\\\t\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n') : text;
}

export class ChunkPreparer {
  /** Frame numbers in use at most (tests lower it); past it the numbering starts over. */
  static frameNumberLimit = 65_536;
  /** Numbers of frame labels (see stackWeights). */
  private readonly frameNumbers = new Map<string, number>();
  /** Stack ids by a hash of their frames' numbers (see stackWeights). */
  private readonly stackIds = new Map<number, KnownStack>();
  private knownStackCount = 0;
  /** Random write ids, drawn 256 at a time (see nextCopyId). */
  private readonly copyIds = new BigUint64Array(256);
  private copyIdsUsed = 256;

  prepare(chunk: StreamChunk): Prepared {
    const seriesId = hashId(seriesKey(chunk.service, chunk.labels)).toString();
    const bucket = bucketOf(chunkTime(chunk), RESOLUTIONS_MS[0]);
    // Chunks without a sender cannot be recognised when resent: a random seq, and no cp_chunks row.
    const seq = chunk.sender ? String(chunk.seq) : String(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
    const rowEnd = `\t${tsvField(chunk.sender)}\t${seq}\t${this.nextCopyId()}\n`;
    const rowStart = `${seriesId}\t${bucket}\t`;
    const texts: [string, string][] = [];
    const ids: string[] = [];
    const weights: number[] = [];
    let total = 0;
    const lines: string[] = [];
    for (const [id, weight] of this.stackWeights(chunk, texts)) {
      ids.push(id);
      weights.push(weight);
      total += weight;
      lines.push(`${rowStart}${id}\t${weight}${rowEnd}`);
    }
    return {
      sender: chunk.sender,
      seq: chunk.seq,
      seriesId,
      bucket,
      seriesRow: { id: seriesId, service: chunk.service, labels: JSON.stringify(chunk.labels), last_seen: String(chunk.until) },
      markers: (chunk.markers ?? []).map((m) => ({
        series: seriesId,
        start_ms: m.start,
        end_ms: m.end,
        name: m.name,
        category: m.category,
        depth: m.depth,
      })),
      ids,
      weights,
      total,
      rows: Buffer.from(lines.join('')),
      texts,
    };
  }

  /** A random 64-bit id for one write of a chunk (its `copy`: see Once only in clickhouse.ts). */
  private nextCopyId(): string {
    if (this.copyIdsUsed === this.copyIds.length) {
      randomFillSync(this.copyIds);
      this.copyIdsUsed = 0;
    }
    return this.copyIds[this.copyIdsUsed++].toString();
  }

  /**
   * A chunk's stacks as stack id -> summed weight (zero weights dropped), as chunkStacks() would
   * give them, without building each stack's text: frames get numbers, and a stack is looked up
   * by a small-integer hash of its frames' numbers. Only a stack not met before is joined and
   * hashed (sha256), its text added to `texts`. Building and hashing every stack's text was most
   * of the server's CPU per chunk.
   */
  private stackWeights(chunk: StreamChunk, texts: [string, string][]): Map<string, number> {
    const weights = new Map<string, number>();
    const textOf = (frames: number[]) => frames.map((f) => chunk.frames[f]).join(';');
    const limit = ChunkPreparer.frameNumberLimit;
    if (chunk.frames.length > limit) {
      // More frames than the numbering keeps: each stack by its text.
      for (let i = 0; i < chunk.stacks.length; i++) {
        if (!(chunk.weights[i] > 0)) continue;
        const text = textOf(chunk.stacks[i]);
        const id = hashId(text).toString();
        texts.push([id, text]);
        weights.set(id, (weights.get(id) ?? 0) + chunk.weights[i]);
      }
      return weights;
    }
    if (this.frameNumbers.size + chunk.frames.length > limit || this.knownStackCount >= STACK_ID_CACHE) {
      this.frameNumbers.clear();
      this.stackIds.clear();
      this.knownStackCount = 0;
    }
    const numbers = new Array<number>(chunk.frames.length);
    for (let f = 0; f < chunk.frames.length; f++) {
      const frame = chunk.frames[f];
      let n = this.frameNumbers.get(frame);
      if (n === undefined) {
        n = this.frameNumbers.size;
        this.frameNumbers.set(frame, n);
      }
      numbers[f] = n;
    }
    for (let i = 0; i < chunk.stacks.length; i++) {
      const weight = chunk.weights[i];
      if (!(weight > 0)) continue;
      const frames = chunk.stacks[i];
      // FNV-1a style over the frames' numbers, then the numbers compared: no string is made or
      // hashed for a stack met before.
      let hash = frames.length;
      for (let j = 0; j < frames.length; j++) hash = Math.imul(hash ^ numbers[frames[j]], 0x01000193);
      hash &= 0x3fffffff;
      let known = this.stackIds.get(hash);
      while (known !== undefined && !sameFrames(known.numbers, frames, numbers)) known = known.next;
      if (known === undefined) {
        const text = textOf(frames);
        const ofFrames = new Array<number>(frames.length);
        for (let j = 0; j < frames.length; j++) ofFrames[j] = numbers[frames[j]];
        known = { numbers: ofFrames, id: hashId(text).toString(), next: this.stackIds.get(hash) };
        this.stackIds.set(hash, known);
        this.knownStackCount++;
        texts.push([known.id, text]);
      }
      weights.set(known.id, (weights.get(known.id) ?? 0) + weight);
    }
    return weights;
  }
}
