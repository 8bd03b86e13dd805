/**
 * The continuous store on ClickHouse (`serve --store clickhouse://…`), for
 * more services than one SQLite file takes. Written for ClickHouse 18.16
 * (Debian bookworm) and up: no query parameters (18.16 refuses them: values
 * are numbers we made or escaped literals), no TTL clause (19.6+), no
 * transactions.
 *
 * Tables, in database D (created on every listed server):
 *   cp_series_local   ReplacingMergeTree(last_seen) ORDER BY id
 *   cp_stacks_local   ReplacingMergeTree ORDER BY id: stacks deduplicated by their 64-bit hash
 *   cp_samples_10s_local
 *                     MergeTree, PARTITION BY day, ORDER BY (series, bucket, stack): each row
 *                     also says which chunk brought it (sender, seq) and which write (copy, one
 *                     random id per write of a chunk). A query of one service's range reads one contiguous
 *                     slice of the key.
 *   cp_samples_1m_local, _1h_local
 *                     SummingMergeTree(weight), PARTITION BY day, ORDER BY (series, bucket, stack):
 *                     two materialized views roll the 10 s rows up as they are inserted, on the
 *                     shard that received them.
 *   cp_chunks_local   MergeTree ORDER BY (sender, seq): one row per chunk per write, filled by a
 *                     materialized view from the 10 s rows (so it is in exactly when they are).
 *   cp_corrections_10s_local, _1m_local, _1h_local
 *                     ReplacingMergeTree(copies) ORDER BY (series, bucket, stack, sender, seq):
 *                     minus the weights of a chunk's extra copies (see Once only), one table per
 *                     resolution so that each is dropped with the rows it corrects.
 *   cp_markers_local  MergeTree, PARTITION BY day of start, ORDER BY (series, start_ms): the phases
 *                     chunks carried (PyPy's GC/JIT log sections), dropped with the 10 s rows; a
 *                     copied chunk's markers are equal rows, read once (DISTINCT).
 * With `?cluster=NAME` (a cluster in the servers' <remote_servers>), each table
 * also gets a Distributed table without the `_local` suffix over all shards:
 * samples and series sharded by series id (a series' rows and its rollups stay
 * on one shard), stacks by stack id; inserts go through the Distributed tables
 * synchronously (insert_distributed_sync), so an acknowledged chunk is on its shard.
 *
 * Retention: day partitions older than each resolution keeps are dropped
 * (`expire`, hourly from the server): the same effect as TTL on servers that
 * lack it, and cheaper (no merge rewrites).
 *
 * Batching: ClickHouse wants few large inserts, not one per chunk. One batch is
 * written at a time; the next starts 5 ms after its first chunk came and after the
 * previous batch was written, and takes everything pending then, one INSERT per table
 * (group commit with a linger: an idle server writes a lone chunk 5 ms after it comes,
 * a busy one writes larger batches). Each ingest() resolves when its batch is written.
 * Each chunk's rows are built when it arrives (prepare), so a batch only joins them.
 * Earlier versions waited 50 ms and queued each slice behind the batch being written
 * (under load, batches of 1-7 chunks: ~140 chunks/s), then wrote with no linger, which
 * under 100 senders alternated a batch of ~99 chunks with one of the 1 that came late.
 * Stack rows are written before the samples that use them, once (ReplacingMergeTree
 * would merge a repeat); series rows (their last_seen) go beside the samples, in parallel: a query finds samples through their series, so
 * samples whose series row is not there yet are simply not seen yet.
 *
 * Once only (a chunk resent after a lost acknowledgement, or given to two servers at
 * once, counts once): 18.16 has no insert deduplication outside replicated tables (no
 * insert_deduplication_token, no non_replicated_deduplication_window), no transactions,
 * and nothing one server could lock against another. So a copy is not prevented but
 * cancelled. Every write of a chunk leaves a row in cp_chunks (the view runs inside the
 * samples' insert). After its samples are in, a batch asks cp_chunks how many copies of
 * each of its chunks exist; for a chunk with n > 1 it writes correction rows, the chunk's
 * weights times -(n - 1), keyed by (series, bucket, stack, sender, seq) with version n.
 * Every query adds the corrections (the latest version of each key) to whichever
 * resolution it reads, so a copy counts once in the 10 s rows and in the rollups. Two
 * writes of one chunk, by one server or by two racing ones: each writes its samples, then
 * counts; the later of the two counts sees both copies (the earlier one's insert was
 * answered before it counted), so at least one writes the correction before it answers,
 * and a correction written twice for the same n is one row after replacement (argMax
 * at read). A chunk's copies share its series, so its rows, its cp_chunks row and its
 * corrections are on one shard. The counting is one query per batch, after the insert:
 * the earlier design asked before writing (which also cost a round trip) and could not
 * see another server's copy in flight. Chunks without a sender (Pyroscope's ingest) cannot
 * be recognised when resent: each gets a random seq and no cp_chunks row.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import type { StreamChunk, StreamMarker } from '../../formats/stream-chunk.js';
import {
  bucketRange,
  type BucketStacks,
  chooseResolution,
  groupByBucket,
  DEFAULT_RETENTION_MS,
  type IngestResult,
  keepMs,
  labelsMatch,
  markerRange,
  MAX_QUERY_MARKERS,
  type MergedStacks,
  RESOLUTIONS_MS,
  type ResolutionMs,
  type EncodedChunk,
  type SeriesSelector,
  type SeriesStore,
  servicesOf,
  type ServiceInfo,
  type Timeline,
} from './store.js';
import { ChunkPreparer, type Prepared, tsvField } from './chunk-preparer.js';
import { PrepareWorker } from './prepare-worker.js';

/** At most this many sample rows in one INSERT (a larger batch waits for the next one). */
const BATCH_ROWS = 200_000;
/**
 * How long a batch waits for more chunks after its first chunk came, and after the previous batch
 * was written (a chunk covers 10 s: a few ms is nothing to it). Without the wait, 100 senders each
 * waiting for its answer moved in lockstep: as a batch of ~99 chunks was answered, the 1 that came
 * late went out alone, and the 99 new ones waited for it, each batch paying an insert's fixed cost.
 */
