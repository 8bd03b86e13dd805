/**
 * `record`'s options, pyrometer's spellings and vmprof's (`python -m vmprof`'s command line), turned
 * into one RecordOptions. vmprof's flags are aliases with vmprof's meaning, defined at the
 * option level so they apply whichever sampler records:
 *
 *   -r, --real-time     = --wall
 *   -p, --period SECS   = --rate 1/SECS
 *   -n, --no-native     no native (C) frames: our sampler's C-code split, PyPy's native=0
 *   --web               = --upload to $PYROMETER_SERVER (or --web-url)
 *   --web-url URL       = --upload URL
 *   --web-auth TOKEN    = --token TOKEN
 *   --config FILE       vmprof's INI file ([global] period, mem, lines, web, web-url, web-auth,
 *                       output, no-native); the command line wins, as in vmprof
 *   --mem, --lines, --jitlog, -o/--output: the same spelling in both
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError } from './errors.js';
import { DEFAULT_RATE, type RecordOptions } from '../capture/recorder.js';

export interface RecordCliOptions {
  output?: string;
  force?: boolean;
  wall?: boolean;
  realTime?: boolean;
  mem?: boolean;
  alloc?: boolean;
  lines?: boolean;
  rate?: number;
  period?: number;
  native?: boolean;
  pypylog?: boolean;
  jitlog?: boolean;
  subprocesses?: boolean;
  engine: 'auto' | 'vmprof' | 'sampler';
  upload?: string;
  token?: string;
  web?: boolean;
  webUrl?: string;
  webAuth?: string;
  config?: string;
}

export interface ResolvedRecordOptions {
  record: RecordOptions;
  /** Samples per second actually asked for (from --rate or --period). */
  rate: number;
  /** Where to upload the recording afterwards, if anywhere. */
  upload?: { server: string; token?: string };
}

function rateOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 100_000)
    throw new CliError(`--rate must be a number of samples per second from 1 to 100000, not "${value}"`, 2);
  return n;
}

function periodOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.00001 || n > 1)
    throw new CliError(`--period must be seconds between samples, from 0.00001 to 1 (vmprof's default is 0.00099), not "${value}"`, 2);
  return n;
}

/** Adds record's options (both spellings) to a command. */
export function defineRecordOptions(command: Command): Command {
  return command
    .option('-o, --output <file>', 'profile file (default: <script>-<timestamp>.prof here, never overwriting)')
    .option('--force', 'overwrite the output file if it exists')
    .option('--wall', 'sample wall-clock time: every thread, including sleeping and waiting ones (marked idle)')
    .option('-r, --real-time', "vmprof's spelling of --wall")
    .option('--mem', 'record the resident set size (RSS) with each sample')
    .option('--alloc', 'also sample where the program allocates (CPython: gc.callbacks, PyPy: gc.hooks) into <output>.alloc')
    .option('--lines', 'record the line number of every frame')
    .option('--rate <hz>', `samples per second (default: ${DEFAULT_RATE})`, rateOption)
    .option('-p, --period <seconds>', "vmprof's spelling of the rate: seconds between samples (--period 0.01 = --rate 100)", periodOption)
    .option('-n, --no-native', 'no native (C code) frames in the stacks')
    .option('--pypylog', 'PyPy: also write the PyPy log (GC and JIT phases) to <output>.pypylog')
    .option('--jitlog', 'PyPy: also write the JIT log to <output>.jit')
    .option('--subprocesses', 'also profile the Python processes it starts (subprocess, multiprocessing), into the same profile')
    .addOption(
      new Option('--engine <engine>', 'auto (PyPy: its built-in _vmprof; CPython: our sampler), vmprof or sampler')
        .choices(['auto', 'vmprof', 'sampler'])
        .default('auto'),
    )
    .option('--upload <url>', 'then upload the profile and its side files to a `pyrometer serve` at URL')
    .option('--token <token>', 'upload token for --upload (env PYROMETER_TOKEN)')
    .option('--web', "vmprof's spelling: upload to the server in $PYROMETER_SERVER (or --web-url)")
    .option('--web-url <url>', "vmprof's spelling of --upload URL")
    .option('--web-auth <token>', "vmprof's spelling of --token")
    .option(
      '--config <file>',
      'read options from a vmprof INI file ([global] period, mem, lines, web, web-url, web-auth, output, no-native); the command line wins',
    );
}

