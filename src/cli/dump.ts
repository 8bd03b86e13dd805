/**
 * `pyrometer dump PID`: every thread's current Python stack, read once from outside the
 * process (src/capture/outside), like `py-spy dump`. `--json` for scripts.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { pidOption } from './record.js';
import { sanitize } from '../report/text.js';

const EXAMPLES = `
Examples:
  $ pyrometer dump 4242                 where is every thread of process 4242 right now?
  $ pyrometer dump 4242 --json | jq .   the same for scripts

Reads CPython 3.7–3.13 from outside (nothing is loaded into the process); needs permission to
read its memory: the same user with ptrace allowed, or root / CAP_SYS_PTRACE.
`;

export const registerDump: RegisterCommand = (program: Command) => {
  program
    .command('dump')
    .description('print the current Python stack of every thread of a running CPython process (like py-spy dump)')
    .argument('<pid>', 'the process id', pidOption)
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', EXAMPLES)
    .action(async (pid: number, opts: { json?: boolean }) => {
      const { dumpProcess } = await import('../capture/outside/dump.js');
      const { AttachError } = await import('../capture/outside/errors.js');
      let dump;
      try {
        dump = dumpProcess(pid);
      } catch (err) {
        if (err instanceof AttachError) throw new CliError(err.message);
        throw err;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(dump, null, 2) + '\n');
        return;
      }
      const out: string[] = [`Process ${pid}: Python ${dump.python} (${sanitize(dump.binary)})`];
      for (const t of dump.threads) {
        out.push('');
        out.push(`Thread ${t.tid} (${t.stateText}${t.holdsGil ? ', holds the GIL' : ''}): "${sanitize(t.name)}"`);
        if (t.frames === null) out.push('    (the stack changed on every read; try again)');
        else if (t.frames.length === 0) out.push('    (no Python code running)');
        else for (const f of t.frames) out.push(`    ${sanitize(f.qualname)} (${sanitize(f.file)}:${f.line})`);
      }
      process.stdout.write(out.join('\n') + '\n');
    });
};
