/**
 * Facts learnt from files that rarely change (what an interpreter binary is, where its ELF symbols
 * are), kept between runs in the user's cache ($XDG_CACHE_HOME/pyrometer, else ~/.cache/pyrometer)
 * so that `record` and `attach` do not learn them again at every start. Each entry carries the
 * identity (path, size, mtime, inode) of every file it was learnt from and is used only while all
 * of them are unchanged, so it cannot be stale. A missing, corrupt or unwritable cache only means
 * learning the facts again; each file is rewritten whole (temporary file and rename), so two runs
 * writing at once leave one of their versions, never a mix.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const FORMAT_VERSION = 1;
const MAX_ENTRIES = 64;

interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

interface Entry {
  files: FileIdentity[];
  value: unknown;
  usedAt: number;
}

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pyrometer');
}

function identity(path: string): FileIdentity | null {
  try {
    const st = statSync(path);
    return st.isFile() ? { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } : null;
  } catch {
    return null;
  }
}

function unchanged(file: FileIdentity): boolean {
  const now = identity(file.path);
  return now !== null && now.size === file.size && now.mtimeMs === file.mtimeMs && now.ino === file.ino;
}

function validFiles(files: unknown): files is FileIdentity[] {
  return (
    Array.isArray(files) &&
    files.length > 0 &&
    files.every(
      (f) => f && typeof f.path === 'string' && typeof f.size === 'number' && typeof f.mtimeMs === 'number' && typeof f.ino === 'number',
    )
  );
}

export class FileFactsCache<T> {
  readonly path: string;

  /** `name`: the file in the cache directory; `valid`: what a stored value must look like to be used. */
  constructor(
    name: string,
    private readonly valid: (value: unknown) => value is T,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.path = join(userCacheDir(env), name);
  }

  private entries(): Record<string, Entry> {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8'));
      if (parsed && parsed.version === FORMAT_VERSION && parsed.entries && typeof parsed.entries === 'object') return parsed.entries;
    } catch {
      // missing or corrupt: learn again
    }
    return {};
  }

  /** The value kept under `key` when every file it came from is unchanged (the first is `key`'s own file). */
  get(key: string): T | null {
    const entry = this.entries()[key];
    if (!entry || !validFiles(entry.files) || entry.files[0].path !== key || !this.valid(entry.value)) return null;
    return entry.files.every(unchanged) ? entry.value : null;
  }

  /** Keeps `value` for `key`, learnt from `key` itself and `others`; nothing when a file cannot be watched. */
  set(key: string, others: string[], value: T): void {
    const files = [key, ...others].map(identity);
    if (files.some((f) => f === null)) return;
    try {
      const entries = this.entries();
      entries[key] = { files: files as FileIdentity[], value, usedAt: Date.now() };
      const names = Object.keys(entries);
      if (names.length > MAX_ENTRIES) {
        names.sort((a, b) => (entries[a].usedAt ?? 0) - (entries[b].usedAt ?? 0));
        for (const name of names.slice(0, names.length - MAX_ENTRIES)) delete entries[name];
      }
      mkdirSync(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: FORMAT_VERSION, entries }));
      renameSync(tmp, this.path);
    } catch {
      // a read-only home: the next run learns again
    }
  }
}
