/**
 * `record` and `attach` with the outside sampler: the program runs exactly as typed (nothing
 * is loaded into it) and this process reads its memory (sampler.ts). The profile is written
 * progressively to OUT.<pid>.tmp and renamed to OUT once sampling has ended.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RecordError } from '../errors.js';
import type { TargetCommand } from '../command.js';
import {
  awaitChildForwardingSignals,
  removeQuietly,
  shellExitCode,
  timestamp,
  type ChildExit,
  type InterpreterInfo,
  type ProfileFollower,
  type RecordResult,
} from '../child.js';
import { AttachError } from './errors.js';
import { SUPPORTED_MINORS } from './layouts.js';
import { OutsideSampler } from './sampler.js';
import type { RunTotals } from './sink.js';
import { VmprofFileSink } from './vmprof-sink.js';

export interface OutsideRecordOptions {
  output: string;
  wall?: boolean;
  memory?: boolean;
  lines?: boolean;
  gil?: boolean;
  rate: number;
  subprocesses?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'pipe' | 'ignore';
  onStarted?: (pid: number) => void;
  /** Reads the profile while it is written (`record --stream`). */
  follower?: ProfileFollower;
}

function tornNote(t: RunTotals): string | null {
  if (t.tornStacks === 0) return null;
  return `${t.tornStacks} of ${t.tornStacks + t.stackReads} stacks changed while being read (twice) and were dropped (torn_stacks in pyrometer info)`;
}

/** Why the outside sampler cannot be used for this interpreter (null: it can). */
export function outsideUnavailable(interpreter: InterpreterInfo): string | null {
  if (process.platform !== 'linux') return 'the outside sampler needs Linux (/proc)';
  if (interpreter.implementation !== 'cpython') return `${interpreter.implementation} is sampled from inside`;
  const minor = Number(interpreter.version.split('.')[1]);
  if (!SUPPORTED_MINORS.includes(minor))
    return `CPython ${interpreter.version} is not one the outside sampler reads (3.${SUPPORTED_MINORS[0]}–3.${SUPPORTED_MINORS[SUPPORTED_MINORS.length - 1]})`;
  try {
    if (readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim() === '3')
      return 'the kernel forbids reading other processes (kernel.yama.ptrace_scope = 3)';
  } catch {
    // no Yama: ptrace rules are the classic ones, and our own child is always readable
  }
  return null;
}

function sampler(
  pid: number,
  options: Pick<OutsideRecordOptions, 'wall' | 'memory' | 'lines' | 'gil' | 'rate' | 'subprocesses'>,
  sinkPath: string,
): OutsideSampler {
  return new OutsideSampler({
    pid,
    mode: options.wall ? 'wall' : 'cpu',
    rateHz: options.rate,
    lines: options.lines,
    memory: options.memory,
    gil: options.gil,
    subprocesses: options.subprocesses,
    sink: new VmprofFileSink(sinkPath),
  });
}

/** `-m module`: a missing module is one line and no file, as with the in-process agent. */
function checkModule(command: TargetCommand, interpreter: InterpreterInfo, options: OutsideRecordOptions, tmp: string): void {
  const r = spawnSync(
    interpreter.path,
    [
      ...command.interpreterOptions.filter((o) => o !== '-u'),
      '-c',
      'import importlib.util, sys\ntry:\n    found = importlib.util.find_spec(sys.argv[1])\nexcept Exception:\n    found = None\nsys.exit(0 if found else 3)',
      command.what,
    ],
    {
      cwd: options.cwd,
      env: options.env,
      stdio: 'ignore',
      timeout: 30_000,
    },
  );
  if (r.status === 3) {
    removeQuietly(tmp);
    throw new RecordError(`${command.what}: no module named ${command.what}`);
  }
}

