/**
 * What interpreter `record` is about to run: CPython or PyPy, which version, whether it has
 * PyPy's built-in `_vmprof`. Asked by running `interp -S -c PROBE` once per interpreter binary:
 * the answer is kept in the user's cache (file-facts-cache.ts, interpreters.json) under the
 * binary's real path, watching every file that decides it: the executable and the libpython /
 * libpypy it mapped. A script (a pyenv shim, a wrapper) is never cached, since what it runs can
 * change without it changing.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { InterpreterInfo } from './child.js';
import { findExecutable } from './command.js';
import { RecordError } from './errors.js';
import { FileFactsCache } from './file-facts-cache.js';

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

interface ProbeAnswer {
  implementation: string;
  version: string;
  hasVmprof: boolean;
}

function validAnswer(value: unknown): value is ProbeAnswer {
  const v = value as ProbeAnswer;
  return (
    !!v &&
    typeof v.implementation === 'string' &&
    typeof v.version === 'string' &&
    /^\d+\.\d+\.\d+$/.test(v.version) &&
    typeof v.hasVmprof === 'boolean'
  );
}

export function probeCache(env: NodeJS.ProcessEnv): FileFactsCache<ProbeAnswer> {
  return new FileFactsCache('interpreters.json', validAnswer, env);
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
  const cache = probeCache(env);
  const known = binary ? cache.get(binary) : null;
  if (known) return { path, ...known };
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
    cache.set(binary, libs, info);
  }
  return { path, ...info };
}
