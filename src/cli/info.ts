/** `pyrometer info FILE`: what the file is — format, interpreter, period, times, threads, memory, warnings. */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { loadForCli } from './load.js';
import { terminalStyle } from './terminal.js';

const EXAMPLES = `
Examples:
  $ pyrometer info out.prof
  $ pyrometer info out.prof.gz --json | jq .threads
`;

export const registerInfo: RegisterCommand = (program: Command) => {
  program
    .command('info')
    .description('describe a profile file: format, interpreter, period, duration, threads, memory')
    .argument('<file>', 'a profile file in any format pyrometer reads')
    .option('--json', 'print the facts as JSON')
    .option('-f, --format <name>', 'read the file as this format instead of detecting it')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, opts: { json?: boolean; format?: string }) => {
      const profile = await loadForCli(file, { format: opts.format });
      const { profileFacts, renderInfo } = await import('../report/info.js');
      if (opts.json) process.stdout.write(JSON.stringify(profileFacts(profile), null, 2) + '\n');
      else process.stdout.write(renderInfo(profile, terminalStyle(process.stdout)));
    });
};
