/**
 * `record`: runs the user's command under the Python agent (agent/pyrometer_agent.py) and
 * leaves a finished profile behind.
 *
 *   parse command ─► find interpreter ─► probe it (`-c`: is it Python 3.8+? PyPy?)
 *     ─► spawn  interp [interp options] agent [agent options] -- target…
 *          stdin/stdout/stderr inherited, fd 3 a pipe for the agent's `started`/`error` line
 *     ─► forward SIGTERM/SIGHUP/SIGQUIT (and SIGINT when it did not come from the terminal)
 *     ─► child exits ─► PyPy: strip the agent's frames ─► rename OUT.<pid>.tmp to OUT
 *
 * The agent writes only whole records, and the file gets its final name only once the
 * child has exited, so a reader never sees a half-written profile.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordError } from './errors.js';
import { parseTargetCommand, targetStem, vmprofModuleHint, type TargetCommand } from './command.js';
import { mergeChildProfiles } from './merge.js';
import { probeInterpreter } from './probe.js';
import { stripAgentFrames } from './strip-agent.js';
import { walkRecords } from '../formats/vmprof/records.js';
import {
  awaitChildForwardingSignals,
  removeQuietly,
  shellExitCode,
  timestamp,
  type ChildExit,
  type InterpreterInfo,
  type ProfileFollower,
  type RecordResult,
} from './child.js';

export type { InterpreterInfo, ProfileFollower, RecordResult };

export interface RecordOptions {
  /** Output file; default `<script>-<timestamp>.prof` in `cwd`, never overwriting. */
  output?: string;
  /** Allow overwriting an existing output file. */
  force?: boolean;
  /** Sample wall-clock time (every thread, idle ones marked) instead of CPU time. */
  wall?: boolean;
  /** Record RSS with each sample. */
  memory?: boolean;
  /** Sample allocations into OUT.alloc (a start-up hook in the program: see agent/alloc/). */
  alloc?: boolean;
  /** Record line numbers per frame. */
  lines?: boolean;
  /** false: no native (C code) frames (vmprof's --no-native). */
  native?: boolean;
  /** Samples per second (default 1000). */
  rate?: number;
  /** PyPy: also write the PYPYLOG (GC and JIT phases) to OUT.pypylog. */
  pypylog?: boolean;
  /** PyPy: also write the JIT log to OUT.jit. */
  jitlog?: boolean;
  /** Also profile Python child processes (subprocess, multiprocessing) into the same profile. */
  subprocesses?: boolean;
  /** Force an engine: `vmprof` (PyPy's built-in) or `sampler` (ours). */
  engine?: 'auto' | 'vmprof' | 'sampler';
  /** CPython: sample with the in-process agent instead of from outside the process. */
  inProcess?: boolean;
  /** Outside sampler: only the thread holding the GIL. */
  gil?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How the program's stdin/stdout/stderr are connected (default: inherited). */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** The command's arguments as bytes (default: from /proc/self/cmdline when some are not UTF-8). */
  rawArgv?: Buffer[];
  /** Called once the program runs (tests use it to send signals). */
  onStarted?: (pid: number) => void;
  /** Reads the profile while it is written (`record --stream`). */
  follower?: ProfileFollower;
  /**
   * Settled before the program starts: work the caller wants done while the interpreter is probed
   * (the CLI loads the summary's reader), never while the program runs beside the sampler.
   */
  beforeStart?: Promise<unknown>;
}

export const DEFAULT_RATE = 1000;

/**
 * The target's arguments as the bytes they were typed, when some were not UTF-8 (Node decodes
 * argv as UTF-8, turning such bytes into U+FFFD): from /proc/self/cmdline, whose tail is the
 * command. Null when every argument is UTF-8, or the bytes cannot be found.
 */
export function rawArguments(argv: string[], target: string[], rawArgv?: Buffer[]): Buffer[] | null {
  if (!target.some((a) => a.includes('\uFFFD'))) return null;
  let raw = rawArgv;
  if (raw === undefined) {
    try {
      const cmdline = readFileSync('/proc/self/cmdline');
      raw = [];
      let start = 0;
      for (let i = 0; i < cmdline.length; i++)
        if (cmdline[i] === 0) {
          raw.push(cmdline.subarray(start, i));
          start = i + 1;
        }
    } catch {
      return null;
    }
  }
  if (raw.length < argv.length) return null;
  const tail = raw.slice(raw.length - argv.length);
  if (tail.some((b, i) => b.toString('utf8') !== argv[i])) return null; // not our command's bytes
  // the target is argv's tail, but for words record put before it (the #! interpreter)
  return target.map((word, j) => {
    const k = argv.length - target.length + j;
    return k >= 0 && argv[k] === word ? tail[k] : Buffer.from(word);
  });
}

