/**
 * Runs the CLI for tests: in-process (fast; stdout/stderr captured, not a
 * terminal) or as a real child process through the same entry the `bin`
 * launcher uses (to see exit codes and that nothing else reaches stderr).
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../helpers.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let worker: ChildProcess | null = null;
let nextId = 0;
/** Requests waiting for an answer, per worker: a worker stopped by stopCli() may exit after the next
 *  one started, and its exit must fail only its own requests (it once failed the next test's). */
const pendingOf = new WeakMap<ChildProcess, Map<number, (result: CliResult) => void>>();

function getWorker(): ChildProcess {
  if (worker) return worker;
  const pending = new Map<number, (result: CliResult) => void>();
  const child = fork(fileURLToPath(new URL('./cli-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The worker keeps the test file's process alive only while it owes an answer: a test that
  // forgets stopCli() (or loses its worker) ends instead of hanging the run.
  child.unref();
  child.channel?.unref();
  child.on('message', (message: CliResult & { id: number }) => {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) child.channel?.unref();
    resolve?.({ code: message.code, stdout: message.stdout, stderr: message.stderr });
  });
  child.on('exit', (code) => {
    for (const resolve of pending.values()) resolve({ code: -1, stdout: '', stderr: `CLI worker exited with ${code}` });
    pending.clear();
    if (worker === child) worker = null;
  });
  pendingOf.set(child, pending);
  worker = child;
  return child;
}

/**
 * Runs main(args) in a long-lived worker process (one start-up for the whole
 * test file) with stdout/stderr captured; they are not terminals there.
 * `env` entries are set for the call (undefined removes one); NO_COLOR,
 * FORCE_COLOR and COLUMNS are cleared unless given.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const w = getWorker();
  const id = nextId++;
  const merged: Record<string, string | null> = {};
  for (const [k, v] of Object.entries({ NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: undefined, ...env })) merged[k] = v ?? null;
  return new Promise((resolve) => {
    pendingOf.get(w)!.set(id, resolve);
    w.channel?.ref();
    w.send({ id, args, env: merged });
  });
}

/** Ends the worker; call from after(). */
export function stopCli(): void {
  worker?.kill();
  worker = null;
}

/** Runs the CLI as its own process (TypeScript through tsx), like the installed `pyrometer`. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliResult {
  const script = 'const { main } = await import(process.env.PYROMETER_MAIN); process.exitCode = await main(process.argv.slice(1));';
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NO_COLOR;
  delete childEnv.FORCE_COLOR;
  delete childEnv.COLUMNS;
  Object.assign(childEnv, env, { PYROMETER_MAIN: new URL('../../src/cli/main.ts', import.meta.url).href });
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: childEnv,
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
