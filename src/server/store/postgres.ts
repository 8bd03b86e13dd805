/**
 * The PostgreSQL store (`pyrometer serve --db postgres://…`): the same schema
 * and behaviour as the SQLite store, through a pg connection pool so
 * concurrent uploads and views each get their own connection. Multi-statement
 * writes run in one transaction on one pooled client; row locks
 * (`SELECT … FOR UPDATE`) keep two uploads to the same runtime from both
 * succeeding, and an advisory lock keeps two servers from migrating at once.
 */
import pg from 'pg';
import { open } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { migrations } from './migrations.js';
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  attachmentFromRow,
  BLOB_CHUNK_BYTES,
  type BlobSource,
  type ListQuery,
  type ListResult,
  listWhere,
  type ParsedProfileFacts,
  PROFILE_COLUMNS,
  type ProfileRow,
  profileFromRow,
  type Store,
  StoreConflictError,
  TOKEN_COLUMNS,
  type TokenRow,
  tokenFromRow,
} from './store.js';

type Row = Record<string, unknown>;
const MIGRATION_LOCK_KEY = 0x70797267; // "pyrg": any constant shared by every pyrometer server

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly location: string;

  private constructor(
    private readonly pool: pg.Pool,
    url: string,
  ) {
    this.location = redactUrl(url);
  }

  static async open(url: string, poolSize = 10): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, url);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const current = Number((await c.query('SELECT max(version) AS v FROM schema_version')).rows[0].v ?? 0);
      const latest = migrations[migrations.length - 1].version;
      if (current > latest) {
        throw new Error(`${this.location}: database schema version ${current} is newer than this pyrometer (${latest}); upgrade pyrometer`);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.pool.query('SELECT max(version) AS v FROM schema_version')).rows[0].v ?? 0);
  }

  async createRuntime(r: { id: string; name: string; vm: string; createdAt: number }): Promise<void> {
    await this.pool.query('INSERT INTO profiles (id, created_at, name, vm) VALUES ($1, $2, $3, $4)', [r.id, r.createdAt, r.name, r.vm]);
  }

  async getProfile(id: string): Promise<ProfileRow | undefined> {
    const { rows } = await this.pool.query(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE id = $1`, [id]);
    return rows[0] ? profileFromRow(rows[0]) : undefined;
  }

  private async insertBlob(c: pg.PoolClient, source: BlobSource): Promise<string> {
    const blob = randomUUID();
    const file = await open(source.path, 'r');
    try {
      let seq = 0;
      for (;;) {
        const buffer = Buffer.allocUnsafe(BLOB_CHUNK_BYTES);
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, null);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        if (filled === 0 && seq > 0) break;
        await c.query('INSERT INTO blob_chunks (blob, seq, data) VALUES ($1, $2, $3)', [blob, seq++, buffer.subarray(0, filled)]);
        if (filled < buffer.length) break;
      }
    } finally {
      await file.close();
    }
    return blob;
  }

  private async lockRuntime(c: pg.PoolClient, id: string): Promise<Row> {
    const { rows } = await c.query('SELECT completed, has_profile FROM profiles WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new StoreConflictError(`no runtime ${id}`);
    if (Number(rows[0].completed) === 1) throw new StoreConflictError('the runtime data is already frozen, cannot upload any more files');
    return rows[0];
  }

  async storeProfile(id: string, facts: ParsedProfileFacts, raw: BlobSource, model: BlobSource): Promise<void> {
    await this.transaction(async (c) => {
      const row = await this.lockRuntime(c, id);
      if (Number(row.has_profile) === 1) throw new StoreConflictError('this runtime already has a profile');
      const rawBlob = await this.insertBlob(c, raw);
      const modelBlob = await this.insertBlob(c, model);
      await c.query(
        `UPDATE profiles SET has_profile = 1, file_name = $2, format = $3, interpreter = $4,
           vm = CASE WHEN vm = '' THEN $5 ELSE vm END, start_time = $6, stop_time = $7, arch = $8, os = $9,
           sample_count = $10, thread_count = $11, duration_ms = $12, raw_size = $13, raw_sha256 = $14,
           raw_blob = $15, raw_encoding = $16, model_blob = $17, model_size = $18 WHERE id = $1`,
        [
          id,
          facts.fileName,
          facts.format,
          facts.interpreter,
          facts.vm ?? facts.interpreter,
          facts.startTime,
          facts.stopTime,
          facts.arch,
          facts.os,
          facts.sampleCount,
          facts.threadCount,
          facts.durationMs,
          facts.rawSize,
          facts.rawSha256,
          rawBlob,
          facts.rawEncoding,
          modelBlob,
          facts.modelSize,
        ],
      );
    });
  }

  async addAttachment(a: Omit<AttachmentRow, 'blob'>, data: BlobSource): Promise<AttachmentRow> {
    return this.transaction(async (c) => {
      await this.lockRuntime(c, a.profileId);
      const blob = await this.insertBlob(c, data);
      await c.query(`INSERT INTO attachments (${ATTACHMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        a.id,
        a.profileId,
        a.kind,
        a.fileName,
        a.createdAt,
        a.size,
        a.sha256,
        blob,
        a.encoding,
      ]);
      return { ...a, blob };
    });
  }

  async listAttachments(profileId: string): Promise<AttachmentRow[]> {
    const { rows } = await this.pool.query(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE profile_id = $1 ORDER BY created_at, id`, [
      profileId,
    ]);
    return rows.map(attachmentFromRow);
  }

  async getAttachment(id: string): Promise<AttachmentRow | undefined> {
    const { rows } = await this.pool.query(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1`, [id]);
    return rows[0] ? attachmentFromRow(rows[0]) : undefined;
  }

  async freeze(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE profiles SET completed = 1 WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async list(query: ListQuery): Promise<ListResult> {
    const { where, params } = listWhere(query, (i) => `$${i}`, 'ILIKE');
    const count = Number((await this.pool.query(`SELECT count(*) AS n FROM profiles WHERE ${where}`, params)).rows[0].n);
    const n = params.length;
    const { rows } = await this.pool.query(
      `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, query.limit, query.offset],
    );
    return { count, rows: rows.map(profileFromRow) };
  }

  async deleteProfile(id: string): Promise<boolean> {
    return this.transaction(async (c) => {
      const { rows } = await c.query('SELECT raw_blob, model_blob FROM profiles WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) return false;
      const attachments = await c.query('SELECT blob FROM attachments WHERE profile_id = $1', [id]);
      const blobs = [rows[0].raw_blob, rows[0].model_blob, ...attachments.rows.map((r: Row) => r.blob)].filter(Boolean);
      if (blobs.length) await c.query('DELETE FROM blob_chunks WHERE blob = ANY($1::text[])', [blobs]);
      await c.query('DELETE FROM attachments WHERE profile_id = $1', [id]);
      await c.query('DELETE FROM profiles WHERE id = $1', [id]);
      return true;
    });
  }

  async deleteAbandonedRuntimes(createdBefore: number): Promise<number> {
    const { rows } = await this.pool.query('SELECT id FROM profiles WHERE has_profile = 0 AND created_at < $1', [createdBefore]);
    let deleted = 0;
    for (const r of rows) if (await this.deleteProfile(String(r.id))) deleted++;
    return deleted;
  }

  async *readBlob(blob: string): AsyncIterable<Uint8Array> {
    for (let seq = 0; ; seq++) {
      const { rows } = await this.pool.query('SELECT data FROM blob_chunks WHERE blob = $1 AND seq = $2', [blob, seq]);
      if (!rows[0]) return;
      yield rows[0].data as Buffer;
    }
  }

  async createToken(name: string, hash: string): Promise<TokenRow> {
    const { rows } = await this.pool.query(`INSERT INTO tokens (name, hash, created_at) VALUES ($1, $2, $3) RETURNING ${TOKEN_COLUMNS}`, [
      name,
      hash,
      Date.now(),
    ]);
    return tokenFromRow(rows[0]);
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.pool.query(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY id`)).rows.map(tokenFromRow);
  }

  async revokeToken(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [Date.now(), id]);
    return (rowCount ?? 0) > 0;
  }

  async useToken(hash: string): Promise<TokenRow | undefined> {
    const { rows } = await this.pool.query(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
    if (!rows[0]) return undefined;
    const now = Date.now();
    if (rows[0].last_used_at === null || now - Number(rows[0].last_used_at) > 60_000) {
      await this.pool.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [now, rows[0].id]);
      rows[0].last_used_at = now;
    }
    return tokenFromRow(rows[0]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