/** Where the Python agent lives: beside this file in src/, or src/capture/agent from dist/. */
export function agentPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'agent', 'pyrometer_agent.py'), resolve(here, '../../src/capture/agent/pyrometer_agent.py')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`pyrometer's Python agent is missing (looked beside ${here})`);
}

/** The directory of the `vmprof`-compatible module programs may import (agent/api), for PYTHONPATH. */
export function apiPath(): string {
  return join(dirname(agentPath()), 'api');
}

/** The output path: `-o` as given (refusing to overwrite without --force), or a fresh default name. */
export function chooseOutput(command: TargetCommand, options: RecordOptions, cwd: string): string {
  if (options.output) {
    const out = resolve(cwd, options.output);
    if (existsSync(out)) {
      if (statSync(out).isDirectory()) throw new RecordError(`${options.output}: is a directory`);
      if (!options.force) throw new RecordError(`${options.output} already exists (use --force to overwrite it)`);
    }
    return out;
  }
  const base = `${targetStem(command)}-${timestamp()}`;
  let out = resolve(cwd, `${base}.prof`);
  for (let n = 2; existsSync(out); n++) out = resolve(cwd, `${base}-${n}.prof`);
  return out;
}

/** Creates OUT.<pid>.tmp (proving the place is writable) and returns its path. */
function writableOrThrow(output: string, asGiven: string | undefined): string {
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    closeSync(openSync(tmp, 'w'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new RecordError(
      `cannot write ${asGiven ?? dirname(output)}: ${e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'no such directory' : e.code}`,
    );
  }
  return tmp;
}

export async function record(argv: string[], options: RecordOptions = {}): Promise<RecordResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = { ...(options.env ?? process.env) };
  const command = parseTargetCommand(argv, cwd, env);
  Object.assign(env, command.envAssignments);
  const vmprofHint = vmprofModuleHint(command);
  if (vmprofHint) throw new RecordError(vmprofHint, 2);
  const rawTarget = rawArguments(argv, command.target, options.rawArgv);
  // the outside sampler's modules load while the interpreter is probed (CPython's usual path)
  const outsideModule =
    !options.inProcess && rawTarget === null && options.engine !== 'vmprof' ? import('./outside/record-outside.js') : null;
  outsideModule?.catch(() => {}); // unused for PyPy; a failure surfaces where it is awaited
  const interpreter = await probeInterpreter(command.interpreter, cwd, env);
  if (command.kind === 'script') {
    // the bytes of a non-UTF-8 name when we have them (Node decoded argv as UTF-8)
    const script = rawTarget ? Buffer.concat([Buffer.from(`${cwd}/`), rawTarget[0]]) : resolve(cwd, command.what);
    if (!existsSync(script)) throw new RecordError(`${command.what}: no such file`);
  }
  const rate = options.rate ?? DEFAULT_RATE;
  if (!(rate >= 1 && rate <= 100_000)) throw new RecordError(`--rate must be between 1 and 100000 samples per second, not ${rate}`, 2);
  const engine =
    options.engine && options.engine !== 'auto'
      ? options.engine
      : interpreter.implementation === 'pypy' && interpreter.hasVmprof
        ? 'vmprof'
        : 'sampler';
  if (engine === 'vmprof' && !interpreter.hasVmprof)
    throw new RecordError(`${command.interpreter} has no built-in _vmprof (only PyPy has)`);
  const isPyPy = interpreter.implementation === 'pypy';
  if ((options.jitlog || options.pypylog) && !isPyPy) {
    throw new RecordError(
      `--${options.jitlog ? 'jitlog' : 'pypylog'} needs PyPy; ${command.interpreter} is ${interpreter.implementation}`,
      2,
    );
  }
  // CPython is sampled from outside the process unless asked otherwise or not possible
  // (arguments that are not UTF-8 reach the program as bytes only through the agent)
  // the outside sampler (ELF, /proc, layouts) loads only here: other commands start without it
  const outside = engine === 'sampler' && outsideModule ? await outsideModule : null;
  const outsideProblem =
    engine === 'sampler' && !options.inProcess
      ? rawTarget !== null
        ? 'arguments that are not UTF-8 reach the program as typed only this way'
        : outside!.outsideUnavailable(interpreter)
      : 'in-process';
  const fallbackNote =
    outsideProblem !== null && outsideProblem !== 'in-process' && !isPyPy ? `sampled from inside the program: ${outsideProblem}` : null;
  if (outsideProblem !== null && interpreter.version.startsWith('3.7.')) {
    throw new RecordError(
      `${command.interpreter} is Python ${interpreter.version}; sampling from inside needs Python 3.8 or newer (from outside: 3.7 too)`,
    );
  }

  // a program written for vmprof finds our vmprof module, whichever sampler runs (children inherit it)
  env.PYTHONPATH = env.PYTHONPATH ? `${apiPath()}${delimiter}${env.PYTHONPATH}` : apiPath();
  const output = chooseOutput(command, options, cwd);
  const allocTmp = options.alloc ? startAllocationHook(env, output, command.interpreterOptions) : null;
  await options.beforeStart?.catch(() => {});
  if (outsideProblem === null) {
    writableOrThrow(output, options.output);
    try {
      return finishAllocations(await outside!.recordOutside(command, interpreter, { ...options, output, rate, cwd, env }), allocTmp);
    } catch (err) {
      if (allocTmp) removeQuietly(allocTmp);
      throw err;
    }
  }
  const tmp = writableOrThrow(output, options.output);
  const jitlogTmp = options.jitlog ? `${output}.jit.${process.pid}.tmp` : null;
  const pypylogTmp = options.pypylog ? `${output}.pypylog.${process.pid}.tmp` : null;
  // --stream: the agent's tick clock pairs, to place the log's sections on the wall clock while it runs
  const tickClockTmp = pypylogTmp && options.follower?.followPypyLog ? `${output}.tick-clock.${process.pid}.tmp` : null;
  const childDir = options.subprocesses ? `${output}.${process.pid}.d` : null;
  if (childDir) mkdirSync(childDir, { recursive: true });
  const cleanup = () => {
    for (const p of [tmp, jitlogTmp, pypylogTmp, tickClockTmp, allocTmp]) if (p) removeQuietly(p);
    if (childDir) rmSync(childDir, { recursive: true, force: true });
  };

  const agentArgs = ['--out', tmp, '--status-fd', '3', '--rate', String(rate), '--engine', engine];
  if (options.wall) agentArgs.push('--wall');
  if (options.lines) agentArgs.push('--lines');
  if (options.memory) agentArgs.push('--mem');
  if (options.native === false) agentArgs.push('--no-native');
  if (jitlogTmp) agentArgs.push('--jitlog', jitlogTmp);
  if (engine === 'vmprof' && options.follower?.nameFlushMs) agentArgs.push('--flush-names', String(options.follower.nameFlushMs / 1000));
  if (childDir) agentArgs.push('--subprocess-dir', childDir);
  // argv as bytes end to end: names that are not UTF-8 reach the program as they were typed
  if (rawTarget) agentArgs.push('--target-hex', rawTarget.map((b) => b.toString('hex')).join(','));
  if (pypylogTmp) {
    // PyPy reads PYPYLOG at start-up; the agent removes it from os.environ so children do not inherit it
    env.PYPYLOG = `gc,jit-summary,jit-backend-counts,jit-tracing,jit-optimize,jit-backend:${pypylogTmp}`;
    agentArgs.push('--unset-env', 'PYPYLOG');
    if (tickClockTmp) {
      agentArgs.push('--tick-clock', tickClockTmp);
      options.follower?.followPypyLog?.(pypylogTmp, tickClockTmp);
    }
  }
  const args = [...command.interpreterOptions, agentPath(), ...agentArgs, '--', ...command.target];
  const stdio = options.stdio ?? 'inherit';

  const started = Date.now();
  const child = spawn(interpreter.path, args, {
    cwd,
    env,
    stdio: [stdio, stdio, stdio, 'pipe'],
    argv0: command.interpreter,
  });
  let status = '';
  let startedSeen = false;
  child.stdio[3]?.on('data', (d: Buffer) => {
    status += d.toString('utf8');
    if (/^started /m.test(status) && child.pid !== undefined && !startedSeen) {
      startedSeen = true;
      options.follower?.started(tmp, child.pid, engine);
      options.onStarted?.(child.pid);
    }
  });
  child.stdio[3]?.on('error', () => {});

  let exit: ChildExit;
  try {
    exit = await awaitChildForwardingSignals(child, 'close');
  } catch (err) {
    cleanup();
    throw new RecordError(`${command.interpreter}: could not run it (${(err as Error).message})`);
  }
  const wallMs = Date.now() - started;

  const error = /^error (.*)$/m.exec(status);
  if (error) {
    cleanup();
    throw new RecordError(`${command.what === '-c' ? command.interpreter : command.what}: ${error[1]}`);
  }
  const exitCode = shellExitCode(exit);
  if (!/^started /m.test(status)) {
    cleanup();
    throw new RecordError(
      `${command.interpreter} stopped before the program started (exit code ${exitCode}); see its message above`,
      exitCode || 1,
    );
  }

  if (options.follower) await options.follower.finish();
  const notes: string[] = fallbackNote ? [fallbackNote] : [];
  if (engine === 'vmprof' && options.lines) {
    // PyPy's _vmprof takes lines=1 but 7.3 records none: say so rather than drop it silently
    const head = new Uint8Array(readFileSync(tmp).subarray(0, 4096));
    if (walkRecords(head)?.lines !== true)
      notes.push(`--lines: this PyPy's _vmprof (Python ${interpreter.version}) records no line numbers; the profile has functions only`);
  }
  if (engine === 'vmprof') {
    // PyPy's own sampler sees the agent's frames below the program's: take them out
    try {
      const bytes = readFileSync(tmp);
      const stripped = stripAgentFrames(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), dirname(agentPath()));
      if (stripped !== null) writeFileSync(tmp, stripped);
    } catch (err) {
      notes.push(`pyrometer's own frames were left in the stacks (${(err as Error).message})`);
    }
  }
  let subprocesses = 0;
  if (childDir) {
    const children = readdirSync(childDir)
      .filter((name) => /^\d+\.prof$/.test(name))
      .map((name) => ({ pid: name.replace(/\.prof$/, ''), bytes: new Uint8Array(readFileSync(join(childDir, name))) }))
      .sort((a, b) => Number(a.pid) - Number(b.pid));
    if (children.length > 0) {
      try {
        const merged = mergeChildProfiles(new Uint8Array(readFileSync(tmp)), children);
        writeFileSync(tmp, merged.bytes);
        subprocesses = merged.merged.length;
        for (const s of merged.skipped) notes.push(`subprocess ${s.pid} left out: ${s.reason}`);
      } catch (err) {
        notes.push(`subprocesses left out: ${(err as Error).message}`); // the program's own profile stands
      }
    }
    rmSync(childDir, { recursive: true, force: true });
  }
  renameSync(tmp, output);
  let jitlogPath: string | null = null;
  let pypylogPath: string | null = null;
  if (jitlogTmp && existsSync(jitlogTmp)) {
    jitlogPath = `${output}.jit`;
    renameSync(jitlogTmp, jitlogPath);
  }
  if (tickClockTmp) removeQuietly(tickClockTmp); // read by the stream's last cut (follower.finish above)
  if (pypylogTmp && existsSync(pypylogTmp)) {
    pypylogPath = `${output}.pypylog`;
    renameSync(pypylogTmp, pypylogPath);
  }
  return finishAllocations(
    {
      command,
      interpreter,
      engine,
      exitCode,
      signal: exit.signal,
      profilePath: output,
      jitlogPath,
      pypylogPath,
      wallMs,
      subprocesses,
      notes,
    },
    allocTmp,
  );
}

