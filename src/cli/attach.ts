/** `pyrometer attach PID`: `record --pid PID` under its own name (src/capture/outside). */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { attachAndReport, durationOption, pidOption, type AttachCliOptions } from './record.js';
import { DEFAULT_RATE } from '../capture/recorder.js';
import { CliError } from './errors.js';
import { addStreamOptions } from './stream-options.js';

const EXAMPLES = `
Examples:
  $ pyrometer attach 4242                     until Ctrl-C or the process ends
  $ pyrometer attach 4242 --duration 30 --wall -o server.prof
  $ pyrometer attach 4242 --duration 10 --upload http://profiles.internal:8080
  $ pyrometer attach 4242 --stream http://profiles.internal:8080 --service api --label version=1.3
                                              continuous profiling: a chunk every 10 s to \`pyrometer serve\`

Reads CPython 3.7–3.13 from outside (nothing is loaded into the process); needs permission to
read its memory: the same user with ptrace allowed, or root / CAP_SYS_PTRACE.
`;

function rateOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 100_000)
    throw new CliError(`--rate must be a number of samples per second from 1 to 100000, not "${value}"`, 2);
  return n;
}

export const registerAttach: RegisterCommand = (program: Command, setExitCode) => {
  const command = program
    .command('attach')
    .description('sample a running CPython process from outside and write a VMProf profile (like record, for a process already running)')
    .argument('<pid>', 'the process id', pidOption)
    .option('-o, --output <file>', 'profile file (default: <name>-<pid>-<timestamp>.prof here, never overwriting)')
    .option('--force', 'overwrite the output file if it exists')
    .option('--duration <seconds>', 'stop after this many seconds (default: Ctrl-C or the process ends)', durationOption)
    .option('--wall', 'sample wall-clock time: every thread, including sleeping and waiting ones (marked idle)')
    .option('--gil', 'sample only the thread holding the GIL')
    .option('--mem', 'record the resident set size (RSS) with each sample')
    .option('--lines', 'record the line number of every frame')
    .option('--rate <hz>', 'samples per second', rateOption, DEFAULT_RATE)
    .option('--subprocesses', 'also sample the Python processes it starts')
    .option('--upload <url>', 'then upload the profile to a `pyrometer serve` at URL')
    .option('--token <token>', 'upload token for --upload and --stream (env PYROMETER_TOKEN)', process.env.PYROMETER_TOKEN);
  addStreamOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (pid: number, opts: AttachCliOptions) => {
      await attachAndReport(pid, opts, setExitCode);
    });
};