/** Sections and `key = value` (or `key: value`) lines of an INI file, as Python's configparser reads simple ones. */
export function parseIni(text: string, file: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1].trim(), current);
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || current === null) throw new CliError(`${file}:${index + 1}: not an INI line under a [section]: ${line.slice(0, 60)}`, 2);
    current.set(kv[1].toLowerCase(), kv[2]);
  });
  return sections;
}

function iniBoolean(value: string, key: string, file: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  throw new CliError(`${file}: ${key} must be true or false (yes/no, on/off, 1/0), not "${value}"`, 2);
}

/** vmprof's --config: [global] values for the options the command line left alone. */
function applyConfig(opts: RecordCliOptions, file: string, given: (name: keyof RecordCliOptions) => boolean): RecordCliOptions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`--config ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code}`, 2);
  }
  const global = parseIni(text, file).get('global');
  if (!global) throw new CliError(`--config ${file}: no [global] section (vmprof's options go under [global])`, 2);
  const out = { ...opts };
  for (const [key, value] of global) {
    switch (key) {
      case 'period':
        if (!given('period') && !given('rate')) out.period = periodOption(value);
        break;
      case 'mem':
        if (!given('mem')) out.mem = iniBoolean(value, key, file);
        break;
      case 'lines':
        if (!given('lines')) out.lines = iniBoolean(value, key, file);
        break;
      case 'no-native':
        if (!given('native')) out.native = !iniBoolean(value, key, file);
        break;
      case 'web':
        // vmprof reads it as a string: any non-empty value asks for the upload
        if (!given('web')) out.web = value.trim() !== '' && !/^(0|no|false|off)$/i.test(value.trim());
        break;
      case 'web-url':
        if (!given('webUrl')) out.webUrl = value.trim();
        break;
      case 'web-auth':
        if (!given('webAuth')) out.webAuth = value.trim();
        break;
      case 'output':
        if (!given('output')) out.output = value.trim();
        break;
      default:
        throw new CliError(
          `--config ${file}: unknown option "${key}" in [global] (known: period, mem, lines, web, web-url, web-auth, output, no-native)`,
          2,
        );
    }
  }
  return out;
}

/**
 * One RecordOptions from either spelling. `given` says whether an option came from the command
 * line (commander's getOptionValueSource), so a --config file only fills in the rest.
 */
export function resolveRecordOptions(
  cli: RecordCliOptions,
  given: (name: keyof RecordCliOptions) => boolean = (name) => cli[name] !== undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedRecordOptions {
  const opts = cli.config ? applyConfig(cli, cli.config, given) : cli;
  if (opts.rate !== undefined && opts.period !== undefined && given('rate') && given('period')) {
    throw new CliError('--rate and --period say the same thing: give one of them', 2);
  }
  const rate = opts.rate ?? (opts.period !== undefined ? 1 / opts.period : DEFAULT_RATE);
  const record: RecordOptions = {
    output: opts.output,
    force: opts.force,
    wall: opts.wall || opts.realTime || undefined,
    memory: opts.mem,
    alloc: opts.alloc,
    lines: opts.lines,
    rate,
    pypylog: opts.pypylog,
    jitlog: opts.jitlog,
    subprocesses: opts.subprocesses,
    engine: opts.engine,
  };
  if (opts.native === false) record.native = false;
  let upload: ResolvedRecordOptions['upload'];
  const token = opts.token ?? opts.webAuth ?? env.PYROMETER_TOKEN;
  if (opts.upload || opts.webUrl || opts.web) {
    const server = opts.upload ?? opts.webUrl ?? env.PYROMETER_SERVER;
    if (!server)
      throw new CliError('--web uploads to the server named in $PYROMETER_SERVER: set it, or give --web-url URL (or --upload URL)', 2);
    upload = { server, token };
  }
  return { record, rate, upload };
}
