/**
 * The continuous-profiling store: stacks streamed by running services, kept as
 * time series, behind one interface with two backends (sqlite.ts, embedded in
 * the database `serve` already has; clickhouse.ts, for scale). Both pass the
 * same tests (test/server/series-store.test.ts).
 *
 * Data model (both backends):
 *   series   one per (service, label set): id = 64-bit hash of the canonical text
 *   stacks   one per distinct stack text (`a;b;c`, root first): id = 64-bit hash
 *   samples  (series, bucket start, stack, weight) at three resolutions, 10 s,
 *            1 min and 1 h, every chunk added to all three when it arrives
 *            (the rollup is done at write time, so no job has to catch up and
 *            a query reads one table). Each resolution has its own retention:
 *            10 s rows for a day, 1 min rows for 8 days, 1 h rows for
 *            `retention` (default 30 days); never longer than `retention`.
 *   chunks   (sender, seq) of every stored chunk, so a chunk resent after a
 *            lost acknowledgement is stored once.
 *   markers  (series, start, end, name, category, depth): the phases a chunk
 *            carried (PyPy's GC/JIT log sections), ms since the epoch, kept as
 *            long as the 10 s samples. A query returns those overlapping its
 *            range (exactly, not widened to buckets), each once.
 *
 * A query picks the finest resolution that still holds its start and gives at
 * most MAX_BUCKETS buckets, and widens the range to whole buckets of it.
 */
import { createHash } from 'node:crypto';
import { chunkBody, decodeChunk, type StreamChunk, type StreamMarker, type WeightedStack } from '../../formats/stream-chunk.js';
import { pyroscopeTextStacks } from '../../formats/pyroscope-text.js';

export const RESOLUTIONS_MS = [10_000, 60_000, 3_600_000] as const;
export type ResolutionMs = (typeof RESOLUTIONS_MS)[number];
/** How long each resolution is kept at most (capped by the store's retention). */
export const RESOLUTION_KEEP_MS: Record<ResolutionMs, number> = { 10_000: 86_400_000, 60_000: 8 * 86_400_000, 3_600_000: Infinity };
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
/** A query reads at most this many buckets per series: 1 h at 10 s, 12 h at 1 min. */
export const MAX_BUCKETS = 720;
/** A query returns at most this many markers (the earliest): a viewer draws no more usefully. */
export const MAX_QUERY_MARKERS = 200_000;
/**
 * A query looks for markers starting at most this long before its range (so it reads one
 * slice of the (series, start) key): a longer phase that began earlier is not returned.
 */
export const MAX_MARKER_LOOKBACK_MS = 3_600_000;

/** The marker rows a query reads: [start >= from - lookback, start < to), and end >= from. */
export function markerRange(selector: Pick<SeriesSelector, 'from' | 'to'>): { startFrom: number; startTo: number; endFrom: number } {
  return { startFrom: selector.from - MAX_MARKER_LOOKBACK_MS, startTo: selector.to, endFrom: selector.from };
}

export interface SeriesSelector {
  service: string;
  /** Exact matches; a series must have every one of these labels. */
  labels?: Record<string, string>;
  /** ms since the epoch; [from, to). */
  from: number;
  to: number;
  /** Force a resolution (tests, benches); otherwise chosen from the range. */
  resolutionMs?: ResolutionMs;
}

export interface MergedStacks {
  /** The range actually read: whole buckets of the resolution. */
  from: number;
  to: number;
  resolutionMs: ResolutionMs;
  stacks: WeightedStack[];
}

export interface TimelinePoint {
  time: number; // bucket start, ms since the epoch
  weight: number;
}

export interface Timeline {
  from: number;
  to: number;
  resolutionMs: ResolutionMs;
  points: TimelinePoint[];
}

/** Stacks of each bucket, for "top functions over time". */
export interface BucketStacks {
  from: number;
  to: number;
  resolutionMs: ResolutionMs;
  buckets: { time: number; stacks: WeightedStack[] }[];
}

export interface ServiceInfo {
  service: string;
  series: number;
  lastSeen: number; // ms since the epoch of the newest chunk's end
  labels: Record<string, string[]>; // every label key with its values
}

export interface IngestResult {
  /** False when this (sender, seq) was already stored: nothing was added. */
  stored: boolean;
  samples: number;
  stacks: number;
}

/** A chunk's fields other than its stacks. */
export type ChunkMeta = Omit<StreamChunk, 'frames' | 'stacks' | 'weights' | 'markers'>;

/** A chunk as the HTTP routes have it, not yet decoded (see SeriesStore.ingestEncoded). */
export type EncodedChunk = { json: Uint8Array } | { text: Uint8Array; format: 'folded' | 'lines'; meta: ChunkMeta };

/** Decodes an encoded chunk; a bad one throws its ProfileFormatError. */
export function decodeEncodedChunk(chunk: EncodedChunk): StreamChunk {
  if ('json' in chunk) return decodeChunk(chunk.json);
  return { ...chunk.meta, ...chunkBody(pyroscopeTextStacks(new TextDecoder().decode(chunk.text), chunk.format)) };
}

