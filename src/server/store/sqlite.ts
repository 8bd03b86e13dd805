/**
 * The embedded store: one SQLite file through better-sqlite3, in WAL mode so
 * page views read while an upload writes, with a busy timeout so a second
 * process (`pyrometer token create` beside a running server) waits instead of
 * failing. better-sqlite3 is synchronous: each method below runs its
 * statements in one go, and multi-statement writes run inside `transaction()`,
 * which rolls back on any error (and SQLite's journal rolls back on a crash).
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
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

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  private constructor(readonly location: string) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast commits
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
  }

  static open(path: string): SqliteStore {
    const store = new SqliteStore(path);
    try {
      store.migrate();
    } catch (err) {
      store.db.close();
      throw err;
    }
    return store;
  }

  private migrate(): void {
    // IMMEDIATE: two servers starting at once on one file must not both migrate.
    const run = this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const row = this.db.prepare('SELECT max(version) AS v FROM schema_version').get() as Row;
      const current = Number(row.v ?? 0);
      const latest = migrations[migrations.length - 1].version;
      if (current > latest) {
        throw new Error(`${this.location}: database schema version ${current} is newer than this pyrometer (${latest}); upgrade pyrometer`);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        this.db.exec(m.sqlite);
        this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      }
    });
    run.immediate();
  }

  schemaVersion(): number {
    return Number((this.db.prepare('SELECT max(version) AS v FROM schema_version').get() as Row).v ?? 0);
  }

  async createRuntime(r: { id: string; name: string; vm: string; createdAt: number }): Promise<void> {
    this.db.prepare('INSERT INTO profiles (id, created_at, name, vm) VALUES (?, ?, ?, ?)').run(r.id, r.createdAt, r.name, r.vm);
  }

  async getProfile(id: string): Promise<ProfileRow | undefined> {
    const row = this.db.prepare(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE id = ?`).get(id) as Row | undefined;
    return row ? profileFromRow(row) : undefined;
  }

  private insertBlob(source: BlobSource): string {
    const blob = randomUUID();
    const insert = this.db.prepare('INSERT INTO blob_chunks (blob, seq, data) VALUES (?, ?, ?)');
    const fd = openSync(source.path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(BLOB_CHUNK_BYTES);
      let seq = 0;
      for (;;) {
        let filled = 0;
        while (filled < buffer.length) {
          const n = readSync(fd, buffer, filled, buffer.length - filled, null);
          if (n === 0) break;
          filled += n;
        }
        if (filled === 0 && seq > 0) break;
        insert.run(blob, seq++, buffer.subarray(0, filled));
        if (filled < buffer.length) break;
      }
    } finally {
      closeSync(fd);
    }
    return blob;
  }

  async storeProfile(id: string, facts: ParsedProfileFacts, raw: BlobSource, model: BlobSource): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT completed, has_profile FROM profiles WHERE id = ?').get(id) as Row | undefined;
        if (!row) throw new StoreConflictError(`no runtime ${id}`);
        if (Number(row.completed) === 1) throw new StoreConflictError('the runtime data is already frozen, cannot upload any more files');
        if (Number(row.has_profile) === 1) throw new StoreConflictError('this runtime already has a profile');
        const rawBlob = this.insertBlob(raw);
        const modelBlob = this.insertBlob(model);
        this.db
          .prepare(`UPDATE profiles SET has_profile = 1, file_name = @fileName, format = @format,
          interpreter = @interpreter, vm = CASE WHEN vm = '' THEN @vm ELSE vm END, start_time = @startTime,
          stop_time = @stopTime, arch = @arch, os = @os, sample_count = @sampleCount, thread_count = @threadCount,
          duration_ms = @durationMs, raw_size = @rawSize, raw_sha256 = @rawSha256, raw_blob = @rawBlob,
          raw_encoding = @rawEncoding, model_blob = @modelBlob, model_size = @modelSize WHERE id = @id`)
          .run({ ...facts, vm: facts.vm ?? facts.interpreter, id, rawBlob, modelBlob });
      })
      .immediate();
  }

  async addAttachment(a: Omit<AttachmentRow, 'blob'>, data: BlobSource): Promise<AttachmentRow> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT completed FROM profiles WHERE id = ?').get(a.profileId) as Row | undefined;
        if (!row) throw new StoreConflictError(`no runtime ${a.profileId}`);
        if (Number(row.completed) === 1) throw new StoreConflictError('the runtime data is already frozen, cannot upload any more files');
        const blob = this.insertBlob(data);
        this.db
          .prepare(`INSERT INTO attachments (${ATTACHMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(a.id, a.profileId, a.kind, a.fileName, a.createdAt, a.size, a.sha256, blob, a.encoding);
        return { ...a, blob };
      })
      .immediate();
  }

  async listAttachments(profileId: string): Promise<AttachmentRow[]> {
    const rows = this.db
      .prepare(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE profile_id = ? ORDER BY created_at, id`)
      .all(profileId) as Row[];
    return rows.map(attachmentFromRow);
  }

  async getAttachment(id: string): Promise<AttachmentRow | undefined> {
    const row = this.db.prepare(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = ?`).get(id) as Row | undefined;
    return row ? attachmentFromRow(row) : undefined;
  }

  async freeze(id: string): Promise<boolean> {
    return this.db.prepare('UPDATE profiles SET completed = 1 WHERE id = ?').run(id).changes > 0;
  }

  async list(query: ListQuery): Promise<ListResult> {
    const { where, params } = listWhere(query, (i) => `@p${i}`, 'LIKE');
    const named: Record<string, unknown> = {};
    params.forEach((v, i) => {
      named[`p${i + 1}`] = v;
    });
    const count = Number((this.db.prepare(`SELECT count(*) AS n FROM profiles WHERE ${where}`).get(named) as Row).n);
    const rows = this.db
      .prepare(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...named, limit: query.limit, offset: query.offset }) as Row[];
    return { count, rows: rows.map(profileFromRow) };
  }

  async deleteProfile(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT raw_blob, model_blob FROM profiles WHERE id = ?').get(id) as Row | undefined;
        if (!row) return false;
        const blobs = [
          row.raw_blob,
          row.model_blob,
          ...(this.db.prepare('SELECT blob FROM attachments WHERE profile_id = ?').all(id) as Row[]).map((r) => r.blob),
        ];
        const drop = this.db.prepare('DELETE FROM blob_chunks WHERE blob = ?');
        for (const blob of blobs) if (blob) drop.run(blob);
        this.db.prepare('DELETE FROM attachments WHERE profile_id = ?').run(id);
        this.db.prepare('DELETE FROM profiles WHERE id = ?').run(id);
        return true;
      })
      .immediate();
  }

  async deleteAbandonedRuntimes(createdBefore: number): Promise<number> {
    const ids = (this.db.prepare('SELECT id FROM profiles WHERE has_profile = 0 AND created_at < ?').all(createdBefore) as Row[]).map((r) =>
      String(r.id),
    );
    let deleted = 0;
    for (const id of ids) if (await this.deleteProfile(id)) deleted++;
    return deleted;
  }

  async *readBlob(blob: string): AsyncIterable<Uint8Array> {
    // One query per chunk (not .iterate()): a generator that pauses between
    // chunks must not hold a statement open on the shared connection.
    const select = this.db.prepare('SELECT data FROM blob_chunks WHERE blob = ? AND seq = ?');
    for (let seq = 0; ; seq++) {
      const row = select.get(blob, seq) as Row | undefined;
      if (!row) return;
      yield row.data as Buffer;
    }
  }

  async createToken(name: string, hash: string): Promise<TokenRow> {
    const now = Date.now();
    const info = this.db.prepare('INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)').run(name, hash, now);
    return { id: Number(info.lastInsertRowid), name, createdAt: now, lastUsedAt: null, revokedAt: null };
  }

  async listTokens(): Promise<TokenRow[]> {
    return (this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY id`).all() as Row[]).map(tokenFromRow);
  }

  async revokeToken(id: number): Promise<boolean> {
    return this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(Date.now(), id).changes > 0;
  }

  async useToken(hash: string): Promise<TokenRow | undefined> {
    const row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ? AND revoked_at IS NULL`).get(hash) as Row | undefined;
    if (!row) return undefined;
    const now = Date.now();
    // Recording every use would turn each page view into a write; once a minute is enough to answer "is it used?".
    if (row.last_used_at === null || now - Number(row.last_used_at) > 60_000) {
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
      row.last_used_at = now;
    }
    return tokenFromRow(row);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
