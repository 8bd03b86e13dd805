/**
 * `pyrometer diff BEFORE AFTER`: which functions got slower or faster between
 * two profiles (any formats, any interpreters), in the terminal or as JSON.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { loadForCli } from './load.js';
import { positiveInteger } from './options.js';
import { terminalStyle } from './terminal.js';
import { CliError, usageError } from './errors.js';
import type { Normalization } from '../model/compare.js';

const EXAMPLES = `
Examples:
  $ pyrometer diff before.prof after.prof           biggest changes of self time first
  $ pyrometer diff cpython.pstats pypy.prof         across formats and interpreters
  $ pyrometer diff a.prof b.prof --normalize time   milliseconds instead of shares of each total
  $ pyrometer diff a.prof b.prof --json | jq '.functions[0]'
`;

interface DiffOptions {
  top: number;
  normalize: string;
  hideIdle?: boolean;
  json?: boolean;
}

export const registerDiff: RegisterCommand = (program: Command) => {
  program
    .command('diff')
    .description('compare two profiles: the functions whose time changed most')
    .argument('<before>', 'the first profile (any format pyrometer reads)')
    .argument('<after>', 'the second profile')
    .option('-n, --top <n>', 'how many functions to list', positiveInteger('--top'), 20)
    .option('--normalize <how>', '"share": each function\'s share of its profile\'s total; "time": milliseconds', 'share')
    .option('--hide-idle', 'leave out samples where the thread was idle (waiting, sleeping)')
    .option('--json', "print every function's before/after/delta/ratio as JSON")
    .addHelpText('after', EXAMPLES)
    .action(async (before: string, after: string, opts: DiffOptions) => {
      if (opts.normalize !== 'share' && opts.normalize !== 'time')
        throw usageError(`--normalize takes "share" or "time", not "${opts.normalize}"`);
      const profiles = [await loadForCli(before), await loadForCli(after)];
      const { compareFunctions, CompareError } = await import('../model/compare.js');
      let cmp;
      try {
        cmp = compareFunctions(profiles[0], profiles[1], { normalization: opts.normalize as Normalization, hideIdle: opts.hideIdle });
      } catch (err) {
        if (err instanceof CompareError) throw new CliError(err.message);
        throw err;
      }
      if (opts.json) {
        // JSON has no Infinity: a function new in "after" has ratio null.
        const functions = cmp.functions.map((f) => ({ ...f, ratio: Number.isFinite(f.ratio) ? f.ratio : null }));
        process.stdout.write(
          JSON.stringify(
            {
              before: { file: before, ...cmp.before },
              after: { file: after, ...cmp.after },
              normalization: cmp.normalization,
              unit: cmp.unit,
              functions,
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const { renderDiff } = await import('../report/diff.js');
      process.stdout.write(renderDiff(cmp, { top: opts.top, names: [basename(before), basename(after)] }, terminalStyle(process.stdout)));
    });
};