/** Adds an encoded chunk: decoded where the store likes (ingestEncoded), else here. */
export function ingestEncoded(store: SeriesStore, chunk: EncodedChunk): Promise<IngestResult> {
  return store.ingestEncoded ? store.ingestEncoded(chunk) : store.ingest(decodeEncodedChunk(chunk));
}

export interface SeriesStore {
  readonly kind: 'sqlite' | 'clickhouse';
  readonly location: string;
  readonly retentionMs: number;
  /** Adds one chunk. Resolves only once the chunk is durable: that is what a sender's acknowledgement means. */
  ingest(chunk: StreamChunk): Promise<IngestResult>;
  /**
   * Optional: adds a chunk still encoded (our chunk's JSON bytes, inflated; or a Pyroscope text
   * body and the chunk's fields), decoding it where the store likes (the ClickHouse store: in a
   * worker thread). A bad chunk rejects with its ProfileFormatError.
   */
  ingestEncoded?(chunk: EncodedChunk): Promise<IngestResult>;
  services(): Promise<ServiceInfo[]>;
  merged(selector: SeriesSelector): Promise<MergedStacks>;
  timeline(selector: SeriesSelector): Promise<Timeline>;
  bucketStacks(selector: SeriesSelector): Promise<BucketStacks>;
  /** Markers of the matching series that overlap [from, to) (not widened to buckets), by start time, at most MAX_QUERY_MARKERS. */
  markers(selector: SeriesSelector): Promise<StreamMarker[]>;
  /** Drops rows older than each resolution keeps. */
  expire(now: number): Promise<void>;
  /** Bytes on disk of the samples and stacks (for the bench). */
  diskBytes(): Promise<number>;
  close(): Promise<void>;
}

/** A 64-bit id from text: the first 8 bytes of its SHA-256, unsigned. */
export function hashId(text: string): bigint {
  return createHash('sha256').update(text, 'utf8').digest().readBigUInt64LE(0);
}

/** The canonical text of a series: service, then labels sorted by key. */
export function seriesKey(service: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify([service, ...keys.map((k) => [k, labels[k]])]);
}

export function bucketOf(time: number, resolution: number): number {
  return Math.floor(time / resolution) * resolution;
}

/** Where a chunk lands: the bucket holding the middle of its time range. */
export function chunkTime(chunk: Pick<StreamChunk, 'from' | 'until'>): number {
  return Math.floor((chunk.from + chunk.until) / 2);
}

export function keepMs(resolution: ResolutionMs, retentionMs: number): number {
  return Math.min(RESOLUTION_KEEP_MS[resolution], retentionMs);
}

/** The resolution a query reads: the finest that still holds `from` and gives at most MAX_BUCKETS buckets. */
export function chooseResolution(selector: SeriesSelector, retentionMs: number, now = Date.now()): ResolutionMs {
  if (selector.resolutionMs) return selector.resolutionMs;
  for (const r of RESOLUTIONS_MS) {
    if (now - selector.from > keepMs(r, retentionMs)) continue;
    if ((selector.to - selector.from) / r <= MAX_BUCKETS) return r;
  }
  return RESOLUTIONS_MS[RESOLUTIONS_MS.length - 1];
}

/** The range widened to whole buckets. */
export function bucketRange(selector: SeriesSelector, resolution: number): { from: number; to: number } {
  return { from: bucketOf(selector.from, resolution), to: Math.ceil(selector.to / resolution) * resolution };
}

/** Does a series' labels satisfy the selector's? */
export function labelsMatch(labels: Record<string, string>, wanted: Record<string, string> | undefined): boolean {
  if (!wanted) return true;
  for (const [k, v] of Object.entries(wanted)) if (labels[k] !== v) return false;
  return true;
}

/** The services of a store's series, by name: how many series, the newest chunk, every label's values. */
export function servicesOf(series: Iterable<{ service: string; labels: Record<string, string>; lastSeen: number }>): ServiceInfo[] {
  const byService = new Map<string, ServiceInfo>();
  for (const s of series) {
    let info = byService.get(s.service);
    if (!info) byService.set(s.service, (info = { service: s.service, series: 0, lastSeen: 0, labels: {} }));
    info.series++;
    info.lastSeen = Math.max(info.lastSeen, s.lastSeen);
    collectLabels(info.labels, s.labels);
  }
  return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service));
}

/** Rows ordered by bucket time, grouped into one entry per bucket. */
export function groupByBucket(rows: Iterable<{ time: number; stack: string; weight: number }>): BucketStacks['buckets'] {
  const buckets: BucketStacks['buckets'] = [];
  for (const r of rows) {
    if (buckets.length === 0 || buckets[buckets.length - 1].time !== r.time) buckets.push({ time: r.time, stacks: [] });
    buckets[buckets.length - 1].stacks.push({ stack: r.stack, weight: r.weight });
  }
  return buckets;
}

/** Adds one service's series labels into a key -> sorted values map. */
export function collectLabels(target: Record<string, string[]>, labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    const values = (target[k] ??= []);
    if (!values.includes(v)) {
      values.push(v);
      values.sort();
    }
  }
}

/** Sums weights of equal stack texts. */
export function sumStacks(rows: Iterable<{ stack: string; weight: number }>): WeightedStack[] {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.stack, (sums.get(r.stack) ?? 0) + r.weight);
  return [...sums].map(([stack, weight]) => ({ stack, weight }));
}
