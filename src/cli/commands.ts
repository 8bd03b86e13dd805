/**
 * Every command, one line each: its name and its module. A command module exports a function
 * that adds itself to the commander program; `setExitCode` lets it report a code without calling
 * process.exit (tests run main() in-process).
 *
 * Modules load when needed: `pyrometer info x.prof` loads info.ts alone, `--version` none;
 * help and a word that is no command's name (commander suggests the nearest) load them all.
 * That is most of every command's start-up (issue 18; docs/performance.md).
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

/** In the order help lists them; each name is what its module registers (test/cli/cli.test.ts checks). */
export const COMMANDS: readonly (readonly [name: string, load: () => Promise<RegisterCommand>])[] = [
  ['record', async () => (await import('./record.js')).registerRecord],
  ['attach', async () => (await import('./attach.js')).registerAttach],
  ['dump', async () => (await import('./dump.js')).registerDump],
  ['top', async () => (await import('./top.js')).registerTop],
  ['show', async () => (await import('./show.js')).registerShow],
  ['info', async () => (await import('./info.js')).registerInfo],
  ['diff', async () => (await import('./diff.js')).registerDiff],
  ['view', async () => (await import('./view.js')).registerView],
  ['report', async () => (await import('./report.js')).registerReport],
  ['convert', async () => (await import('./convert.js')).registerConvert],
  ['serve', async () => (await import('./serve.js')).registerServe],
  ['upload', async () => (await import('./upload.js')).registerUpload],
  ['token', async () => (await import('./token.js')).registerToken],
  ['agent-path', async () => (await import('./agent-path.js')).registerAgentPath],
  ['query', async () => (await import('./query.js')).registerQuery],
];

/** Options of the program itself that need no command registered. */
const PROGRAM_ONLY = new Set(['-V', '--version', '--color', '--no-color']);

/**
 * The commands `argv` needs: the one it names (its first word that is not an option), none for
 * a bare `--version`, all otherwise (help, no arguments, a misspelt name) or when `argv` is absent.
 */
export async function commandsFor(argv?: readonly string[]): Promise<RegisterCommand[]> {
  let wanted = COMMANDS;
  if (argv) {
    const at = argv.findIndex((a) => !a.startsWith('-'));
    const word = at < 0 ? undefined : argv[at];
    // `pyrometer -h info` is the program's help, which lists every command
    const programHelp = argv.slice(0, at < 0 ? argv.length : at).some((a) => a === '-h' || a === '--help');
    const named = COMMANDS.filter(([name]) => name === word);
    if (named.length > 0 && !programHelp) wanted = named;
    else if (word === undefined && argv.length > 0 && argv.every((a) => PROGRAM_ONLY.has(a))) wanted = [];
  }
  return Promise.all(wanted.map(([, load]) => load()));
}
