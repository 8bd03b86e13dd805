/**
 * Understanding the command after `pyrometer record --`: which interpreter, which of its
 * own options, and what it runs (a script, `-m module`, `-c command`, or `-` for stdin).
 *
 *   python3 -u -X dev -W error app.py --their-args
 *   └─interp └─ interpreter options ─┘ └─ target ─────┘
 *
 * The agent is inserted between the interpreter options and the target, so the options
 * still apply to the interpreter and the target's argv reaches the program unchanged.
 * `pyrometer record -- app.py` (no interpreter) runs the script with the interpreter named
 * on its `#!` line, or python3.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { RecordError } from './errors.js';

export type TargetKind = 'script' | 'module' | 'command' | 'stdin';

export interface TargetCommand {
  /** The interpreter as the user named it (`python3`, `/opt/pypy/bin/pypy3`). */
  interpreter: string;
  /** Interpreter options before the target, e.g. `-u`, `-X dev`. */
  interpreterOptions: string[];
  kind: TargetKind;
  /** Everything from the target on: `app.py args…`, `-m mod args…`, `-c code args…`, `- args…`. */
  target: string[];
  /** The script path, module name, or `-c`/`-` for the other kinds. */
  what: string;
  /** `env NAME=value … python3 app.py`: the variables env would have set. */
  envAssignments?: Record<string, string>;
}

/** Interpreter options that take a value (as the next argument or glued: `-Wignore`, `-Xdev`). */
const OPTIONS_WITH_VALUE = new Set(['W', 'X', 'Q']);
/** Single-letter flags CPython and PyPy accept, which may be clustered (`-uB`). */
const FLAGS = new Set(['b', 'B', 'd', 'E', 'i', 'I', 'O', 'P', 'q', 's', 'S', 'u', 'v', 'x', 'R', 't', '3']);
/** Long options: `--check-hash-based-pycs` takes a value; the others are plain flags. */
const LONG_WITH_VALUE = new Set(['--check-hash-based-pycs', '--jit']);

/** Splits a command line (without the `--`) into interpreter, its options and the target. */
export function parseTargetCommand(argv: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): TargetCommand {
  if (argv.length === 0) throw new RecordError('nothing to record: put the program after --, e.g. `pyrometer record -- python3 app.py`', 2);
  let args = [...argv];
  const envAssignments: Record<string, string> = {};
  if (basename(args[0]) === 'env' && args.length > 1) {
    // `record -- /usr/bin/env [NAME=value…] python3 app.py`: what env would run, with its variables
    args = envCommand(args.slice(1), envAssignments);
  }
  if (/\.pyw?$/i.test(args[0])) {
    // `record -- app.py`: run it with the interpreter its #! line names, or python3
    args = [...(shebangInterpreter(args[0], cwd) ?? []), ...args];
  } else {
    // `record -- ./tool` or `record -- pytest`: a script whose #! line names Python
    const path = findExecutable(args[0], cwd, env);
    const interpreter = path !== undefined ? shebangInterpreter(path, cwd, null) : null;
    if (interpreter !== null) args = [...interpreter, path as string, ...args.slice(1)];
  }
  const parsed = parseInterpreterCommand(args);
  return Object.keys(envAssignments).length > 0 ? { ...parsed, envAssignments } : parsed;
}

/** env's own arguments: NAME=value assignments and -S (split string); the rest is the command. */
function envCommand(args: string[], assignments: Record<string, string>): string[] {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '-S' || a === '--split-string') return [...(args[i + 1] ?? '').split(/\s+/).filter(Boolean), ...args.slice(i + 2)];
    if (a.startsWith('-S') && a.length > 2) return [...a.slice(2).split(/\s+/).filter(Boolean), ...args.slice(i + 1)];
    if (a === '--') continue;
    if (a.startsWith('-'))
      throw new RecordError(
        `env ${a}: pyrometer record runs env's command itself and knows only NAME=value and -S; put the interpreter first (\`pyrometer record -- python3 app.py\`)`,
        2,
      );
    const eq = a.indexOf('=');
    if (eq <= 0) break;
    assignments[a.slice(0, eq)] = a.slice(eq + 1);
  }
  if (i >= args.length) throw new RecordError('env with no command: nothing to record', 2);
  return args.slice(i);
}

