/**
 * `pyrometer show FILE`: the profile as text — a flat table of functions by
 * default, the call tree with --tree (bottom-up with --inverted), per-line
 * costs with --lines, or all of it as JSON with --json.
 */
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import type { RegisterCommand } from './commands.js';
import { loadForCli } from './load.js';
import { addSelectionOptions, percentage, positiveInteger, resolveThreads } from './options.js';
import { terminalRows, terminalStyle } from './terminal.js';
import { usageError } from './errors.js';
import { renderFlat } from '../report/flat.js';
import { renderTree } from '../report/tree.js';
import { renderLines } from '../report/lines.js';
import { showJson } from '../report/json.js';
import { renderPypy } from '../report/pypy.js';

interface ShowOptions {
  top?: number;
  sort: string;
  tree?: boolean;
  inverted?: boolean;
  minPercent: number;
  depth?: number;
  lines?: boolean;
  pypy?: boolean;
  thread?: string[];
  hideIdle?: boolean;
  json?: boolean;
  format?: string;
  prune_percent?: number;
  prune_level?: number;
}

/** Source files for --lines, read once each; unreadable or huge files give null (the line then has no text). */
function sourceReader(): (file: string) => string[] | null {
  const cache = new Map<string, string[] | null>();
  return (file) => {
    let lines = cache.get(file);
    if (lines !== undefined) return lines;
    lines = null;
    try {
      if (statSync(file).size <= 8 * 1024 * 1024) lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      // Not on this machine (profiles travel): show the numbers without the text.
    }
    cache.set(file, lines);
    return lines;
  };
}

const EXAMPLES = `
Examples:
  $ pyrometer show out.prof                      the 20 functions with the most self time
  $ pyrometer show out.prof --top 50 --sort total
  $ pyrometer show out.prof --tree               call tree, branches under 1% hidden
  $ pyrometer show out.prof --tree --inverted --depth 4
                                                 who calls the hottest functions
  $ pyrometer show out.prof --lines              hottest lines (profile recorded with --lines)
  $ pyrometer show out.prof --pypy               per function: JIT code, interpreted, GC, JIT compiling, native
  $ pyrometer show out.prof --thread MainThread --hide-idle
  $ pyrometer show out.prof --json | jq '.functions[0]'
  $ pyrometer show out.prof tree --prune_percent 5  vmprofshow's spelling works too (tree, flat, lines)
`;

export const registerShow: RegisterCommand = (program: Command) => {
  const command = program
    .command('show')
    .description('print a profile in the terminal: top functions, call tree or hot lines')
    .argument('<file>', 'a profile file in any format pyrometer reads (gzip-compressed too)')
    .argument('[view]', "vmprofshow's spelling: flat (the default), tree (= --tree) or lines (= --lines)")
    .option('-n, --top <n>', 'how many functions to list (default: 20, fewer on a short terminal)', positiveInteger('--top'))
    .option('-s, --sort <column>', 'order the table by "self" or "total" time', 'self')
    .option('--tree', 'print the call tree instead of the table')
    .option('--inverted', 'bottom-up tree: where time was spent, then who called it (implies --tree)')
    .option('--min-percent <p>', 'in the tree, hide calls below this share of the total', percentage('--min-percent'), 1)
    .option('--depth <n>', 'in the tree, show at most this many levels', positiveInteger('--depth'))
    .option('--lines', 'per-line costs inside the hottest functions (needs a profile with line numbers)')
    .option(
      '--pypy',
      "where each function's time went: JIT code, interpreted, GC minor/major, JIT compiling, native (PyPy; with the PYPYLOG of record --pypylog)",
    )
    .option('--prune_percent <p>', "vmprofshow's spelling of --min-percent", percentage('--prune_percent'))
    .option('--prune_level <n>', "vmprofshow's spelling of --depth", positiveInteger('--prune_level'));
  addSelectionOptions(command)
    .option('--json', 'print a machine-readable summary instead (with the tree and lines when --tree / --lines are given)')
    .option('-f, --format <name>', 'read the file as this format instead of detecting it')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, view: string | undefined, opts: ShowOptions) => {
      if (view !== undefined && view !== 'flat' && view !== 'tree' && view !== 'lines') {
        throw usageError(`the view after the file is flat, tree or lines (as vmprofshow takes them), not "${view}"`);
      }
      if (view === 'tree') opts.tree = true;
      if (view === 'lines') opts.lines = true;
      if (opts.prune_percent !== undefined) opts.minPercent = opts.prune_percent;
      if (opts.prune_level !== undefined) opts.depth = opts.prune_level;
      if (opts.sort !== 'self' && opts.sort !== 'total') throw usageError(`--sort takes "self" or "total", not "${opts.sort}"`);
      const profile = await loadForCli(file, { format: opts.format });
      const threads = resolveThreads(profile, opts.thread);
      const wantTree = !!(opts.tree || opts.inverted);
      const treeOptions = { threads, hideIdle: opts.hideIdle, inverted: opts.inverted, minPercent: opts.minPercent, depth: opts.depth };
      if (opts.json) {
        const summary = showJson(profile, {
          threads,
          hideIdle: opts.hideIdle,
          top: opts.top ?? 20,
          sort: opts.sort as 'self' | 'total',
          tree: wantTree ? treeOptions : false,
          lines: opts.lines,
        });
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      const style = terminalStyle(process.stdout);
      const rows = terminalRows(process.stdout);
      const sections: string[] = [];
      if (wantTree) sections.push(renderTree(profile, treeOptions, style));
      if (opts.pypy) sections.push(renderPypy(profile, { threads, hideIdle: opts.hideIdle, top: opts.top ?? 20 }, style));
      if (opts.lines) {
        sections.push(renderLines(profile, { threads, hideIdle: opts.hideIdle, top: opts.top ?? 5, readSource: sourceReader() }, style));
      }
      if (sections.length === 0) {
        // Default length: 20, or what fits above the prompt on a short terminal.
        const top = opts.top ?? (rows !== undefined ? Math.max(5, Math.min(20, rows - 6)) : 20);
        sections.push(renderFlat(profile, { threads, hideIdle: opts.hideIdle, top, sort: opts.sort as 'self' | 'total' }, style));
      }
      process.stdout.write(sections.join('\n'));
    });
};
