/**
 * `pyrometer show FILE`: the profile as text — a flat table of functions by
 * default, the call tree with --tree (bottom-up with --inverted), per-line
 * costs with --lines, or all of it as JSON with --json.
 */
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import type { RegisterCommand } from './commands.js';
import { loadForCli } from './load.js';
import { addSelectionOptions, integerIn, percentage, positiveInteger, resolveThreads } from './options.js';
import { terminalRows, terminalStyle } from './terminal.js';
import { usageError } from './errors.js';
import { renderFlat } from '../report/flat.js';
import { renderTree } from '../report/tree.js';
import { renderTreeHtml } from '../report/tree-html.js';
import { renderLines } from '../report/lines.js';
import { showJson } from '../report/json.js';
import { renderPypy } from '../report/pypy.js';
import { renderMemory } from '../report/memory.js';
import { CATEGORY_NATIVE, type Profile } from '../model/profile.js';
import { mergeCategory } from '../model/transforms.js';
import { allocationMeasures, allocationProfile, weighByAllocation, type AllocationMeasure } from '../model/allocations.js';

interface ShowOptions {
  top?: number;
  sort: string;
  includeCallees?: boolean;
  native?: boolean;
  percentCutoff?: number;
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
  indent?: number;
  html?: boolean;
  filter?: string;
  traces?: boolean;
  trace?: number;
  alloc?: string | boolean;
  memory?: boolean;
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

/** The allocation samples of a recording, weighted by objects or bytes (the measure it has when none is named). */
function allocationView(profile: Profile, file: string, measure: string | undefined): Profile {
  const alloc = allocationProfile(profile);
  if (!alloc) throw usageError(`${file} has no allocation samples: record with --alloc (they are in OUT.alloc beside the profile)`);
  const measures = allocationMeasures(alloc);
  if (measure !== undefined && measure !== 'objects' && measure !== 'bytes')
    throw usageError(`--alloc takes "objects" or "bytes", not "${measure}"`);
  const chosen = (measure as AllocationMeasure | undefined) ?? measures[0] ?? 'objects';
  if (!measures.includes(chosen))
    throw usageError(
      `${file}: this recording's allocation samples have no ${chosen} (${alloc.meta.extra.source ?? 'its source'} counts ${measures.join(' and ') || 'nothing'})`,
    );
  return weighByAllocation(alloc, chosen);
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
  $ pyrometer show out.prof --alloc              functions that allocated most (recorded with --alloc)
  $ pyrometer show out.prof --alloc bytes --tree
  $ pyrometer show out.prof --memory             lines and functions that grew memory (recorded with --mem --lines)
  $ pyrometer show out.prof tree --prune_percent 5  vmprofshow's spelling works too (tree, flat, lines)
  $ pyrometer show out.prof tree --html > tree.html  the tree as a page of folding sections
  $ pyrometer show out.prof tree --indent 4       4 columns per tree level
  $ pyrometer show out.prof lines --filter parse  line costs of functions whose name or file has "parse"
  $ pyrometer show out.prof --traces             PyPy: JIT traces (out.prof.jit beside it) by time in them
  $ pyrometer show out.prof.jit                  the traces of a JIT log alone, by entry count
  $ pyrometer show out.prof --trace 4            one trace's operations with their source lines
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
    .option('--indent <n>', 'in the tree, columns per level, 1 to 8 (default 3; vmprofshow: 0 is the default)', integerIn('--indent', 0, 8))
    .option('--html', 'print the tree as an HTML page of folding sections (implies --tree; vmprofshow tree --html)')
    .option('--filter <text>', 'with --lines: only functions whose name or file contains the text (implies --lines)')
    .option(
      '--pypy',
      "where each function's time went: JIT code, interpreted, GC minor/major, JIT compiling, native (PyPy; with the PYPYLOG of record --pypylog)",
    )
    .option('--alloc [measure]', 'where the program allocated (a recording made with --alloc): by "objects" (default) or "bytes"')
    .option('--memory', 'where memory (RSS) grew and shrank, by function and by line (a recording made with --mem)')
    .option('--prune_percent <p>', "vmprofshow's spelling of --min-percent", percentage('--prune_percent'))
    .option('--prune_level <n>', "vmprofshow's: show the root and n levels below it (0: no limit)", integerIn('--prune_level', 0, 1000))
    .option('--include-callees', "vmprofshow flat's: order functions by their total time, callees included (= --sort total)")
    .option('--no-native', "vmprofshow flat's: native (C) frames' time goes to the Python function that called them")
    .option('--percent-cutoff <p>', "vmprofshow flat's: leave out functions below this share of the time", percentage('--percent-cutoff'))
    .option('--traces', 'PyPy: list the JIT traces (from the jitlog beside the profile) by the time spent in their machine code')
    .option(
      '--trace <id>',
      "PyPy: one JIT trace's operations under their source lines (an id from --traces)",
      integerIn('--trace', 0, Number.MAX_SAFE_INTEGER),
    );
  addSelectionOptions(command)
    .option('--json', 'print a machine-readable summary instead (with the tree and lines when --tree / --lines are given)')
    .option('-f, --format <name>', 'read the file as this format instead of detecting it')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, view: string | undefined, opts: ShowOptions) => {
      if (view !== undefined && view !== 'flat' && view !== 'tree' && view !== 'lines') {
        throw usageError(`the view after the file is flat, tree or lines (as vmprofshow takes them), not "${view}"`);
      }
      if (view === 'tree' || opts.html) opts.tree = true;
      if (view === 'lines' || opts.filter !== undefined) opts.lines = true;
      if (opts.html && opts.json) throw usageError('--html and --json are two different outputs: give one');
      if (opts.html && opts.lines) throw usageError('--html prints the tree only: leave out --lines / --filter');
      if (opts.prune_percent !== undefined) opts.minPercent = opts.prune_percent;
      // vmprofshow prints the root (level 0) and prune_level levels below it; 0 means no limit there
      if (opts.prune_level !== undefined) opts.depth = opts.prune_level === 0 ? undefined : opts.prune_level + 1;
      // vmprofshow takes 0 for its default indentation
      if (opts.indent === 0) opts.indent = undefined;
      if (opts.includeCallees) opts.sort = 'total';
      if (opts.sort !== 'self' && opts.sort !== 'total') throw usageError(`--sort takes "self" or "total", not "${opts.sort}"`);
      let profile = await loadForCli(file, { format: opts.format });
      // A JIT log read alone has traces and no samples: its traces are what there is to show.
      if (profile.meta.format === 'jitlog' && !opts.tree && !opts.inverted && !opts.lines) opts.traces = true;
      if (opts.trace !== undefined) {
        const { renderTrace, traceJson, hasTraces, NO_JITLOG } = await import('../report/traces.js');
        if (!hasTraces(profile)) throw usageError(NO_JITLOG);
        const json = opts.json ? traceJson(profile, opts.trace) : null;
        const text = opts.json
          ? json && JSON.stringify(json, null, 2) + '\n'
          : renderTrace(profile, opts.trace, terminalStyle(process.stdout));
        if (text === null) throw usageError(`the JIT log has no trace ${opts.trace} (pyrometer show ${file} --traces lists them)`);
        process.stdout.write(text);
        return;
      }
      if (opts.traces) {
        const { renderTraces, tracesJson, NO_JITLOG } = await import('../report/traces.js');
        if (opts.json) {
          const json = tracesJson(profile, { top: opts.top ?? 20 });
          if (json === null) throw usageError(NO_JITLOG);
          process.stdout.write(JSON.stringify(json, null, 2) + '\n');
        } else {
          const rows = terminalRows(process.stdout);
          const top = opts.top ?? (rows !== undefined ? Math.max(5, Math.min(20, rows - 8)) : 20);
          process.stdout.write(renderTraces(profile, { top }, terminalStyle(process.stdout)));
        }
        return;
      }
      if (opts.alloc !== undefined) profile = allocationView(profile, file, typeof opts.alloc === 'string' ? opts.alloc : undefined);
      // commander's --no-native sets native: false (true by default)
      if (opts.native === false) profile = mergeCategory(profile, CATEGORY_NATIVE);
      const threads = resolveThreads(profile, opts.thread);
      const wantTree = !!(opts.tree || opts.inverted);
      const treeOptions = {
        threads,
        hideIdle: opts.hideIdle,
        inverted: opts.inverted,
        minPercent: opts.minPercent,
        depth: opts.depth,
        indent: opts.indent,
      };
      if (opts.json) {
        const summary = showJson(profile, {
          threads,
          hideIdle: opts.hideIdle,
          top: opts.top ?? 20,
          sort: opts.sort as 'self' | 'total',
          tree: wantTree ? treeOptions : false,
          lines: opts.lines,
          filter: opts.filter,
        });
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      const style = terminalStyle(process.stdout);
      if (opts.html) {
        process.stdout.write(renderTreeHtml(profile, treeOptions, style.home, style.cwd));
        return;
      }
      const rows = terminalRows(process.stdout);
      const sections: string[] = [];
      if (wantTree) sections.push(renderTree(profile, treeOptions, style));
      if (opts.pypy) sections.push(renderPypy(profile, { threads, hideIdle: opts.hideIdle, top: opts.top ?? 20 }, style));
      if (opts.lines) {
        sections.push(
          renderLines(
            profile,
            { threads, hideIdle: opts.hideIdle, top: opts.top ?? 5, readSource: sourceReader(), filter: opts.filter },
            style,
          ),
        );
      }
      if (opts.memory) sections.push(renderMemory(profile, { threads, top: opts.top, readSource: sourceReader() }, style));
      if (sections.length === 0) {
        // Default length: 20, or what fits above the prompt on a short terminal.
        const top = opts.top ?? (rows !== undefined ? Math.max(5, Math.min(20, rows - 6)) : 20);
        sections.push(
          renderFlat(
            profile,
            { threads, hideIdle: opts.hideIdle, top, sort: opts.sort as 'self' | 'total', minPercent: opts.percentCutoff },
            style,
          ),
        );
      }
      process.stdout.write(sections.join('\n'));
    });
};
