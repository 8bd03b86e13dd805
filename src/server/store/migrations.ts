/**
 * Schema migrations, oldest first, one SQL text per backend. A store records
 * the highest version it applied in `schema_version` and applies the rest in
 * one transaction when it opens, so upgrading pyrometer upgrades the database
 * on the next `pyrometer serve`. Never edit a released migration: add one.
 *
 * Timestamps are integer milliseconds since the epoch; booleans are 0/1
 * integers; both backends use the same column names so queries are shared.
 */
export interface Migration {
  version: number;
  description: string;
  sqlite: string;
  postgres: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'profiles, side files, chunked blobs, upload tokens',
    sqlite: `
      CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        vm TEXT NOT NULL DEFAULT '',
        completed INTEGER NOT NULL DEFAULT 0,
        has_profile INTEGER NOT NULL DEFAULT 0,
        file_name TEXT NOT NULL DEFAULT '',
        format TEXT NOT NULL DEFAULT '',
        interpreter TEXT NOT NULL DEFAULT '',
        start_time INTEGER,
        stop_time INTEGER,
        arch TEXT NOT NULL DEFAULT '',
        os TEXT NOT NULL DEFAULT '',
        sample_count INTEGER NOT NULL DEFAULT 0,
        thread_count INTEGER NOT NULL DEFAULT 0,
        duration_ms REAL NOT NULL DEFAULT 0,
        raw_size INTEGER NOT NULL DEFAULT 0,
        raw_sha256 TEXT NOT NULL DEFAULT '',
        raw_blob TEXT,
        raw_encoding TEXT NOT NULL DEFAULT 'gzip',
        model_blob TEXT,
        model_size INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX profiles_listing ON profiles (has_profile, created_at DESC);
      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        file_name TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        blob TEXT NOT NULL,
        encoding TEXT NOT NULL
      );
      CREATE INDEX attachments_profile ON attachments (profile_id);
      CREATE TABLE blob_chunks (
        blob TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (blob, seq)
      );
      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL DEFAULT '',
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
    `,
    postgres: `
      CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        vm TEXT NOT NULL DEFAULT '',
        completed INTEGER NOT NULL DEFAULT 0,
        has_profile INTEGER NOT NULL DEFAULT 0,
        file_name TEXT NOT NULL DEFAULT '',
        format TEXT NOT NULL DEFAULT '',
        interpreter TEXT NOT NULL DEFAULT '',
        start_time BIGINT,
        stop_time BIGINT,
        arch TEXT NOT NULL DEFAULT '',
        os TEXT NOT NULL DEFAULT '',
        sample_count BIGINT NOT NULL DEFAULT 0,
        thread_count INTEGER NOT NULL DEFAULT 0,
        duration_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
        raw_size BIGINT NOT NULL DEFAULT 0,
        raw_sha256 TEXT NOT NULL DEFAULT '',
        raw_blob TEXT,
        raw_encoding TEXT NOT NULL DEFAULT 'gzip',
        model_blob TEXT,
        model_size BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX profiles_listing ON profiles (has_profile, created_at DESC);
      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        file_name TEXT NOT NULL DEFAULT '',
        created_at BIGINT NOT NULL,
        size BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        blob TEXT NOT NULL,
        encoding TEXT NOT NULL
      );
      CREATE INDEX attachments_profile ON attachments (profile_id);
      CREATE TABLE blob_chunks (
        blob TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (blob, seq)
      );
      CREATE TABLE tokens (
        id SERIAL PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        revoked_at BIGINT
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version;
