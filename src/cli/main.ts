/**
 * pyrometer's command line: builds the commander program from one small file
 * per command and turns errors into one-line messages with exit codes
 * (2 = usage, 1 = bad input or failure, the profiled program's own code for `record`).
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands.js';
import { CliError } from './errors.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('pyrometer');
  let exitCode = 0;
  program
    .description('Profile Python programs (CPython and PyPy): record, show, view, convert and share profiles.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError(true);
  for (const register of commands) {
    register(program, (code) => { exitCode = code; });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`pyrometer: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  return exitCode;
}