/**
 * `--alloc`: allocation sampling needs code in the program's process, whichever sampler takes
 * the time profile (the outside one reads memory, it cannot be called at an allocation). The
 * hook is a sitecustomize (agent/alloc/) put first on PYTHONPATH: it runs at start-up before the
 * program, adds no frames below it, and works the same under both samplers. Returns the side
 * file it writes to.
 */
function startAllocationHook(env: NodeJS.ProcessEnv, output: string, interpreterOptions: string[]): string {
  if (interpreterOptions.some((o) => /^-[bBdEiIOqsSuvx]+$/.test(o) && /[SI]/.test(o))) {
    throw new RecordError('--alloc starts through site.py, which -S and -I turn off: record without them', 2);
  }
  const allocTmp = `${output}.alloc.${process.pid}.tmp`;
  const hookDir = join(dirname(agentPath()), 'alloc');
  env.PYTHONPATH = env.PYTHONPATH ? `${hookDir}${delimiter}${env.PYTHONPATH}` : hookDir;
  env.PYROMETER_ALLOC_OUT = allocTmp;
  env.PYROMETER_ALLOC_SKIP = `${dirname(agentPath())}/`;
  return allocTmp;
}

function finishAllocations(result: RecordResult, allocTmp: string | null): RecordResult {
  if (!allocTmp) return result;
  if (!existsSync(allocTmp) || statSync(allocTmp).size === 0) {
    removeQuietly(allocTmp);
    result.notes.push('--alloc: the program wrote no allocation samples (did it start through site.py?)');
    return { ...result, allocPath: null };
  }
  const allocPath = `${result.profilePath}.alloc`;
  renameSync(allocTmp, allocPath);
  return { ...result, allocPath };
}
