/**
 * `pyrometer show --json`: the same numbers as the terminal reports, for
 * scripts. Names are left as they are (JSON escapes control characters
 * itself). The tree is a flat node list with parent ids — never nested
 * objects, which would make a 10,000-deep profile a 10,000-deep JSON document.
 */
import type { Profile } from '../model/profile.js';
import { funcFile, funcName, funcKind } from '../model/profile.js';
import { select, type Selection } from './common.js';
import { flatRows, type FlatOptions } from './flat.js';
import { profileFacts, type ProfileFacts } from './info.js';
import { buildTree, treeLines, type TreeOptions } from './tree.js';
import { hasLineData, hotLineFunctions } from './lines.js';
import {
  callTreeTimeSplit,
  functionTimeSplit,
  invertedTreeTimeSplit,
  splitRecord,
  stackTimeSplit,
  TIME_CLASS_LABELS,
  totalTimeSplit,
  type TimeClass,
} from '../model/time-split.js';
import { phaseTimingNote } from './pypy.js';
import { lineMetrics, rowsByMetric, type LineMetricColumn } from '../model/line-metrics.js';

export interface ShowJson {
  meta: Omit<ProfileFacts, 'threads'>;
  totals: { samples: number; weight: number; weightUnit: string; durationMs: number };
  threads: { index: number; id: string; name: string; samples: number; selected: boolean }[];
  functions: {
    name: string;
    file: string;
    line: number;
    kind: string;
    self: number;
    total: number;
    selfPercent: number;
    totalPercent: number;
    /** Where the function's total time went (model/time-split.ts): the non-zero classes, summing to `total`. */
    split: Partial<Record<TimeClass, number>>;
  }[];
  moreFunctions: number;
  /** The split of the selected time into JIT code, interpreted, GC, JIT compiling, native, idle, other. */
  timeSplit: { labels: Record<TimeClass, string>; totals: Partial<Record<TimeClass, number>>; phases: string };
  /** With `lines`: per-line costs of the hottest functions; null when the profile has no line numbers. */
  lines?:
    | { name: string; file: string; line: number; self: number; total: number; lines: { line: number; self: number; total: number }[] }[]
    | null;
  /**
   * Costs measured per line besides the samples (Scalene's memory: model/line-metrics.ts), present
   * when the profile has them: every measured line, by the first column (MB allocated) largest first.
   */
  lineMetrics?: {
    columns: LineMetricColumn[];
    lines: { name: string; file: string; line: number; values: Record<string, number> }[];
  };
  tree?: {
    inverted: boolean;
    minPercent: number;
    nodes: {
      id: number;
      parent: number;
      depth: number;
      name: string;
      file: string;
      line: number;
      self: number;
      total: number;
      /** Where the node's total went, as for functions (top-down and inverted trees). */
      split: Partial<Record<TimeClass, number>>;
    }[];
  };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function showJson(
  profile: Profile,
  options: FlatOptions & { tree?: TreeOptions | false; lines?: boolean; filter?: string },
): ShowJson {
  const selection: Selection = { threads: options.threads, hideIdle: options.hideIdle };
  const selected = select(profile, selection);
  const facts = profileFacts(profile);
  const { threads: _threads, ...meta } = facts;
  void _threads;
  const { rows, more } = flatRows(profile, selected, options);
  const total = selected.total;
  const pct = (x: number) => (total > 0 ? round((100 * x) / total) : 0);
  const split = stackTimeSplit(profile, { threads: selected.threads, hideIdle: options.hideIdle });
  const perFunc = functionTimeSplit(profile, split);
  const result: ShowJson = {
    meta,
    totals: { samples: selected.samples, weight: total, weightUnit: profile.meta.weightUnit, durationMs: facts.durationMs },
    threads: profile.threads.map((t, index) => ({
      index,
      id: t.id,
      name: t.name,
      samples: t.samples.length,
      selected: selected.threads.includes(index),
    })),
    functions: rows.map((r) => ({
      name: funcName(profile, r.func),
      file: funcFile(profile, r.func),
      line: profile.funcs.line[r.func],
      kind: funcKind(profile, r.func),
      self: r.self,
      total: r.total,
      selfPercent: pct(r.self),
      totalPercent: pct(r.total),
      split: splitRecord(perFunc, r.func),
    })),
    moreFunctions: more,
    timeSplit: { labels: TIME_CLASS_LABELS, totals: splitRecord(totalTimeSplit(split), 0), phases: phaseTimingNote(profile) },
  };
  if (options.lines) {
    if (!hasLineData(profile)) result.lines = null;
    else {
      const { costs, perLine, hot } = hotLineFunctions(profile, selected.weights, options.top ?? 5, options.filter);
      result.lines = hot.map((f) => ({
        name: funcName(profile, f),
        file: funcFile(profile, f),
        line: profile.funcs.line[f],
        self: costs.self[f],
        total: costs.total[f],
        lines: [...perLine.get(f)!.entries()]
          .filter(([, c]) => c.total > 0)
          .sort((a, b) => a[0] - b[0])
          .map(([line, c]) => ({ line, self: c.self, total: c.total })),
      }));
    }
  }
  const metrics = lineMetrics(profile);
  if (metrics) {
    result.lineMetrics = {
      columns: metrics.columns,
      lines: rowsByMetric(metrics, 0).map((r) => ({
        name: funcName(profile, metrics.func[r]),
        file: funcFile(profile, metrics.func[r]),
        line: metrics.line[r],
        values: Object.fromEntries(metrics.columns.map((c, k) => [c.key, metrics.values[k][r]])),
      })),
    };
  }
  if (options.tree) {
    const tree = buildTree(profile, selected, options.tree.inverted);
    const perNode = options.tree.inverted ? invertedTreeTimeSplit(profile, tree, split) : callTreeTimeSplit(tree, split);
    const lines = treeLines(tree, options.tree);
    const idOf = new Map<number, number>();
    const nodes: NonNullable<ShowJson['tree']>['nodes'] = [];
    for (const line of lines) {
      if (line.node < 0) continue;
      const n = line.node;
      const f = tree.func[n];
      idOf.set(n, nodes.length);
      const parent = tree.parent[n];
      nodes.push({
        id: nodes.length,
        parent: parent < 0 ? -1 : (idOf.get(parent) ?? -1),
        depth: line.depth,
        name: funcName(profile, f),
        file: funcFile(profile, f),
        line: profile.funcs.line[f],
        self: tree.self[n],
        total: tree.total[n],
        split: splitRecord(perNode, n),
      });
    }
    result.tree = { inverted: !!options.tree.inverted, minPercent: options.tree.minPercent ?? 1, nodes };
  }
  return result;
}