function parseInterpreterCommand(args: string[]): TargetCommand {
  const interpreter = args[0];
  const interpreterOptions: string[] = [];
  let i = 1;
  while (i < args.length) {
    const a = args[i];
    if (a === '-m' || a === '-c') {
      if (i + 1 >= args.length) throw new RecordError(`${interpreter} ${a} needs an argument`, 2);
      const target = args.slice(i);
      return { interpreter, interpreterOptions, kind: a === '-m' ? 'module' : 'command', target, what: a === '-m' ? args[i + 1] : '-c' };
    }
    if (a.startsWith('-m') || a.startsWith('-c')) {
      // glued: -mpackage.module, -c"print(1)"
      const target = [a.slice(0, 2), a.slice(2), ...args.slice(i + 1)];
      return { interpreter, interpreterOptions, kind: a[1] === 'm' ? 'module' : 'command', target, what: a[1] === 'm' ? a.slice(2) : '-c' };
    }
    if (a === '-') {
      return { interpreter, interpreterOptions, kind: 'stdin', target: args.slice(i), what: '-' };
    }
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      if (a === '--help' || a === '--version' || a === '-h' || a === '-V') {
        throw new RecordError(`${interpreter} ${a} runs no program: nothing to record`, 2);
      }
      interpreterOptions.push(a);
      if (LONG_WITH_VALUE.has(a) && i + 1 < args.length) interpreterOptions.push(args[++i]);
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // a cluster of flags, possibly ending in an option that takes a value
      let j = 1;
      let consumedNext = false;
      for (; j < a.length; j++) {
        const c = a[j];
        if (OPTIONS_WITH_VALUE.has(c)) {
          if (j === a.length - 1) consumedNext = true;
          break;
        }
        if (c === 'h' || c === 'V') throw new RecordError(`${interpreter} ${a} runs no program: nothing to record`, 2);
        if (c === 'm' || c === 'c') break;
        if (!FLAGS.has(c)) throw new RecordError(`unknown interpreter option ${a} (put pyrometer's own options before --)`, 2);
      }
      if (j < a.length && (a[j] === 'm' || a[j] === 'c')) {
        // `-um mod`: flags, then -m/-c
        interpreterOptions.push(a.slice(0, j));
        args[i] = `-${a.slice(j)}`; // looked at again as -m/-c
        continue;
      }
      interpreterOptions.push(a);
      if (consumedNext) {
        if (i + 1 >= args.length) throw new RecordError(`${interpreter} ${a} needs an argument`, 2);
        interpreterOptions.push(args[++i]);
      }
      i++;
      continue;
    }
    break;
  }
  if (i >= args.length) {
    throw new RecordError(`${interpreter} would start an interactive prompt: give a script, -m module or -c command to record`, 2);
  }
  return { interpreter, interpreterOptions, kind: 'script', target: args.slice(i), what: args[i] };
}

/**
 * The interpreter named by a script's `#!` line (`/usr/bin/env python3` -> python3); else
 * `otherwise` (python3 for .py files; null: "not a Python script").
 */
function shebangInterpreter(script: string, cwd: string, otherwise: string[] | null = ['python3']): string[] | null {
  try {
    const head = readFileSync(resolve(cwd, script)).subarray(0, 256).toString('utf8');
    const m = /^#!\s*(\S+)(?:[ \t]+([^\r\n]*))?/.exec(head);
    if (m) {
      const [program, rest] = [m[1], (m[2] ?? '').trim()];
      if (basename(program) === 'env' && rest) {
        const words = rest.split(/\s+/).filter((w) => w !== '-S');
        if (words.length > 0 && (otherwise !== null || /python|pypy/i.test(basename(words[0])))) return words;
      }
      if (/python|pypy/i.test(basename(program))) return [program, ...(rest ? rest.split(/\s+/) : [])];
    }
  } catch {
    // missing script: reported later, with the interpreter's name
  }
  return otherwise;
}

/** Resolves a program name like the shell does; undefined when it does not exist. */
export function findExecutable(name: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(cwd, name);
    return isFile(p) ? p : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir), name);
    if (isFile(p)) return p;
  }
  return undefined;
}

/** A file name stem for the default output: the script or module name, `python-c` for -c. */
export function targetStem(command: TargetCommand): string {
  let stem: string;
  if (command.kind === 'script') stem = basename(command.what).replace(/\.pyw?$/i, '');
  else if (command.kind === 'module') stem = command.what.split('.').pop() || 'module';
  else stem = command.kind === 'command' ? 'python-c' : 'python-stdin';
  return stem.replace(/[^A-Za-z0-9._-]/g, '_') || 'profile';
}

/** vmprof's own command-line options (`python -m vmprof [these] program args`) and whether they take a value. */
const VMPROF_OPTIONS: Record<string, { value: boolean; ours?: string }> = {
  '--period': { value: true },
  '-p': { value: true, ours: '--period' },
  '--mem': { value: false },
  '--lines': { value: false },
  '--jitlog': { value: false },
  '--no-native': { value: false },
  '-n': { value: false, ours: '--no-native' },
  '--web': { value: false },
  '--web-url': { value: true },
  '--web-auth': { value: true },
  '--config': { value: true },
  '--output': { value: true, ours: '-o' },
  '-o': { value: true },
};

/**
 * `pyrometer record -- python3 -m vmprof [options] app.py args`: vmprof is not needed under
 * pyrometer (and need not be installed). The one-line hint with the command that does the same;
 * null when the command does not run vmprof's command line.
 */
export function vmprofModuleHint(command: TargetCommand): string | null {
  if (command.kind !== 'module' || command.what !== 'vmprof') return null;
  const rest = command.target.slice(2);
  const ours: string[] = [];
  let module = false;
  let i = 0;
  for (; i < rest.length; i++) {
    const a = rest[i];
    if (a === '-m') {
      module = true;
      continue;
    }
    const [name, glued] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const known = VMPROF_OPTIONS[name];
    if (!known) break;
    ours.push(known.ours ?? name);
    if (known.value) ours.push(glued ?? rest[++i] ?? '');
  }
  const program = rest.slice(i);
  const run = [command.interpreter, ...command.interpreterOptions, ...(module ? ['-m'] : []), ...program];
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const equivalent = ['pyrometer', 'record', ...ours, '--', ...run].map(quote).join(' ');
  return `no need for python -m vmprof under pyrometer record (it samples the program itself): run \`${equivalent}\``;
}
