/**
 * `pyrometer record [options] -- python3 app.py args…`: runs the program as typed, samples it
 * (src/capture), writes a VMProf profile, prints a short summary to stderr and exits with the
 * program's own exit code (128 + signal number when a signal ended it).
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { DEFAULT_RATE, record } from '../capture/recorder.js';
import { recordSummary } from './record-summary.js';
import { uploadRecording } from './upload.js';
import { streamOptionsFrom, addStreamOptions, type StreamCliOptions, startStream } from './stream-options.js';

interface RecordCliOptions extends StreamCliOptions {
  output?: string;
  force?: boolean;
  wall?: boolean;
  mem?: boolean;
  lines?: boolean;
  rate: number;
  pypylog?: boolean;
  jitlog?: boolean;
  subprocesses?: boolean;
  engine: 'auto' | 'vmprof' | 'sampler';
  upload?: string;
  token?: string;
}

const EXAMPLES = `
Examples:
  $ pyrometer record -- python3 app.py --their-args
  $ pyrometer record -o run.prof --lines -- python3 -m package.module < input.txt
  $ pyrometer record --wall -- python3 server.py        every thread, sleeping ones too
  $ pyrometer record --jitlog --pypylog -- pypy3 app.py  PyPy: also the JIT log and GC/JIT phases
  $ pyrometer record python3 -X dev app.py              without --: from python3 on, all is the program's
  $ pyrometer record --stream http://prof:8000 --service api --label version=1.3 -- python3 server.py
                                                        continuous profiling: a chunk every 10 s to \`pyrometer serve\`
`;

function rateOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 100_000) throw new CliError(`--rate must be a number of samples per second from 1 to 100000, not "${value}"`, 2);
  return n;
}

export const registerRecord: RegisterCommand = (program: Command, setExitCode) => {
  const command = program
    .command('record')
    .description('run a Python program (CPython or PyPy) and record a VMProf profile of it; nothing to pip-install')
    .argument('<command...>', 'the program as you would run it (after --, or from its first word on): python3 app.py, python3 -m pkg, pypy3 -c …')
    .option('-o, --output <file>', 'profile file (default: <script>-<timestamp>.prof here, never overwriting)')
    .option('--force', 'overwrite the output file if it exists')
    .option('--wall', 'sample wall-clock time: every thread, including sleeping and waiting ones (marked idle)')
    .option('--mem', 'record the resident set size (RSS) with each sample')
    .option('--lines', 'record the line number of every frame')
    .option('--rate <hz>', 'samples per second', rateOption, DEFAULT_RATE)
    .option('--pypylog', 'PyPy: also write the PyPy log (GC and JIT phases) to <output>.pypylog')
    .option('--jitlog', 'PyPy: also write the JIT log to <output>.jit')
    .option('--subprocesses', 'also profile the Python processes it starts (subprocess, multiprocessing), into the same profile')
    .option('--engine <engine>', 'auto (PyPy: its built-in _vmprof; CPython: our sampler), vmprof or sampler', (v) => {
      if (v !== 'auto' && v !== 'vmprof' && v !== 'sampler') throw new CliError(`--engine must be auto, vmprof or sampler, not "${v}"`, 2);
      return v;
    }, 'auto')
    .option('--upload <url>', 'then upload the profile and its side files to a `pyrometer serve` at URL')
    .option('--token <token>', 'upload token for --upload and --stream (env PYROMETER_TOKEN)', process.env.PYROMETER_TOKEN);
  addStreamOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (argv: string[], opts: RecordCliOptions) => {
      const stream = opts.stream ? startStream(streamOptionsFrom(opts, argv, opts.wall ? 'wall' : 'cpu'), Boolean(opts.streamSpool)) : null;
      let result;
      try {
        result = await record(argv, {
          follower: stream?.session,
          output: opts.output,
          force: opts.force,
          wall: opts.wall,
          memory: opts.mem,
          lines: opts.lines,
          rate: opts.rate,
          pypylog: opts.pypylog,
          jitlog: opts.jitlog,
          subprocesses: opts.subprocesses,
          engine: opts.engine,
        });
      } finally {
        if (stream && !result) await stream.stop();
      }
      process.stderr.write(await recordSummary(result, opts.rate, { wall: opts.wall }));
      setExitCode(result.exitCode);
      if (stream && !(await stream.stop()) && result.exitCode === 0) setExitCode(1);
      if (opts.upload && !(await uploadRecording(result, { server: opts.upload, token: opts.token }, argv.join(' '))) && result.exitCode === 0) setExitCode(1);
    });
};