const LINGER_MS = 5;
const SUFFIX: Record<ResolutionMs, string> = { 10_000: '10s', 60_000: '1m', 3_600_000: '1h' };

export interface ClickHouseLocation {
  /** http://host:port of each server; the first takes queries and inserts. */
  servers: string[];
  database: string;
  cluster: string | null;
  user: string;
  password: string;
}

/** clickhouse://[user[:password]@]host:port[,host:port…]/database[?cluster=NAME] */
export function parseClickHouseUrl(url: string): ClickHouseLocation {
  const m = /^clickhouse:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([A-Za-z0-9_]*))?(?:\?(.*))?$/i.exec(url);
  if (!m) throw new Error(`not a ClickHouse URL: expected clickhouse://host:8123/database[?cluster=NAME], got ${JSON.stringify(url)}`);
  const servers = m[3].split(',').map((hostPort) => {
    if (!/^[A-Za-z0-9.\-[\]:]+$/.test(hostPort)) throw new Error(`bad ClickHouse host "${hostPort}"`);
    return `http://${/:\d+$/.test(hostPort) ? hostPort : `${hostPort}:8123`}`;
  });
  const params = new URLSearchParams(m[5] ?? '');
  const cluster = params.get('cluster');
  if (cluster !== null && !/^[A-Za-z0-9_]+$/.test(cluster)) throw new Error(`bad ClickHouse cluster name "${cluster}"`);
  return {
    servers,
    database: m[4] || 'pyrometer',
    cluster,
    user: decodeURIComponent(m[1] ?? 'default') || 'default',
    password: decodeURIComponent(m[2] ?? ''),
  };
}

