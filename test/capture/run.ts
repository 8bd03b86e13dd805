/**
 * Runs `pyrometer record` as a real process (TypeScript through tsx, like the installed
 * command), in a fresh temporary directory, with stdin, signals and the exit code observable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../../src/formats/load.js';
import type { Profile } from '../../src/model/profile.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { funcName } from '../../src/model/profile.js';
import { projectRoot, testData } from '../helpers.js';

export interface RecordRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  dir: string;
}

export interface RecordRunOptions {
  /** Text written to the program's stdin (then closed). */
  stdin?: string;
  /** Called with the process once its stdout contains this text. */
  when?: { stdout: string; then: (pid: number) => void };
  env?: Record<string, string>;
  cwd?: string;
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'pyrometer-record-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `pyrometer ARGS` in `dir` (a new scratch directory when not given). */
export function runPyrometer(args: string[], options: RecordRunOptions = {}): Promise<RecordRun> {
  const dir = options.cwd ?? scratchDir();
  const script = 'const { main } = await import(process.env.PYROMETER_MAIN); process.exitCode = await main(process.argv.slice(1));';
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PYROMETER_MAIN: new URL('../../src/cli/main.ts', import.meta.url).href };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  // tsx by path: the scratch directory has no node_modules to resolve `tsx` from
  const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script, ...args], {
    cwd: dir,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let fired = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (options.when && !fired && stdout.includes(options.when.stdout) && child.pid !== undefined) {
      fired = true;
      options.when.then(child.pid);
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  child.stdin.on('error', () => {});
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, dir });
    });
  });
}

/** Files in the directory, sorted. */
export function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

export function dataPath(name: string): string {
  return testData(`capture/${name}`);
}

export async function readProfile(path: string): Promise<Profile> {
  return loadProfile(path, { format: 'vmprof' });
}

/** Self weight per function name (idle frames excluded), over the selected threads. */
export function selfByName(profile: Profile, threads?: number[]): Map<string, number> {
  const weights = stackWeights(profile, { threads });
  const table = functionTable(profile, weights);
  const out = new Map<string, number>();
  for (let f = 0; f < profile.funcs.length; f++) {
    const name = funcName(profile, f);
    out.set(name, (out.get(name) ?? 0) + table.self[f]);
  }
  return out;
}

/** Total (inclusive) weight per function name. */
export function totalByName(profile: Profile, threads?: number[]): Map<string, number> {
  const weights = stackWeights(profile, { threads });
  const table = functionTable(profile, weights);
  const out = new Map<string, number>();
  for (let f = 0; f < profile.funcs.length; f++) {
    const name = funcName(profile, f);
    out.set(name, Math.max(out.get(name) ?? 0, table.total[f]));
  }
  return out;
}

export function bytesOf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export { projectRoot };
