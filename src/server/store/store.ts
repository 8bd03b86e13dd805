/**
 * What the profile server keeps, behind one interface with two backends
 * (sqlite.ts, the embedded default; postgres.ts, for teams). Both run the same
 * migrations (migrations.ts) and pass the same tests.
 *
 * A profile is a "runtime" in vmprof's words: created empty by
 * `POST /api/runtime/new`, filled by one profile upload (raw bytes + the parsed
 * compact model, stored together in one transaction), optionally given side
 * files (PyPy jitlog, PYPYLOG), then frozen. Large bytes live in the database
 * as 1 MiB chunks (`blob_chunks`), so a store is one thing to back up, a
 * PostgreSQL server holds everything when one disk is not enough, and a crash
 * mid-upload rolls back with the transaction: no half-stored profile, no
 * orphan file.
 */

export interface ProfileRow {
  id: string;
  createdAt: number; // ms since the epoch
  name: string; // the argv or name given at upload
  vm: string; // what the client said ("CPython", "PyPy"), or the detected interpreter
  completed: boolean; // frozen: no more uploads accepted
  hasProfile: boolean;
  fileName: string;
  format: string;
  interpreter: string;
  startTime: number | null; // ms since the epoch
  stopTime: number | null;
  arch: string;
  os: string;
  sampleCount: number;
  threadCount: number;
  durationMs: number;
  rawSize: number; // bytes of the upload as received (after HTTP Content-Encoding)
  rawSha256: string;
  rawBlob: string | null;
  rawEncoding: BlobEncoding;
  modelBlob: string | null;
  modelSize: number; // bytes of the serialized model before compression
}

/** How a blob's stored bytes relate to the original: gzip = we gzipped it; identity = stored as received. */
export type BlobEncoding = 'gzip' | 'identity';

export interface AttachmentRow {
  id: string;
  profileId: string;
  kind: string; // "jitlog", "pypylog"
  fileName: string;
  createdAt: number;
  size: number;
  sha256: string;
  blob: string;
  encoding: BlobEncoding;
}

export interface TokenRow {
  id: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A file on local disk whose bytes become a blob. */
export interface BlobSource {
  path: string;
  size: number;
}

/** Everything the ingest learned about a parsed profile. */
export interface ParsedProfileFacts {
  fileName: string;
  format: string;
  interpreter: string;
  vm?: string;
  startTime: number | null;
  stopTime: number | null;
  arch: string;
  os: string;
  sampleCount: number;
  threadCount: number;
  durationMs: number;
  rawSize: number;
  rawSha256: string;
  rawEncoding: BlobEncoding;
  modelSize: number;
}

export interface ListQuery {
  /** Matches name (argv), file name, interpreter or vm, case-insensitively. */
  text?: string;
  interpreter?: string;
  /** created_at bounds, ms since the epoch, inclusive. */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

export interface ListResult {
  count: number;
  rows: ProfileRow[];
}

export class StoreConflictError extends Error {}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store lives, for messages (file path or URL without password). */
  readonly location: string;
  createRuntime(runtime: { id: string; name: string; vm: string; createdAt: number }): Promise<void>;
  getProfile(id: string): Promise<ProfileRow | undefined>;
  /**
   * Stores the raw upload and the model and fills in the facts, atomically.
   * Throws StoreConflictError when the runtime is missing, frozen, or already has a profile.
   */
  storeProfile(id: string, facts: ParsedProfileFacts, raw: BlobSource, model: BlobSource): Promise<void>;
  /** Adds a side file. Throws StoreConflictError when the runtime is missing or frozen. */
  addAttachment(attachment: Omit<AttachmentRow, 'blob'>, data: BlobSource): Promise<AttachmentRow>;
  listAttachments(profileId: string): Promise<AttachmentRow[]>;
  getAttachment(id: string): Promise<AttachmentRow | undefined>;
  /** Marks a runtime complete. False when it does not exist. */
  freeze(id: string): Promise<boolean>;
  /** Profiles that have an uploaded profile, newest first. */
  list(query: ListQuery): Promise<ListResult>;
  /** Deletes a profile, its side files and all their bytes. False when it did not exist. */
  deleteProfile(id: string): Promise<boolean>;
  /**
   * Deletes runtimes created before `createdBefore` that never received a
   * profile (a vmprof client that died between `runtime/new` and its upload),
   * with any side files. Returns how many.
   */
  deleteAbandonedRuntimes(createdBefore: number): Promise<number>;
  /** The stored bytes of a blob, chunk by chunk, in order. */
  readBlob(blob: string): AsyncIterable<Uint8Array>;