/** A string as a ClickHouse literal. */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Databases made before the 10 s rows carried their chunk and write (sender, seq, copy) cannot
 * count copies: say so instead of failing on the first insert.
 */
async function checkChunkColumns(shard: ClickHouseClient, database: string): Promise<void> {
  const columns = await (
    await shard.query({
      query: `SELECT name FROM system.columns WHERE database = ${literal(database)} AND table = 'cp_samples_10s_local'`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  if (!columns.some((c) => c.name === 'copy'))
    throw new Error(
      `the ClickHouse database ${database} was made by an older pyrometer (its 10 s samples do not say which write brought them): ` +
        `drop it (DROP DATABASE ${database}) or give serve another database in the --store URL`,
    );
}

interface Pending {
  chunk: Prepared;
  /** performance.now() when it arrived. */
  at: number;
  resolve: (result: IngestResult) => void;
  reject: (err: Error) => void;
}

export class ClickHouseSeriesStore implements SeriesStore {
  readonly kind = 'clickhouse' as const;
  readonly location: string;
  private pending: Pending[] = [];
  /**
   * The batch being written, if any. One at a time: two in flight gave the same ingest rate in
   * bench:continuous (0.96-0.99x, alternating rounds) and cost ClickHouse ~30% more CPU a chunk
   * (twice the parts, each a directory of files, then merged).
   */
  private writing: Promise<void> | null = null;
  /** The timer that starts the next batch when its first chunk has lingered LINGER_MS. */
  private lingering: NodeJS.Timeout | null = null;
  /** performance.now() when the last batch was written. */
  private writtenAt = 0;
  /** Stack ids known to be written (ReplacingMergeTree would merge repeats; this saves sending them). */
  private readonly knownStacks = new Set<string>();
  /** Texts of stacks met but not yet written. */
  private readonly unwrittenStacks = new Map<string, string>();
  /** Prepares the chunks given to ingest() (the HTTP route's go to a worker thread: see ingestEncoded). */
  private readonly preparer = new ChunkPreparer();
  /** The worker thread preparing the route's chunks, started on first use. */
  private worker: PrepareWorker | null = null;

  private constructor(
    private readonly client: ClickHouseClient,
    private readonly shards: ClickHouseClient[],
    private readonly where: ClickHouseLocation,
    readonly retentionMs: number,
  ) {
    this.location = `clickhouse ${where.servers.join(',')}/${where.database}${where.cluster ? ` cluster ${where.cluster}` : ''}`;
  }

  static async open(url: string, retentionMs = DEFAULT_RETENTION_MS): Promise<ClickHouseSeriesStore> {
    const where = parseClickHouseUrl(url);
    // Loaded here, not at the top: only a server using this store pays for the client.
    const { createClient } = await import('@clickhouse/client');
    const make = (server: string) =>
      createClient({ url: server, username: where.user, password: where.password, log: { level: 127 }, request_timeout: 60_000 });
    const shards = where.servers.map(make);
    const store = new ClickHouseSeriesStore(shards[0], shards, where, retentionMs);
    try {
      await store.createTables();
    } catch (err) {
      await Promise.all(shards.map((c) => c.close()));
      throw err;
    }
    return store;
  }

  /** The table queries and inserts use: the Distributed one on a cluster, else the local one. */
  private table(name: string): string {
    return `${this.where.database}.${name}${this.where.cluster ? '' : '_local'}`;
  }

  private async createTables(): Promise<void> {
    const d = this.where.database;
    const day = 'toYYYYMMDD(toDateTime(intDiv(bucket, 1000)))';
    for (const shard of this.shards) {
      const run = (query: string) => shard.command({ query });
      await run(`CREATE DATABASE IF NOT EXISTS ${d}`);
      await run(
        `CREATE TABLE IF NOT EXISTS ${d}.cp_series_local (id UInt64, service String, labels String, last_seen UInt64) ENGINE = ReplacingMergeTree(last_seen) ORDER BY id`,
      );
      await run(`CREATE TABLE IF NOT EXISTS ${d}.cp_stacks_local (id UInt64, stack String) ENGINE = ReplacingMergeTree ORDER BY id`);
      await run(
        `CREATE TABLE IF NOT EXISTS ${d}.cp_samples_10s_local (series UInt64, bucket UInt64, stack UInt64, weight Float64, sender String, seq UInt64, copy UInt64) ENGINE = MergeTree PARTITION BY ${day} ORDER BY (series, bucket, stack)`,
      );
      await run(
        `CREATE TABLE IF NOT EXISTS ${d}.cp_chunks_local (sender String, seq UInt64, copy UInt64, chunk_bucket UInt64) ENGINE = MergeTree PARTITION BY toYYYYMMDD(toDateTime(intDiv(chunk_bucket, 1000))) ORDER BY (sender, seq)`,
      );
      for (const r of RESOLUTIONS_MS) {
        await run(
          `CREATE TABLE IF NOT EXISTS ${d}.cp_corrections_${SUFFIX[r]}_local (series UInt64, bucket UInt64, stack UInt64, weight Float64, sender String, seq UInt64, copies UInt64) ENGINE = ReplacingMergeTree(copies) PARTITION BY ${day} ORDER BY (series, bucket, stack, sender, seq)`,
        );
      }
      await run(
        `CREATE TABLE IF NOT EXISTS ${d}.cp_markers_local (series UInt64, start_ms Float64, end_ms Float64, name String, category String, depth UInt32) ENGINE = MergeTree PARTITION BY toYYYYMMDD(toDateTime(intDiv(toUInt64(start_ms), 1000))) ORDER BY (series, start_ms)`,
      );
      await checkChunkColumns(shard, d);
      await run(
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${d}.cp_chunk_writes TO ${d}.cp_chunks_local AS SELECT sender, seq, copy, min(bucket) AS chunk_bucket FROM ${d}.cp_samples_10s_local WHERE sender != '' GROUP BY sender, seq, copy`,
      );
      for (const r of RESOLUTIONS_MS.slice(1)) {
        await run(
          `CREATE TABLE IF NOT EXISTS ${d}.cp_samples_${SUFFIX[r]}_local (series UInt64, bucket UInt64, stack UInt64, weight Float64) ENGINE = SummingMergeTree(weight) PARTITION BY ${day} ORDER BY (series, bucket, stack)`,
        );
      }
      for (const r of RESOLUTIONS_MS.slice(1)) {
        await run(
          `CREATE MATERIALIZED VIEW IF NOT EXISTS ${d}.cp_rollup_${SUFFIX[r]} TO ${d}.cp_samples_${SUFFIX[r]}_local AS SELECT series, intDiv(bucket, ${r}) * ${r} AS bucket, stack, weight FROM ${d}.cp_samples_10s_local`,
        );
      }
      const cluster = this.where.cluster;
      if (cluster) {
        const distributed = (name: string, key: string) =>
          run(
            `CREATE TABLE IF NOT EXISTS ${d}.${name} AS ${d}.${name}_local ENGINE = Distributed(${cluster}, ${d}, ${name}_local, ${key})`,
          );
        await distributed('cp_series', 'id');
        await distributed('cp_markers', 'series');
        await distributed('cp_stacks', 'id');
        for (const r of RESOLUTIONS_MS) await distributed(`cp_samples_${SUFFIX[r]}`, 'series');
        // Never inserted into (the view fills the local tables), only read: any key will do.
        await distributed('cp_chunks', 'seq');
        for (const r of RESOLUTIONS_MS) await distributed(`cp_corrections_${SUFFIX[r]}`, 'series');
      }
    }
  }

  ingest(chunk: StreamChunk): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.enqueue(this.preparer.prepare(chunk), resolve, reject);
    });
  }

  /** A chunk as the HTTP routes have it (see EncodedChunk), decoded and prepared in the worker thread. */
  async ingestEncoded(chunk: EncodedChunk): Promise<IngestResult> {
    this.worker ??= new PrepareWorker();
    const prepared = await this.worker.prepare(chunk);
    return new Promise((resolve, reject) => this.enqueue(prepared, resolve, reject));
  }

  private enqueue(chunk: Prepared, resolve: (result: IngestResult) => void, reject: (err: Error) => void): void {
    // A text stays until its stack is written (a failed write leaves it for the resent chunk).
    for (const [id, text] of chunk.texts) if (!this.knownStacks.has(id)) this.unwrittenStacks.set(id, text);
    this.pending.push({ chunk, at: performance.now(), resolve, reject });
    this.schedule();
  }

  /**
   * Starts the next batch when none is being written, LINGER_MS after its first chunk came and
   * after the last batch was written (group commit with a short linger, as Kafka's producers
   * batch): the chunks arriving in those few ms go out together.
   */
  private schedule(): void {
    if (this.pending.length === 0 || this.lingering || this.writing) return;
    const from = Math.max(this.pending[0].at, this.writtenAt);
    const wait = Math.max(0, from + LINGER_MS - performance.now());
    this.lingering = setTimeout(() => {
      this.lingering = null;
      this.writeNext();
    }, wait);
  }

  /** Writes what is pending as one batch, if none is being written. */
  private writeNext(): void {
    if (this.writing || this.pending.length === 0) return;
    let rows = 0;
    let n = 0;
    while (n < this.pending.length && (n === 0 || rows + this.pending[n].chunk.ids.length <= BATCH_ROWS))
      rows += this.pending[n++].chunk.ids.length;
    const batch = this.pending.splice(0, n);
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = null;
      this.writtenAt = performance.now();
      this.schedule();
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      const results = await this.writeChunks(batch.map((p) => p.chunk));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  private async writeChunks(chunks: Prepared[]): Promise<IngestResult[]> {
    const settings = { insert_distributed_sync: 1 } as Record<string, unknown>;
    const insert = (table: string, values: Record<string, unknown>[]) =>
      values.length === 0
        ? Promise.resolve()
        : this.client.insert({ table: this.table(table), values, format: 'JSONEachRow', clickhouse_settings: settings as never });
    // The sample rows are many and plain: TabSeparated text costs a fraction of JSONEachRow to make and parse.
    const insertTsv = (table: string, rows: Uint8Array[]) =>
      rows.length === 0
        ? Promise.resolve()
        : this.client.insert({
            table: this.table(table),
            values: Readable.from([Buffer.concat(rows)], { objectMode: false }),
            format: 'TabSeparated',
            clickhouse_settings: settings as never,
          });
    // Repeats within this batch are dropped here; copies written by other batches or servers are counted after the insert.
    const inBatch = new Set<string>();
    const results: IngestResult[] = [];
    const written: { chunk: Prepared; result: number }[] = [];
    const series: Record<string, unknown>[] = [];
    const stacks: Record<string, unknown>[] = [];
    const samples: Uint8Array[] = [];
    const markers: Record<string, unknown>[] = [];
    const newStacks: string[] = [];
    const inBatchStacks = new Set<string>();
    for (const chunk of chunks) {
      const key = `${chunk.sender}\n${chunk.seq}`;
      if (chunk.sender && inBatch.has(key)) {
        results.push({ stored: false, samples: 0, stacks: 0 });
        continue;
      }
      if (chunk.sender) inBatch.add(key);
      series.push(chunk.seriesRow);
      for (const m of chunk.markers) markers.push(m);
      for (const id of chunk.ids) {
        if (!this.knownStacks.has(id) && !inBatchStacks.has(id)) {
          // Known only once written: a batch whose stacks insert failed leaves them for the next.
          inBatchStacks.add(id);
          newStacks.push(id);
          stacks.push({ id, stack: this.unwrittenStacks.get(id) });
        }
      }
      samples.push(chunk.rows);
      if (chunk.sender) written.push({ chunk, result: results.length });
      results.push({ stored: true, samples: chunk.total, stacks: chunk.ids.length });
    }
    await Promise.all([
      insert('cp_series', series),
      insert('cp_markers', markers),
      (async () => {
        // Stacks first: a sample never refers to a stack that is not there.
        await insert('cp_stacks', stacks);
        for (const id of newStacks) {
          this.knownStacks.add(id);
          this.unwrittenStacks.delete(id);
        }
        // One insert: the samples, their rollups and the chunks' cp_chunks rows (views).
        await insertTsv('cp_samples_10s', samples);
      })(),
    ]);
    if (written.length > 0) await this.cancelCopies(written, results, insertTsv);
    return results;
  }

  /**
   * Counts the copies of the chunks just written; for each chunk written n > 1 times
   * (by this server or another), writes its weights times -(n - 1) as corrections and
   * answers it as not stored (see Once only).
   */
  private async cancelCopies(
    written: { chunk: Prepared; result: number }[],
    results: IngestResult[],
    insertTsv: (table: string, rows: Uint8Array[]) => Promise<unknown>,
  ): Promise<void> {
    // A superset (every sender x seq), narrowed to exact chunks below: tuple IN lists vary across versions.
    const list = (values: Iterable<string | number>) => [...new Set(values)].join(', ');
    const rows = await this.rows<{ sender: string; seq_text: string; copies: string }>(
      `SELECT sender, toString(seq) AS seq_text, uniqExact(copy) AS copies FROM ${this.table('cp_chunks')} ` +
        `WHERE sender IN (${list(written.map((w) => literal(w.chunk.sender)))}) AND seq IN (${list(written.map((w) => w.chunk.seq))}) ` +
        'GROUP BY sender, seq HAVING copies > 1',
    );
    if (rows.length === 0) return;
    const copies = new Map(rows.map((r) => [`${r.sender}\n${r.seq_text}`, Number(r.copies)]));
    const corrections: string[] = [];
    for (const { chunk, result } of written) {
      const n = copies.get(`${chunk.sender}\n${chunk.seq}`);
      if (n === undefined) continue;
      const rowEnd = `\t${tsvField(chunk.sender)}\t${chunk.seq}\t${n}\n`;
      chunk.ids.forEach((id: string, i: number) =>
        corrections.push(`${chunk.seriesId}\t${chunk.bucket}\t${id}\t${-(n - 1) * chunk.weights[i]}${rowEnd}`),
      );
      results[result] = { stored: false, samples: 0, stacks: 0 };
    }
    if (corrections.length === 0) return;
    const body = [Buffer.from(corrections.join(''))];
    await Promise.all(RESOLUTIONS_MS.map((r) => insertTsv(`cp_corrections_${SUFFIX[r]}`, body)));
  }

  private async rows<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  private async seriesRows(service?: string): Promise<{ id: string; service: string; labels: Record<string, string>; lastSeen: number }[]> {
    const where = service === undefined ? '' : `WHERE service = ${literal(service)}`;
    // Aliases never reuse a column's name: ClickHouse resolves aliases in WHERE too.
    const rows = await this.rows<{ id_text: string; service_name: string; labels_json: string; seen: string }>(
      `SELECT toString(id) AS id_text, any(service) AS service_name, any(labels) AS labels_json, max(last_seen) AS seen FROM ${this.table('cp_series')} ${where} GROUP BY id`,
    );
    return rows.map((r) => ({ id: r.id_text, service: r.service_name, labels: JSON.parse(r.labels_json), lastSeen: Number(r.seen) }));
  }

  async services(): Promise<ServiceInfo[]> {
    return servicesOf(await this.seriesRows());
  }

  private async plan(selector: SeriesSelector) {
    const resolutionMs = chooseResolution(selector, this.retentionMs);
    const ids = (await this.seriesRows(selector.service)).filter((s) => labelsMatch(s.labels, selector.labels)).map((s) => s.id);
    const range = bucketRange(selector, resolutionMs);
    const where = `series IN (${ids.join(',')}) AND bucket >= ${range.from} AND bucket < ${range.to}`;
    // The selection's rows (b: bucket, s: stack, w: weight) with the corrections of copied chunks added (see Once only).
    const source =
      `(SELECT bucket AS b, stack AS s, weight AS w FROM ${this.table(`cp_samples_${SUFFIX[resolutionMs]}`)} WHERE ${where} ` +
      `UNION ALL SELECT intDiv(bucket, ${resolutionMs}) * ${resolutionMs} AS b, stack AS s, argMax(weight, copies) AS w ` +
      `FROM ${this.table(`cp_corrections_${SUFFIX[resolutionMs]}`)} WHERE ${where} GROUP BY series, bucket, stack, sender, seq)`;
    return { resolutionMs, ...range, source: ids.length === 0 ? null : source };
  }

  /** Stack texts of ids, looked up in a query per 10,000. */
  private async stackTexts(ids: string[]): Promise<Map<string, string>> {
    const texts = new Map<string, string>();
    // 10,000 ids of up to 20 digits stay under ClickHouse's max_query_size (256 KiB); 20,000 did not.
    for (let i = 0; i < ids.length; i += 10_000) {
      const part = ids.slice(i, i + 10_000);
      const rows = await this.rows<{ id_text: string; stack_text: string }>(
        `SELECT toString(id) AS id_text, any(stack) AS stack_text FROM ${this.table('cp_stacks')} WHERE id IN (${part.join(',')}) GROUP BY id`,
      );
      for (const r of rows) texts.set(r.id_text, r.stack_text);
    }
    return texts;
  }

  async merged(selector: SeriesSelector): Promise<MergedStacks> {
    const { resolutionMs, from, to, source } = await this.plan(selector);
    if (!source) return { resolutionMs, from, to, stacks: [] };
    const rows = await this.rows<{ stack_id: string; total: number }>(
      `SELECT toString(s) AS stack_id, sum(w) AS total FROM ${source} GROUP BY s`,
    );
    const texts = await this.stackTexts(rows.map((r) => r.stack_id));
    return {
      resolutionMs,
      from,
      to,
      stacks: rows.filter((r) => texts.has(r.stack_id)).map((r) => ({ stack: texts.get(r.stack_id)!, weight: Number(r.total) })),
    };
  }

  async timeline(selector: SeriesSelector): Promise<Timeline> {
    const { resolutionMs, from, to, source } = await this.plan(selector);
    if (!source) return { resolutionMs, from, to, points: [] };
    const rows = await this.rows<{ t: string; total: number }>(`SELECT b AS t, sum(w) AS total FROM ${source} GROUP BY b ORDER BY b`);
    return { resolutionMs, from, to, points: rows.map((r) => ({ time: Number(r.t), weight: Number(r.total) })) };
  }

  async bucketStacks(selector: SeriesSelector): Promise<BucketStacks> {
    const { resolutionMs, from, to, source } = await this.plan(selector);
    if (!source) return { resolutionMs, from, to, buckets: [] };
    const rows = await this.rows<{ t: string; stack_id: string; total: number }>(
      `SELECT b AS t, toString(s) AS stack_id, sum(w) AS total FROM ${source} GROUP BY b, s ORDER BY b`,
    );
    const texts = await this.stackTexts([...new Set(rows.map((r) => r.stack_id))]);
    const named = rows
      .filter((r) => texts.has(r.stack_id))
      .map((r) => ({ time: Number(r.t), stack: texts.get(r.stack_id)!, weight: Number(r.total) }));
    return { resolutionMs, from, to, buckets: groupByBucket(named) };
  }

  async markers(selector: SeriesSelector): Promise<StreamMarker[]> {
    const ids = (await this.seriesRows(selector.service)).filter((s) => labelsMatch(s.labels, selector.labels)).map((s) => s.id);
    if (ids.length === 0) return [];
    const { startFrom, startTo, endFrom } = markerRange(selector);
    const rows = await this.rows<{ marker: string; from_ms: number; to_ms: number; kind: string; level: number }>(
      `SELECT DISTINCT series, name AS marker, start_ms AS from_ms, end_ms AS to_ms, category AS kind, depth AS level FROM ${this.table('cp_markers')} ` +
        `WHERE series IN (${ids.join(',')}) AND start_ms >= ${startFrom} AND start_ms < ${startTo} AND end_ms >= ${endFrom} ` +
        `ORDER BY from_ms, level LIMIT ${MAX_QUERY_MARKERS}`,
    );
    return rows.map((r) => ({
      name: r.marker,
      start: Number(r.from_ms),
      end: Number(r.to_ms),
      category: r.kind as StreamMarker['category'],
      depth: Number(r.level),
    }));
  }

  async expire(now: number): Promise<void> {
    const d = this.where.database;
    // Each resolution's corrections go with its rows; a chunk's record of copies as long as
    // its 10 s rows (a copy arriving later than that is not recognised).
    const tables: [string, number][] = [
      ...RESOLUTIONS_MS.flatMap((r): [string, number][] => [
        [`cp_samples_${SUFFIX[r]}_local`, keepMs(r, this.retentionMs)],
        [`cp_corrections_${SUFFIX[r]}_local`, keepMs(r, this.retentionMs)],
      ]),
      ['cp_chunks_local', keepMs(RESOLUTIONS_MS[0], this.retentionMs)],
      ['cp_markers_local', keepMs(RESOLUTIONS_MS[0], this.retentionMs)],
    ];
    for (const shard of this.shards) {
      for (const [table, keep] of tables) {
        if (!Number.isFinite(keep)) continue;
        // Whole days older than the cut-off: partitions are YYYYMMDD of the bucket's UTC day.
        const cut = new Date(now - keep).toISOString().slice(0, 10).replace(/-/g, '');
        const old = await (
          await shard.query({
            query: `SELECT DISTINCT partition FROM system.parts WHERE database = ${literal(d)} AND table = ${literal(table)} AND active AND partition < ${literal(cut)}`,
            format: 'JSONEachRow',
          })
        ).json<{ partition: string }>();
        for (const p of old)
          if (/^\d{8}$/.test(p.partition)) await shard.command({ query: `ALTER TABLE ${d}.${table} DROP PARTITION ${p.partition}` });
      }
    }
  }

  async diskBytes(): Promise<number> {
    let total = 0;
    for (const shard of this.shards) {
      const rows = await (
        await shard.query({
          query: `SELECT sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = ${literal(this.where.database)} AND active AND table LIKE 'cp_%'`,
          format: 'JSONEachRow',
        })
      ).json<{ bytes: string }>();
      total += Number(rows[0]?.bytes ?? 0);
    }
    return total;
  }

  /** Merges parts now (tests and benches measure the merged state). */
  async optimize(): Promise<void> {
    for (const shard of this.shards) {
      const perResolution = RESOLUTIONS_MS.flatMap((r) => [`cp_samples_${SUFFIX[r]}`, `cp_corrections_${SUFFIX[r]}`]);
      for (const name of ['cp_series', 'cp_stacks', 'cp_chunks', 'cp_markers', ...perResolution]) {
        await shard.command({ query: `OPTIMIZE TABLE ${this.where.database}.${name}_local FINAL` });
      }
    }
  }

  async close(): Promise<void> {
    // Every chunk handed to ingest() is written (or failed) before the connections close.
    while (this.writing || this.pending.length > 0) {
      if (this.lingering) clearTimeout(this.lingering);
      this.lingering = null;
      this.writeNext();
      await this.writing;
    }
    await this.worker?.close();
    this.worker = null;
    await Promise.all(this.shards.map((c) => c.close()));
  }
}
