/**
 * `pyrometer show --pypy`: where each function's time went (model/time-split.ts), hottest
 * functions by total time first.
 *
 *   total  JIT code  interpreted  GC minor  GC major  JIT compiling  function  location
 *   95.0%     61.2%        20.1%      8.4%      3.1%           2.2%  spin      gc.py:5
 *
 * Each class column is the share of the function's own total time, so a row sums to 100%
 * (the total column is the function's share of the run). Only classes that took any time
 * get a column. A line above says where the phases came from and how they were timed.
 */
import { functionTable, functionsByCost } from '../model/analysis.js';
import type { Profile } from '../model/profile.js';
import {
  functionTimeSplit,
  stackTimeSplit,
  TIME_CLASS_COUNT,
  TIME_CLASS_LABELS,
  TIME_CLASSES,
  totalTimeSplit,
} from '../model/time-split.js';
import { caveatLines, displayName, emptyMessage, headerLine, PathShortener, select, type Selection } from './common.js';
import { displayWidth, ellipsize, ellipsizePath, formatPercent, padEnd, padStart, type Style } from './text.js';

export interface PypyOptions extends Selection {
  top?: number;
}

const GAP = '  ';

/** How the PyPy log's phases were put on the profile's clock, for the note above the table. */
export function phaseTimingNote(profile: Profile): string {
  const timing = profile.attachments.pypylogTiming as { source?: string } | undefined;
  const hasPhases = profile.threads.some((t) => t.markers.length > 0);
  if (!hasPhases) return 'no PyPy log beside this profile: GC and compiling come from the stacks only (record with --pypylog)';
  if (timing?.source === 'clock') return 'PyPy log phases at their real times (clocks recorded with the profile)';
  if (timing?.source === 'span') return "PyPy log phases at approximate times (the log's span stretched over the run)";
  return 'phases from the profile';
}

export function renderPypy(profile: Profile, options: PypyOptions, style: Style): string {
  const selected = select(profile, options);
  const out: string[] = [headerLine(profile, selected, style)];
  out.push(...caveatLines(profile, style));
  if (selected.total <= 0) {
    out.push('', emptyMessage(profile, options));
    return out.join('\n') + '\n';
  }
  const split = stackTimeSplit(profile, { threads: selected.threads, hideIdle: options.hideIdle });
  const perFunc = functionTimeSplit(profile, split);
  const totals = totalTimeSplit(split);
  const costs = functionTable(profile, selected.weights);
  const shown = TIME_CLASSES.map((_, c) => c).filter((c) => totals[c] > 0);
  out.push(style.dim(phaseTimingNote(profile)));
  out.push(
    'whole run: ' + shown.map((c) => `${TIME_CLASS_LABELS[TIME_CLASSES[c]]} ${formatPercent(totals[c], selected.total)}`).join(' · '),
  );
  const order = functionsByCost(costs.total).slice(0, Math.max(1, options.top ?? 20));
  const paths = new PathShortener(profile, order, style.home, style.cwd);
  if (paths.common) out.push(paths.note(style));
  const headers = ['total', ...shown.map((c) => TIME_CLASS_LABELS[TIME_CLASSES[c]])];
  const rows = order.map((f) => [
    formatPercent(costs.total[f], selected.total),
    ...shown.map((c) => formatPercent(perFunc[f * TIME_CLASS_COUNT + c], costs.total[f])),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fixed = widths.reduce((a, b) => a + b + GAP.length, 0);
  const names = order.map((f) => displayName(profile, f));
  const nameW = Math.max(8, Math.min(Math.max('function'.length, ...names.map(displayWidth)), style.width - fixed - 14));
  const locW = Math.max(0, style.width - fixed - nameW - GAP.length);
  out.push(
    '',
    style.bold((headers.map((h, i) => padStart(h, widths[i])).join(GAP) + GAP + padEnd('function', nameW) + GAP + 'location').trimEnd()),
  );
  order.forEach((f, k) => {
    const cells = rows[k].map((cell, i) => padStart(cell, widths[i])).join(GAP);
    const location = paths.location(f);
    const loc = locW > 0 && location ? GAP + style.dim(ellipsizePath(location, locW)) : '';
    out.push((cells + GAP + padEnd(ellipsize(names[k], nameW), nameW) + loc).trimEnd());
  });
  return out.join('\n') + '\n';
}
