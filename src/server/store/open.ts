/** Picks the store from `--db`/`--data`: a postgres:// URL, an SQLite file, or <data>/pyrometer.db. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Store } from './store.js';

export interface StoreOptions {
  /** An SQLite file path, or a postgres:// / postgresql:// connection URL. */
  db?: string;
  /** The data directory (SQLite database, upload spool). */
  dataDir?: string;
}

/** $PYROMETER_DATA, else $XDG_DATA_HOME/pyrometer, else ~/.local/share/pyrometer. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PYROMETER_DATA) return resolve(env.PYROMETER_DATA);
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'pyrometer');
}

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const db = options.db ?? process.env.PYROMETER_DB;
  // Each driver is loaded only when its store is opened: `pg` and better-sqlite3 cost start-up time.
  if (db && isPostgresUrl(db)) return (await import('./postgres.js')).PostgresStore.open(db);
  return (await import('./sqlite.js')).SqliteStore.open(db ? resolve(db) : join(dataDir, 'pyrometer.db'));
}
