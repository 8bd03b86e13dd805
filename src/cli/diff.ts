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
  $ pyrometer diff a.prof b.prof --transform focus:handle   both runs focused on handle()
  $ pyrometer diff a.prof b.prof --transform 'drop:warmup~stdlib'   the viewer's tf= syntax

Transforms (--transform, the syntax of the viewer's links, tf=): focus:F, merge:F, rec:F (collapse
recursion), drop:F, cat:C (only native, python, jit... frames), mod:FILE (collapse a module),
mcn:F.F.F (merge one call node), stdlib (hide the standard library). F is a function's name or its
number in AFTER; each transform applies to AFTER and, through the same name-and-file matching as
the table, to BEFORE.
`;

interface DiffOptions {
  top: number;
  normalize: string;
  hideIdle?: boolean;
  json?: boolean;
  transform?: string[];
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
    .option(
      '--transform <t>',
      "view both profiles through a transform, as in the viewer's link: focus:F, drop:F, merge:F... (repeat, or join with ~)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addHelpText('after', EXAMPLES)
    .action(async (before: string, after: string, opts: DiffOptions) => {
      if (opts.normalize !== 'share' && opts.normalize !== 'time')
        throw usageError(`--normalize takes "share" or "time", not "${opts.normalize}"`);
      const profiles = [await loadForCli(before), await loadForCli(after)];
      const { compareFunctions, CompareError } = await import('../model/compare.js');
      const { decodeTransforms, describeTransforms, toModelTransforms } = await import('../model/view-transforms.js');
      // Written against AFTER's functions, as the viewer's Compare view does (it shows AFTER).
      const { transforms, errors } = decodeTransforms((opts.transform ?? []).join('~'), profiles[1]);
      if (errors.length > 0) throw usageError(`--transform: ${errors[0].message} in ${basename(after)}`);
      const applied = describeTransforms(profiles[1], transforms);
      let cmp;
      try {
        cmp = compareFunctions(profiles[0], profiles[1], {
          normalization: opts.normalize as Normalization,
          hideIdle: opts.hideIdle,
          transforms: toModelTransforms(transforms),
        });
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
              transforms: applied,
              functions,
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const { renderDiff } = await import('../report/diff.js');
      process.stdout.write(
        renderDiff(
          cmp,
          { top: opts.top, names: [basename(before), basename(after)], transforms: applied.map((t) => t.label) },
          terminalStyle(process.stdout),
        ),
      );
    });
};
