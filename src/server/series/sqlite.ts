/**
 * The embedded continuous store: tables beside the profile store's in the
 * same SQLite file (its own connection, WAL mode, so chunks commit while pages
 * read). A chunk's stacks, its rows at the three resolutions (upserts that add
 * weights) and its (sender, seq) mark commit in one transaction, so a chunk is
 * stored exactly once or not at all, and WAL with synchronous=NORMAL keeps
 * every commit through a killed process. Chunks that arrive together (one
 * event-loop turn) share one transaction (group commit); each ingest() resolves
 * after the commit that holds it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chunkStacks, type StreamChunk, type StreamMarker } from '../../formats/stream-chunk.js';
import {
  bucketOf,
  bucketRange,
  type BucketStacks,
  chooseResolution,
  chunkTime,
  groupByBucket,
  DEFAULT_RETENTION_MS,
  hashId,
  type IngestResult,
  keepMs,
  labelsMatch,
  markerRange,
  MAX_QUERY_MARKERS,
  type MergedStacks,
  RESOLUTIONS_MS,
  type ResolutionMs,
  type SeriesSelector,
  type SeriesStore,
  seriesKey,
  servicesOf,
  type ServiceInfo,
  type Timeline,
} from './store.js';

const TABLE: Record<ResolutionMs, string> = { 10_000: 'cp_samples_10s', 60_000: 'cp_samples_1m', 3_600_000: 'cp_samples_1h' };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cp_series (id INTEGER PRIMARY KEY, service TEXT NOT NULL, labels TEXT NOT NULL, last_seen INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS cp_series_service ON cp_series (service);
  CREATE TABLE IF NOT EXISTS cp_stacks (id INTEGER PRIMARY KEY, stack TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS cp_chunks (sender TEXT NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (sender, seq)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS cp_markers (series INTEGER NOT NULL, start_ms REAL NOT NULL, end_ms REAL NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL, depth INTEGER NOT NULL, PRIMARY KEY (series, start_ms, name, depth, end_ms)) WITHOUT ROWID;
  ${RESOLUTIONS_MS.map((r) => `CREATE TABLE IF NOT EXISTS ${TABLE[r]} (series INTEGER NOT NULL, bucket INTEGER NOT NULL, stack INTEGER NOT NULL, weight REAL NOT NULL, PRIMARY KEY (series, bucket, stack)) WITHOUT ROWID;`).join('\n')}
`;

type Row = Record<string, unknown>;
const signed = (id: bigint) => BigInt.asIntN(64, id);

export class SqliteSeriesStore implements SeriesStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly insertChunks: (chunks: StreamChunk[]) => IngestResult[];
  /** Stack ids known to be in cp_stacks (saves a statement per stack; reset by expire()). */
  private readonly knownStacks = new Set<bigint>();

  constructor(
    readonly location: string,
    readonly retentionMs = DEFAULT_RETENTION_MS,
  ) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(SCHEMA);
    const seen = this.db.prepare('INSERT INTO cp_chunks (sender, seq, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    const series = this.db.prepare(
      'INSERT INTO cp_series (id, service, labels, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)',
    );
    const stack = this.db.prepare('INSERT INTO cp_stacks (id, stack) VALUES (?, ?) ON CONFLICT DO NOTHING');
    const samples = RESOLUTIONS_MS.map((r) => ({
      r,
      add: this.db.prepare(
        `INSERT INTO ${TABLE[r]} (series, bucket, stack, weight) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET weight = weight + excluded.weight`,
      ),
    }));
    const marker = this.db.prepare(
      'INSERT INTO cp_markers (series, start_ms, end_ms, name, category, depth) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const insertChunk = (chunk: StreamChunk): IngestResult => {
      if (chunk.sender && seen.run(chunk.sender, chunk.seq, Date.now()).changes === 0) return { stored: false, samples: 0, stacks: 0 };
      const seriesId = signed(hashId(seriesKey(chunk.service, chunk.labels)));
      series.run(seriesId, chunk.service, JSON.stringify(chunk.labels), chunk.until);
      for (const m of chunk.markers ?? []) marker.run(seriesId, m.start, m.end, m.name, m.category, m.depth);
      const time = chunkTime(chunk);
      let total = 0;
      const rows = chunkStacks(chunk);
      for (const { stack: text, weight } of rows) {
        const id = signed(hashId(text));
        if (!this.knownStacks.has(id)) {
          stack.run(id, text);
          this.knownStacks.add(id);
        }
        for (const { r, add } of samples) add.run(seriesId, bucketOf(time, r), id, weight);
        total += weight;
      }
      return { stored: true, samples: total, stacks: rows.length };
    };
    const transaction = this.db.transaction((chunks: StreamChunk[]) => chunks.map(insertChunk));
    this.insertChunks = (chunks) => {
      try {
        return transaction(chunks);
      } catch (err) {
        this.knownStacks.clear(); // rolled back: some may not be there
        throw err;
      }
    };
  }

  private queued: { chunk: StreamChunk; resolve: (r: IngestResult) => void; reject: (e: Error) => void }[] = [];

  ingest(chunk: StreamChunk): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.commitQueued());
      this.queued.push({ chunk, resolve, reject });
    });
  }

  private commitQueued(): void {
    const batch = this.queued;
    this.queued = [];
    let results: IngestResult[];
    try {
      results = this.insertChunks(batch.map((q) => q.chunk));
    } catch (err) {
      for (const q of batch) q.reject(err as Error);
      return;
    }
    batch.forEach((q, i) => q.resolve(results[i]));
  }

  private seriesRows(service?: string): { id: bigint; service: string; labels: Record<string, string>; lastSeen: number }[] {
    const statement =
      service === undefined
        ? this.db.prepare('SELECT id, service, labels, last_seen FROM cp_series')
        : this.db.prepare('SELECT id, service, labels, last_seen FROM cp_series WHERE service = ?');
    const rows = (service === undefined ? statement.safeIntegers(true).all() : statement.safeIntegers(true).all(service)) as Row[];
    return rows.map((r) => ({
      id: r.id as bigint,
      service: String(r.service),
      labels: JSON.parse(String(r.labels)),
      lastSeen: Number(r.last_seen),
    }));
  }

  async services(): Promise<ServiceInfo[]> {
    return servicesOf(this.seriesRows());
  }

  /** The matching series ids as an SQL list (they are integers we made: no injection possible). */
  private seriesList(selector: SeriesSelector): string | null {
    const ids = this.seriesRows(selector.service)
      .filter((s) => labelsMatch(s.labels, selector.labels))
      .map((s) => s.id.toString());
    return ids.length === 0 ? null : ids.join(',');
  }

  private plan(selector: SeriesSelector) {
    const resolutionMs = chooseResolution(selector, this.retentionMs);
    return { resolutionMs, ...bucketRange(selector, resolutionMs), list: this.seriesList(selector), table: TABLE[resolutionMs] };
  }

  async merged(selector: SeriesSelector): Promise<MergedStacks> {
    const { resolutionMs, from, to, list, table } = this.plan(selector);
    if (!list) return { resolutionMs, from, to, stacks: [] };
    const rows = this.db
      .prepare(
        `SELECT k.stack AS stack, x.weight AS weight FROM (SELECT stack, sum(weight) AS weight FROM ${table} WHERE series IN (${list}) AND bucket >= ? AND bucket < ? GROUP BY stack) x JOIN cp_stacks k ON k.id = x.stack`,
      )
      .all(from, to) as { stack: string; weight: number }[];
    return { resolutionMs, from, to, stacks: rows };
  }

  async timeline(selector: SeriesSelector): Promise<Timeline> {
    const { resolutionMs, from, to, list, table } = this.plan(selector);
    if (!list) return { resolutionMs, from, to, points: [] };
    const rows = this.db
      .prepare(
        `SELECT bucket AS time, sum(weight) AS weight FROM ${table} WHERE series IN (${list}) AND bucket >= ? AND bucket < ? GROUP BY bucket ORDER BY bucket`,
      )
      .all(from, to) as { time: number; weight: number }[];
    return { resolutionMs, from, to, points: rows };
  }

  async bucketStacks(selector: SeriesSelector): Promise<BucketStacks> {
    const { resolutionMs, from, to, list, table } = this.plan(selector);
    if (!list) return { resolutionMs, from, to, buckets: [] };
    const rows = this.db
      .prepare(
        `SELECT x.bucket AS time, k.stack AS stack, x.weight AS weight FROM (SELECT bucket, stack, sum(weight) AS weight FROM ${table} WHERE series IN (${list}) AND bucket >= ? AND bucket < ? GROUP BY bucket, stack) x JOIN cp_stacks k ON k.id = x.stack ORDER BY x.bucket`,
      )
      .all(from, to) as { time: number; stack: string; weight: number }[];
    return { resolutionMs, from, to, buckets: groupByBucket(rows) };
  }

  async markers(selector: SeriesSelector): Promise<StreamMarker[]> {
    const list = this.seriesList(selector);
    if (!list) return [];
    const { startFrom, startTo, endFrom } = markerRange(selector);
    return this.db
      .prepare(
        `SELECT name, start_ms AS start, end_ms AS "end", category, depth FROM cp_markers WHERE series IN (${list}) AND start_ms >= ? AND start_ms < ? AND end_ms >= ? ORDER BY start_ms, depth LIMIT ${MAX_QUERY_MARKERS}`,
      )
      .all(startFrom, startTo, endFrom) as StreamMarker[];
  }

  async expire(now: number): Promise<void> {
    this.db.transaction(() => {
      for (const r of RESOLUTIONS_MS) {
        const keep = keepMs(r, this.retentionMs);
        if (Number.isFinite(keep)) this.db.prepare(`DELETE FROM ${TABLE[r]} WHERE bucket < ?`).run(bucketOf(now - keep, r));
      }
      this.db.prepare('DELETE FROM cp_markers WHERE start_ms < ?').run(bucketOf(now - keepMs(10_000, this.retentionMs), 10_000));
      // A sender resends only what its bounded buffer holds: a day of marks is plenty.
      this.db.prepare('DELETE FROM cp_chunks WHERE received_at < ?').run(now - keepMs(10_000, this.retentionMs));
      this.db.prepare(`DELETE FROM cp_stacks WHERE id NOT IN (SELECT stack FROM ${TABLE[3_600_000]})`).run();
    })();
    this.knownStacks.clear();
  }

  async diskBytes(): Promise<number> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    try {
      const row = this.db
        .prepare("SELECT sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'cp_%' OR name LIKE 'sqlite_autoindex_cp_%'")
        .get() as Row;
      return Number(row.bytes ?? 0);
    } catch {
      const pages = Number(this.db.pragma('page_count', { simple: true }));
      return pages * Number(this.db.pragma('page_size', { simple: true }));
    }
  }

  async close(): Promise<void> {
    if (this.queued.length > 0) this.commitQueued();
    this.db.close();
  }
}
