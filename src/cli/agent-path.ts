/**
 * `pyrometer agent-path`: the directory holding pyrometer's `vmprof`-compatible Python module
 * (src/capture/agent/api), for PYTHONPATH. `record` puts it there itself.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { apiPath } from '../capture/recorder.js';

const EXAMPLES = `
Examples:
  $ PYTHONPATH=$(pyrometer agent-path) python3 app.py     app.py's \`import vmprof\` gets pyrometer's
  $ pyrometer agent-path                                  print the directory
`;

export const registerAgentPath: RegisterCommand = (program: Command) => {
  program
    .command('agent-path')
    .description("print the directory of pyrometer's vmprof-compatible Python module, for PYTHONPATH (record puts it there)")
    .addHelpText('after', EXAMPLES)
    .action(() => {
      process.stdout.write(`${apiPath()}\n`);
    });
};
