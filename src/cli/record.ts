/**
 * `pyrometer record [options] -- python3 app.py args…`: runs the program as typed, samples it
 * (src/capture), writes a VMProf profile, prints a short summary to stderr and exits with the
 * program's own exit code (128 + signal number when a signal ended it).
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { record } from '../capture/recorder.js';
import { defineRecordOptions, resolveRecordOptions, type RecordCliOptions } from './record-options.js';
import { uploadRecording } from './upload.js';
import { addStreamOptions, startStream, streamOptionsFrom, type StreamCliOptions } from './stream-options.js';

const EXAMPLES = `
Examples:
  $ pyrometer record -- python3 app.py --their-args
  $ pyrometer record -o run.prof --lines -- python3 -m package.module < input.txt
  $ pyrometer record --wall -- python3 server.py        every thread, sleeping ones too
  $ pyrometer record --jitlog --pypylog -- pypy3 app.py  PyPy: also the JIT log and GC/JIT phases
  $ pyrometer record python3 -X dev app.py              without --: from python3 on, all is the program's
  $ pyrometer record -r --period 0.01 -o out.prof -- python3 app.py
                                                         vmprof's flags work too (= --wall --rate 100)
  $ pyrometer record --pid 4242 --duration 30           a running CPython process (same as pyrometer attach)
  $ pyrometer record --in-process -- python3 app.py     CPython: the agent inside the program instead
  $ pyrometer record --stream http://prof:8000 --service api --label version=1.3 -- python3 server.py
                                                         continuous profiling: a chunk every 10 s to \`pyrometer serve\`

CPython 3.7–3.13 is sampled from outside the process (its memory read through /proc, nothing
loaded into it); PyPy, other versions and --in-process use the sampler inside the program.
`;

export function pidOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !(n > 0)) throw new CliError(`a process id is a positive whole number, not "${value}"`, 2);
  return n;
}

export function durationOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--duration must be a positive number of seconds, not "${value}"`, 2);
  return n;
}

export interface AttachCliOptions extends Partial<StreamCliOptions> {
  output?: string;
  force?: boolean;
  wall?: boolean;
  mem?: boolean;
  lines?: boolean;
  gil?: boolean;
  rate: number;
  subprocesses?: boolean;
  duration?: number;
  upload?: string;
  token?: string;
}

/** `attach PID` and `record --pid PID`: sample, print the summary, upload when asked. */
export async function attachAndReport(pid: number, opts: AttachCliOptions, setExitCode: (code: number) => void): Promise<void> {
  const { attachOutside } = await import('../capture/outside/record-outside.js');
  process.stderr.write(
    `pyrometer: sampling process ${pid} from outside${opts.duration ? ` for ${opts.duration} s` : ''} (Ctrl-C to stop)\n`,
  );
  const stream = opts.stream
    ? await startStream(
        await streamOptionsFrom(
          { label: [], interval: 10_000, streamBuffer: 360, ...opts, token: opts.token ?? process.env.PYROMETER_TOKEN },
          { pid },
          opts.wall ? 'wall' : 'cpu',
        ),
        Boolean(opts.streamSpool),
      )
    : null;
  let result;
  try {
    result = await attachOutside(pid, {
      output: opts.output,
      force: opts.force,
      wall: opts.wall,
      memory: opts.mem,
      lines: opts.lines,
      gil: opts.gil,
      rate: opts.rate,
      subprocesses: opts.subprocesses,
      duration: opts.duration,
      cwd: process.cwd(),
      follower: stream?.session,
    });
  } finally {
    if (stream && !result) await stream.stop();
  }
  const { recordSummary } = await import('./record-summary.js');
  process.stderr.write(await recordSummary(result, opts.rate, { wall: opts.wall }));
  if (stream && !(await stream.stop())) setExitCode(1);
  if (opts.upload && !(await uploadRecording(result, { server: opts.upload, token: opts.token }, `process ${pid}`))) setExitCode(1);
}

export const registerRecord: RegisterCommand = (program: Command, setExitCode) => {
  const command = program
    .command('record')
    .description('run a Python program (CPython or PyPy) and record a VMProf profile of it; nothing to pip-install')
    .argument(
      '[command...]',
      'the program as you would run it (after --, or from its first word on): python3 app.py, python3 -m pkg, pypy3 -c …',
    );
  addStreamOptions(defineRecordOptions(command))
    .option('--in-process', 'CPython: sample with the agent inside the program instead of from outside (the default)')
    .option('--gil', 'outside sampler: sample only the thread holding the GIL')
    .option('--pid <pid>', 'sample a running CPython process instead of starting one (like pyrometer attach)', pidOption)
    .option('--duration <seconds>', 'with --pid: stop after this many seconds (default: Ctrl-C or the process ends)', durationOption)
    .addHelpText('after', EXAMPLES)
    .action(
      async (
        argv: string[],
        opts: RecordCliOptions & StreamCliOptions & { inProcess?: boolean; gil?: boolean; pid?: number; duration?: number },
      ) => {
        const resolved = resolveRecordOptions(opts, (name) => command.getOptionValueSource(name) === 'cli');
        if (opts.pid !== undefined) {
          if (argv.length > 0) throw new CliError('give either --pid or a command to run, not both', 2);
          if (resolved.record.alloc)
            throw new CliError('--alloc needs a program record starts (its hook runs at interpreter start-up), not a running --pid', 2);
          const r = resolved.record;
          await attachAndReport(
            opts.pid,
            {
              output: r.output,
              force: r.force,
              wall: r.wall,
              mem: r.memory,
              lines: r.lines,
              gil: opts.gil,
              rate: resolved.rate,
              subprocesses: r.subprocesses,
              duration: opts.duration,
              upload: resolved.upload?.server,
              token: resolved.upload?.token,
            },
            setExitCode,
          );
          return;
        }
        if (opts.duration !== undefined) throw new CliError('--duration needs --pid (a program you start is sampled until it exits)', 2);
        if (argv.length === 0)
          throw new CliError('nothing to record: put the program after --, e.g. `pyrometer record -- python3 app.py` (or --pid PID)', 2);
        const stream = opts.stream
          ? await startStream(
              await streamOptionsFrom(
                { ...opts, token: opts.token ?? opts.webAuth ?? process.env.PYROMETER_TOKEN },
                { argv },
                resolved.record.wall ? 'wall' : 'cpu',
              ),
              Boolean(opts.streamSpool),
            )
          : null;
        // the summary's reader loads while the interpreter is probed, when this process would otherwise
        // wait (record waits for it before starting the program, so it never competes with the sampler);
        // not at start-up, where --help and usage errors need none of it
        const summaryModule = import('./record-summary.js');
        summaryModule.catch(() => {}); // a record that fails early never awaits it
        let result;
        try {
          result = await record(argv, {
            ...resolved.record,
            inProcess: opts.inProcess,
            gil: opts.gil,
            follower: stream?.session,
            beforeStart: summaryModule,
          });
        } finally {
          if (stream && !result) await stream.stop();
        }
        const { recordSummary } = await summaryModule;
        process.stderr.write(await recordSummary(result, resolved.rate, { wall: resolved.record.wall }));
        setExitCode(result.exitCode);
        if (stream && !(await stream.stop()) && result.exitCode === 0) setExitCode(1);
        if (resolved.upload && !(await uploadRecording(result, resolved.upload, argv.join(' '))) && result.exitCode === 0) setExitCode(1);
      },
    );
};
