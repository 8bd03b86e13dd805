/**
 * `pyrometer record [options] -- python3 app.py args…`: runs the program as typed, samples it
 * (src/capture), writes a VMProf profile, prints a short summary to stderr and exits with the
 * program's own exit code (128 + signal number when a signal ended it).
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { record } from '../capture/recorder.js';
import { defineRecordOptions, resolveRecordOptions, type RecordCliOptions } from './record-options.js';
import { recordSummary } from '../capture/summary.js';
import { uploadRecording } from './upload.js';

const EXAMPLES = `
Examples:
  $ pyrometer record -- python3 app.py --their-args
  $ pyrometer record -o run.prof --lines -- python3 -m package.module < input.txt
  $ pyrometer record --wall -- python3 server.py        every thread, sleeping ones too
  $ pyrometer record --jitlog --pypylog -- pypy3 app.py  PyPy: also the JIT log and GC/JIT phases
  $ pyrometer record python3 -X dev app.py              without --: from python3 on, all is the program's
  $ pyrometer record -r --period 0.01 -o out.prof -- python3 app.py
                                                        vmprof's flags work too (= --wall --rate 100)
`;

export const registerRecord: RegisterCommand = (program: Command, setExitCode) => {
  const command = program
    .command('record')
    .description('run a Python program (CPython or PyPy) and record a VMProf profile of it; nothing to pip-install')
    .argument('<command...>', 'the program as you would run it (after --, or from its first word on): python3 app.py, python3 -m pkg, pypy3 -c …');
  defineRecordOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (argv: string[], opts: RecordCliOptions) => {
      const resolved = resolveRecordOptions(opts, (name) => command.getOptionValueSource(name) === 'cli');
      const result = await record(argv, resolved.record);
      process.stderr.write(await recordSummary(result, resolved.rate, { wall: resolved.record.wall }));
      setExitCode(result.exitCode);
      if (resolved.upload && !(await uploadRecording(result, resolved.upload, argv.join(' '))) && result.exitCode === 0) setExitCode(1);
    });
};