/** Runs the command and samples it from outside until it exits. */
export async function recordOutside(
  command: TargetCommand,
  interpreter: InterpreterInfo,
  options: OutsideRecordOptions,
): Promise<RecordResult> {
  const output = options.output;
  const tmp = `${output}.${process.pid}.tmp`;
  if (command.kind === 'module') checkModule(command, interpreter, options, tmp);
  const stdio = options.stdio ?? 'inherit';
  const started = Date.now();
  const child = spawn(interpreter.path, [...command.interpreterOptions, ...command.target], {
    cwd: options.cwd,
    env: options.env,
    stdio: [stdio, stdio, stdio],
    argv0: command.interpreter,
  });
  const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));
  if (child.pid === undefined) {
    removeQuietly(tmp);
    throw new RecordError(`${command.interpreter}: could not run it (${(await spawnError).message})`);
  }
  const s = sampler(child.pid, options, tmp);
  s.start(() => {});
  options.follower?.started(tmp, child.pid, 'outside');
  options.onStarted?.(child.pid);
  let exit: ChildExit;
  try {
    exit = await awaitChildForwardingSignals(child, 'exit');
  } catch (err) {
    s.stop();
    removeQuietly(tmp);
    throw new RecordError(`${command.interpreter}: could not run it (${(err as Error).message})`);
  }
  const totals = s.stop();
  if (options.follower) await options.follower.finish();
  const wallMs = Date.now() - started;
  const exitCode = shellExitCode(exit);
  const notes: string[] = [];
  if (s.python === '' && s.lastProblem && totals.samples === 0) notes.push(`could not read the program's Python: ${s.lastProblem.message}`);
  const torn = tornNote(totals);
  if (torn) notes.push(torn);
  renameSync(tmp, output);
  return {
    command,
    interpreter,
    engine: 'outside',
    exitCode,
    signal: exit.signal,
    profilePath: output,
    jitlogPath: null,
    pypylogPath: null,
    wallMs,
    subprocesses: Math.max(0, totals.processes - 1),
    notes,
  };
}

export interface AttachOptions extends Omit<OutsideRecordOptions, 'output' | 'stdio' | 'onStarted' | 'env'> {
  output?: string;
  force?: boolean;
  /** Seconds; until Ctrl-C or the process ends when absent. */
  duration?: number;
  onAttached?: () => void;
}

function processName(pid: number): string {
  try {
    return (
      readFileSync(`/proc/${pid}/comm`, 'utf8')
        .trim()
        .replace(/[^\w.-]/g, '_') || 'process'
    );
  } catch {
    return 'process';
  }
}

/** Samples a running process until Ctrl-C/SIGTERM, `duration` seconds, or its exit. */
export async function attachOutside(pid: number, options: AttachOptions): Promise<RecordResult> {
  let output: string;
  if (options.output) {
    output = resolve(options.cwd, options.output);
    if (existsSync(output)) {
      if (statSync(output).isDirectory()) throw new RecordError(`${options.output}: is a directory`);
      if (!options.force) throw new RecordError(`${options.output} already exists (use --force to overwrite it)`);
    }
  } else {
    const base = `${processName(pid)}-${pid}-${timestamp()}`;
    output = resolve(options.cwd, `${base}.prof`);
    for (let n = 2; existsSync(output); n++) output = resolve(options.cwd, `${base}-${n}.prof`);
  }
  const tmp = `${output}.${process.pid}.tmp`;
  let s: OutsideSampler;
  try {
    s = sampler(pid, options, tmp);
    s.attachNow();
    options.follower?.started(tmp, pid, 'outside');
  } catch (err) {
    removeQuietly(tmp);
    if (err instanceof AttachError) throw new RecordError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'ENOENT')
      throw new RecordError(`cannot write ${options.output ?? output}: ${e.code === 'EACCES' ? 'permission denied' : 'no such directory'}`);
    throw err;
  }
  const started = Date.now();
  let stoppedBy: NodeJS.Signals | null = null;
  await new Promise<void>((resolveDone) => {
    let timer: NodeJS.Timeout | null = null;
    const finish = () => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, onSignal);
      if (timer) clearTimeout(timer);
      resolveDone();
    };
    const onSignal = (sig: NodeJS.Signals) => {
      stoppedBy = sig;
      finish();
    };
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, onSignal);
    if (options.duration !== undefined) timer = setTimeout(finish, options.duration * 1000);
    s.start(finish);
    options.onAttached?.();
  });
  const totals = s.stop();
  if (options.follower) await options.follower.finish();
  renameSync(tmp, output);
  const notes: string[] = [];
  if (stoppedBy) notes.push(`stopped by ${stoppedBy}; the process goes on`);
  const torn = tornNote(totals);
  if (torn) notes.push(torn);
  const comm = processName(pid);
  return {
    command: { interpreter: comm, interpreterOptions: [], kind: 'script', target: [String(pid)], what: `process ${pid}` },
    interpreter: { path: '', implementation: 'cpython', version: s.python, hasVmprof: false },
    engine: 'outside',
    exitCode: 0,
    signal: null,
    profilePath: output,
    jitlogPath: null,
    pypylogPath: null,
    wallMs: Date.now() - started,
    subprocesses: Math.max(0, totals.processes - 1),
    notes,
  };
}
