/**
 * pyrometer's command line: builds the commander program from one small file
 * per command and turns errors into one-line messages with exit codes
 * (0 = fine, 1 = bad input or failure, 2 = usage mistake, 70 = a bug in
 * pyrometer, the profiled program's own code for `record`).
 *
 * Commander prints its own two-line errors; we silence that (outputError) and
 * print one line instead: what was wrong, a suggestion when commander has one,
 * and which --help to read.
 */
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commandsFor } from './commands.js';
import { FALLBACK_EXAMPLES } from './examples.js';
import { asCliError, CliError } from './errors.js';
import { setColorChoice } from './terminal.js';
import { sanitize } from '../report/text.js';

/** A commander exit (help, version, usage error) and the command it came from. */
class CommanderExit extends Error {
  constructor(
    readonly error: CommanderError,
    readonly commandPath: string,
  ) {
    super(error.message);
  }
}

export function packageVersion(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js are both two levels below the package root.
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const PROGRAM_HELP = `
Examples:
  $ pyrometer record -o out.prof -- python3 app.py   record a program (CPython or PyPy)
  $ pyrometer show out.prof                          top functions in the terminal
  $ pyrometer show out.prof --tree                   the call tree
  $ pyrometer info out.prof                          what the file is: format, threads, duration
  $ pyrometer view out.prof                          the interactive viewer in your browser

Run 'pyrometer <command> --help' for a command's options and examples.
Colour is used on a terminal only; --no-color or NO_COLOR=1 turns it off, --color or FORCE_COLOR=1 on.
`;

/** Applies our error handling to a command and everything below it. */
function configureTree(command: Command, path: string): void {
  command
    .exitOverride((err) => {
      throw new CommanderExit(err, path);
    })
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: () => {}, // we print our own one-line message
    })
    .showSuggestionAfterError(true);
  const examples = FALLBACK_EXAMPLES[path.replace(/^pyrometer ?/, '')];
  // Commander keeps help texts as 'afterHelp' listeners (a Command is an EventEmitter at run time).
  if (examples && (command as unknown as EventEmitter).listenerCount('afterHelp') === 0) command.addHelpText('after', examples);
  for (const sub of command.commands) configureTree(sub, `${path} ${sub.name()}`);
}

/** "error: unknown command 'shw'\n(Did you mean show?)" → "unknown command 'shw' (did you mean 'show'?) — see 'pyrometer --help'" */
export function usageLine(message: string, commandPath: string): string {
  const [first, ...rest] = message.split('\n');
  let line = first.replace(/^error:\s*/, '');
  const suggestion = rest.join(' ').match(/\(Did you mean (.+?)\?\)/);
  if (suggestion) {
    const similar = suggestion[1];
    line += similar.startsWith('one of ') ? ` (did you mean ${similar}?)` : ` (did you mean '${similar}'?)`;
  }
  return sanitize(`${line} — see '${commandPath} --help'`);
}

let pipeGuardInstalled = false;

/** `pyrometer show big.prof | head` closes our stdout early: that is the reader's choice, not an error. */
function exitQuietlyOnClosedPipe(): void {
  if (pipeGuardInstalled) return;
  pipeGuardInstalled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** The program with the commands `argv` needs (all of them without `argv`: commands.ts). */
export async function buildProgram(setExitCode: (code: number) => void, argv?: readonly string[]): Promise<Command> {
  const program = new Command('pyrometer');
  program
    .description('Profile Python programs (CPython and PyPy): record, show, view, convert and share profiles.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--no-color', 'never colour the output')
    .addHelpText('after', PROGRAM_HELP)
    .hook('preAction', () => setColorChoice(program.opts().color));
  for (const register of await commandsFor(argv)) register(program, setExitCode);
  configureTree(program, 'pyrometer');
  return program;
}

/**
 * `pyrometer record python3 -u app.py` (no `--`): everything from the program's first word on is
 * the program's, as with `time` or `nice`, so its options must not be taken for ours. Inserts the
 * `--` the user left out; `--` already given, or no program word, leaves argv as it is.
 */
export function withCommandSeparator(program: Command, argv: string[]): string[] {
  const isOption = (arg: string) => arg.startsWith('-') && arg !== '-';
  let at = 0;
  while (at < argv.length && isOption(argv[at]) && argv[at] !== '--') at++; // --color before the command
  const record = argv[at] === 'record' ? program.commands.find((c) => c.name() === 'record') : undefined;
  if (!record) return argv;
  const takesValue = new Set<string>();
  for (const o of record.options) {
    if (o.required || o.optional) for (const flag of [o.short, o.long]) if (flag) takesValue.add(flag);
  }
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return argv;
    if (!isOption(arg)) return [...argv.slice(0, i), '--', ...argv.slice(i)];
    if (takesValue.has(arg)) i++; // `-o out.prof`: the value is ours too
  }
  return argv;
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  setColorChoice(undefined);
  let exitCode = 0;
  let program: Command;
  try {
    program = await buildProgram((code) => {
      exitCode = code;
    }, argv);
    await program.parseAsync(withCommandSeparator(program, argv), { from: 'user' });
  } catch (err) {
    return reportError(err);
  }
  return exitCode;
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderExit) {
    const { error } = err;
    if (error.exitCode === 0) return 0; // --help, --version, `pyrometer help`
    // Called with no command: commander printed the help to stderr already.
    if (error.code === 'commander.help') return 2;
    process.stderr.write(`pyrometer: ${usageLine(error.message, err.commandPath)}\n`);
    return 2;
  }
  let cliError: CliError | null = null;
  try {
    cliError = asCliError(err);
  } catch {
    // Not something the user caused: a bug in pyrometer.
  }
  if (cliError) {
    process.stderr.write(`pyrometer: ${sanitize(cliError.message)}\n`);
    return cliError.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pyrometer: internal error: ${sanitize(message.split('\n')[0])} (this is a bug; PYROMETER_DEBUG=1 shows where)\n`);
  if (process.env.PYROMETER_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 70;
}
