/**
 * Picks the continuous store from `serve --store`: a clickhouse:// URL, an
 * SQLite file, or (default) the SQLite database the profile store uses (a
 * PostgreSQL profile store keeps its streams in <data>/continuous.db).
 */
import { join, resolve } from 'node:path';
import { DEFAULT_RETENTION_MS, type SeriesStore } from './store.js';
import { SqliteSeriesStore } from './sqlite.js';

export function isClickHouseUrl(store: string): boolean {
  return /^clickhouse:\/\//i.test(store);
}

export interface SeriesStoreOptions {
  /** clickhouse://… or an SQLite file. */
  store?: string;
  /** The profile store's SQLite file, when it has one. */
  profileDb?: string;
  dataDir: string;
  retentionMs?: number;
}

export async function openSeriesStore(options: SeriesStoreOptions): Promise<SeriesStore> {
  const retention = options.retentionMs ?? DEFAULT_RETENTION_MS;
  if (options.store && isClickHouseUrl(options.store)) {
    const { ClickHouseSeriesStore } = await import('./clickhouse.js');
    return ClickHouseSeriesStore.open(options.store, retention);
  }
  const file = options.store ? resolve(options.store) : (options.profileDb ?? join(options.dataDir, 'continuous.db'));
  return new SqliteSeriesStore(file, retention);
}
