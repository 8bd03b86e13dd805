/**
 * What interpreter `record` is about to run: CPython or PyPy, which version, whether it has
 * PyPy's built-in `_vmprof`. Asked by running `interp -S -c PROBE` once per interpreter binary:
 * the answer is kept in the user's cache ($XDG_CACHE_HOME/pyrometer/interpreters.json, else
 * ~/.cache/pyrometer) under the binary's real path, with the identity (size, mtime, inode) of
 * every file that decides it: the executable and the libpython / libpypy it mapped. A later run
 * uses the answer only while all of them are unchanged; a script (a pyenv shim, a wrapper) is
 * never cached, since what it runs can change without it changing. A missing, corrupt or
 * unwritable cache only means probing again.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { InterpreterInfo } from './child.js';
import { findExecutable } from './command.js';
import { RecordError } from './errors.js';

/**
 * `-S`: no site import, half the probe's start-up (the answers do not depend on it). `_vmprof` is
 * looked up among the built-in modules, not imported, so no file on sys.path can change the
 * answer; the mapped libpython / libpypy paths are what the cache must watch besides the binary.
 */
const PROBE = [
  'import sys',
  "print('pyrometer-probe', sys.implementation.name, '%d.%d.%d' % sys.version_info[:3], int('_vmprof' in sys.builtin_module_names))",
  'try:',
  " for line in open('/proc/self/maps'):",
  '  f = line.split(None, 5)',
  "  if len(f) == 6 and f[5].strip().rsplit('/', 1)[-1].startswith(('libpython', 'libpypy')): print('pyrometer-lib', f[5].strip())",
  'except OSError:',
  " print('pyrometer-no-maps')",
].join('\n');

const CACHE_VERSION = 1;
const MAX_ENTRIES = 64;

interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

interface CacheEntry {
  files: FileIdentity[];
  implementation: string;
  version: string;
  hasVmprof: boolean;
  usedAt: number;
}

type CacheFile = { version: number; entries: Record<string, CacheEntry> };

export function probeCachePath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pyrometer', 'interpreters.json');
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

/** The binary's real path when it is an ELF executable (the only kind whose answer can be kept). */
function elfBinary(path: string): string | null {
  try {
    const real = realpathSync(path);
    const fd = openSync(real, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF' ? real : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function readCache(path: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (parsed && parsed.version === CACHE_VERSION && parsed.entries && typeof parsed.entries === 'object') return parsed;
  } catch {
    // missing or corrupt: probe again
  }
  return { version: CACHE_VERSION, entries: {} };
}

function validEntry(entry: unknown): entry is CacheEntry {
  const e = entry as CacheEntry;
  return (
    !!e &&
    typeof e.implementation === 'string' &&
    typeof e.version === 'string' &&
    /^\d+\.\d+\.\d+$/.test(e.version) &&
    typeof e.hasVmprof === 'boolean' &&
    Array.isArray(e.files) &&
    e.files.length > 0 &&
    e.files.every(
      (f) => f && typeof f.path === 'string' && typeof f.size === 'number' && typeof f.mtimeMs === 'number' && typeof f.ino === 'number',
    )
  );
}

function cached(binary: string, env: NodeJS.ProcessEnv): CacheEntry | null {
  const entry = readCache(probeCachePath(env)).entries[binary];
  return validEntry(entry) && entry.files[0].path === binary && entry.files.every(unchanged) ? entry : null;
}

function remember(binary: string, env: NodeJS.ProcessEnv, info: Omit<CacheEntry, 'files' | 'usedAt'>, libs: string[]): void {
  const files = [binary, ...libs].map(identity);
  if (files.some((f) => f === null)) return; // a file we cannot watch: no entry
  const path = probeCachePath(env);
  try {
    const cache = readCache(path);
    cache.entries[binary] = { ...info, files: files as FileIdentity[], usedAt: Date.now() };
    const names = Object.keys(cache.entries);
    if (names.length > MAX_ENTRIES) {
      names.sort((a, b) => (cache.entries[a].usedAt ?? 0) - (cache.entries[b].usedAt ?? 0));
      for (const name of names.slice(0, names.length - MAX_ENTRIES)) delete cache.entries[name];
    }
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, path); // whole or not at all, whatever another record does at the same time
  } catch {
    // a read-only home: the next run probes again
  }
}

function run(path: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let stdout = '';
    const child = spawn(path, ['-S', '-c', PROBE], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
    });
    child.once('error', (error) => resolve({ stdout, error }));
    child.once('close', () => resolve({ stdout }));
  });
}

/** Learns that `interpreter` is Python 3.7+ and which one (from the cache when the binary is unchanged); a clear error otherwise. */
export async function probeInterpreter(interpreter: string, cwd: string, env: NodeJS.ProcessEnv): Promise<InterpreterInfo> {
  const path = findExecutable(interpreter, cwd, env);
  if (!path) throw new RecordError(`${interpreter}: interpreter not found`);
  try {
    statSync(path);
  } catch {
    throw new RecordError(`${interpreter}: interpreter not found`);
  }
  const binary = elfBinary(path);
  const known = binary ? cached(binary, env) : null;
  if (known) return { path, implementation: known.implementation, version: known.version, hasVmprof: known.hasVmprof };
  const r = await run(path, cwd, env);
  if (r.error) {
    if (r.error.code === 'EACCES') throw new RecordError(`${interpreter}: permission denied`);
    throw new RecordError(`${interpreter}: could not run it (${r.error.code ?? r.error.message})`);
  }
  const m = /^pyrometer-probe (\S+) (\d+)\.(\d+)\.(\d+) ([01])$/m.exec(r.stdout);
  if (!m) throw new RecordError(`${interpreter} is not a Python interpreter (it did not run \`${basename(interpreter)} -c\`)`);
  const [major, minor] = [Number(m[2]), Number(m[3])];
  if (major < 3 || (major === 3 && minor < 7)) {
    throw new RecordError(
      `${interpreter} is Python ${m[2]}.${m[3]}.${m[4]}; pyrometer record needs Python 3.7 or newer (3.8 for PyPy and --in-process)`,
    );
  }
  const info = { implementation: m[1], version: `${m[2]}.${m[3]}.${m[4]}`, hasVmprof: m[5] === '1' };
  if (binary && !/^pyrometer-no-maps$/m.test(r.stdout)) {
    const libs = [...new Set([...r.stdout.matchAll(/^pyrometer-lib (.+)$/gm)].map((l) => l[1]))];
    remember(binary, env, info, libs);
  }
  return { path, ...info };
}