  createToken(name: string, hash: string): Promise<TokenRow>;
  listTokens(): Promise<TokenRow[]>;
  /** False when no such live token. */
  revokeToken(id: number): Promise<boolean>;
  /** The live token with this hash, marking it used. */
  useToken(hash: string): Promise<TokenRow | undefined>;
  close(): Promise<void>;
}

/** Blob bytes are stored in chunks of this size. */
export const BLOB_CHUNK_BYTES = 1 << 20;

/** Reads a whole blob into one buffer (for small blobs: models, JSON). */
export async function readBlobBytes(store: Store, blob: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of store.readBlob(blob)) parts.push(part);
  return Buffer.concat(parts);
}

/** Escapes LIKE wildcards so user text matches literally (with ESCAPE '\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The SELECT list both backends use, and the mapping from a result row. */
export const PROFILE_COLUMNS = `id, created_at, name, vm, completed, has_profile, file_name, format, interpreter,
  start_time, stop_time, arch, os, sample_count, thread_count, duration_ms, raw_size, raw_sha256, raw_blob,
  raw_encoding, model_blob, model_size`;

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function profileFromRow(r: Record<string, unknown>): ProfileRow {
  return {
    id: String(r.id),
    createdAt: Number(r.created_at),
    name: String(r.name),
    vm: String(r.vm),
    completed: Number(r.completed) === 1,
    hasProfile: Number(r.has_profile) === 1,
    fileName: String(r.file_name),
    format: String(r.format),
    interpreter: String(r.interpreter),
    startTime: numberOrNull(r.start_time),
    stopTime: numberOrNull(r.stop_time),
    arch: String(r.arch),
    os: String(r.os),
    sampleCount: Number(r.sample_count),
    threadCount: Number(r.thread_count),
    durationMs: Number(r.duration_ms),
    rawSize: Number(r.raw_size),
    rawSha256: String(r.raw_sha256),
    rawBlob: r.raw_blob === null ? null : String(r.raw_blob),
    rawEncoding: r.raw_encoding === 'identity' ? 'identity' : 'gzip',
    modelBlob: r.model_blob === null ? null : String(r.model_blob),
    modelSize: Number(r.model_size),
  };
}

export const ATTACHMENT_COLUMNS = 'id, profile_id, kind, file_name, created_at, size, sha256, blob, encoding';

export function attachmentFromRow(r: Record<string, unknown>): AttachmentRow {
  return {
    id: String(r.id),
    profileId: String(r.profile_id),
    kind: String(r.kind),
    fileName: String(r.file_name),
    createdAt: Number(r.created_at),
    size: Number(r.size),
    sha256: String(r.sha256),
    blob: String(r.blob),
    encoding: r.encoding === 'identity' ? 'identity' : 'gzip',
  };
}

export const TOKEN_COLUMNS = 'id, name, created_at, last_used_at, revoked_at';

export function tokenFromRow(r: Record<string, unknown>): TokenRow {
  return {
    id: Number(r.id),
    name: String(r.name),
    createdAt: Number(r.created_at),
    lastUsedAt: numberOrNull(r.last_used_at),
    revokedAt: numberOrNull(r.revoked_at),
  };
}

/**
 * The WHERE clause and parameters of a listing, with `param(i)` giving the
 * backend's placeholder and `like` its case-insensitive LIKE operator.
 */
export function listWhere(query: ListQuery, param: (i: number) => string, like: string): { where: string; params: unknown[] } {
  const clauses = ['has_profile = 1'];
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return param(params.length);
  };
  if (query.text) {
    const p = add(likePattern(query.text));
    clauses.push(
      `(name ${like} ${p} ESCAPE '\\' OR file_name ${like} ${p} ESCAPE '\\' OR interpreter ${like} ${p} ESCAPE '\\' OR vm ${like} ${p} ESCAPE '\\')`,
    );
  }
  if (query.interpreter) {
    const p = add(query.interpreter.toLowerCase());
    clauses.push(`(lower(interpreter) = ${p} OR lower(vm) = ${p})`);
  }
  if (query.from !== undefined) clauses.push(`created_at >= ${add(query.from)}`);
  if (query.to !== undefined) clauses.push(`created_at <= ${add(query.to)}`);
  return { where: clauses.join(' AND '), params };
}
