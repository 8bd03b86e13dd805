/**
 * `pyrometer show`: the flat table of functions, hottest first.
 *
 *    self   total  samples  function                      location
 *   41.2%   41.2%    5,012  is_prime                      primes.py:4
 *
 * Fixed numeric columns on the left, the name and location share the rest of
 * the width (water-filled, long names cut in the middle). The location column
 * is dropped before a name gets narrower than a readable minimum.
 */
import { functionTable, functionsByCost } from '../model/analysis.js';
import type { Profile } from '../model/profile.js';
import {
  caveatLines,
  emptyMessage,
  displayName,
  formatWeight,
  unitLabel,
  headerLine,
  PathShortener,
  select,
  type Selected,
  type Selection,
} from './common.js';
import {
  displayWidth,
  ellipsize,
  ellipsizePath,
  formatNumber,
  formatPercent,
  heat,
  padEnd,
  padStart,
  splitNameLocation,
  type Style,
} from './text.js';

export interface FlatOptions extends Selection {
  /** How many functions to list (default 20). */
  top?: number;
  /** Order by self (default) or total weight. */
  sort?: 'self' | 'total';
  /** Leave out functions whose ordering cost is below this share of the total (vmprofshow's --percent-cutoff). */
  minPercent?: number;
}

export interface FlatRow {
  func: number;
  self: number;
  total: number;
}

/** The rows of the flat table, before any formatting (also used by --json). */
export function flatRows(profile: Profile, selected: Selected, options: FlatOptions = {}): { rows: FlatRow[]; more: number } {
  const costs = functionTable(profile, selected.weights);
  const [primary, secondary] = options.sort === 'total' ? [costs.total, costs.self] : [costs.self, costs.total];
  // Every function that was on a stack, so callers with no self time (main) still show, last.
  let order = functionsByCost(costs.total).sort((a, b) => primary[b] - primary[a] || secondary[b] - secondary[a] || a - b);
  const cutoff = options.minPercent ?? 0;
  if (cutoff > 0) order = order.filter((f) => 100 * primary[f] >= cutoff * selected.total);
  const top = Math.max(1, options.top ?? 20);
  const rows = order.slice(0, top).map((func) => ({ func, self: costs.self[func], total: costs.total[func] }));
  return { rows, more: order.length - rows.length };
}

const GAP = '  ';
const NAME_MIN = 16;
const LOCATION_MIN = 12;

export function renderFlat(profile: Profile, options: FlatOptions, style: Style): string {
  const selected = select(profile, options);
  const out: string[] = [];
  const paths = new PathShortener(
    profile,
    flatRows(profile, selected, options).rows.map((r) => r.func),
    style.home,
    style.cwd,
  );
  out.push(headerLine(profile, selected, style));
  if (paths.common) out.push(paths.note(style));
  out.push(...caveatLines(profile, style));
  if (selected.total <= 0) {
    out.push('', emptyMessage(profile, options));
    return out.join('\n') + '\n';
  }
  const { rows, more } = flatRows(profile, selected, options);
  const unit = profile.meta.weightUnit;
  const countHeader = unitLabel(unit);
  const cells = rows.map((r) => ({
    self: formatPercent(r.self, selected.total),
    total: formatPercent(r.total, selected.total),
    count: formatWeight(options.sort === 'total' ? r.total : r.self, unit),
    name: displayName(profile, r.func),
    location: paths.location(r.func),
    selfPercent: (100 * r.self) / selected.total,
    totalPercent: (100 * r.total) / selected.total,
  }));
  const selfW = Math.max(4, ...cells.map((c) => c.self.length));
  const totalW = Math.max(5, ...cells.map((c) => c.total.length));
  const countW = Math.max(countHeader.length, ...cells.map((c) => c.count.length));
  const fixed = selfW + totalW + countW + 3 * GAP.length;
  const nameNatural = Math.max('function'.length, ...cells.map((c) => displayWidth(c.name)));
  const locNatural = Math.max(0, ...cells.map((c) => displayWidth(c.location)));
  const room = Math.max(8, style.width - fixed);
  // Too narrow for both: the name matters more, the location column goes.
  const [nameW, locW] = splitNameLocation(nameNatural, locNatural, room - GAP.length, NAME_MIN, LOCATION_MIN);
  const showLocation = locW > 0;

  const header =
    padStart('self', selfW) +
    GAP +
    padStart('total', totalW) +
    GAP +
    padStart(countHeader, countW) +
    GAP +
    (showLocation ? padEnd('function', nameW) + GAP + 'location' : 'function');
  out.push('', style.bold(header.trimEnd()));
  for (const c of cells) {
    const name = ellipsize(c.name, nameW);
    let line =
      heat(style, padStart(c.self, selfW), c.selfPercent) +
      GAP +
      heat(style, padStart(c.total, totalW), c.totalPercent) +
      GAP +
      padStart(c.count, countW) +
      GAP;
    if (showLocation && c.location) {
      // Paths lose their middle too, but keep more of the end (the file name and line).
      line += padEnd(name, nameW) + GAP + style.dim(ellipsizePath(c.location, locW));
    } else {
      line += name;
    }
    out.push(line.trimEnd());
  }
  if (more > 0) out.push(style.dim(`… ${formatNumber(more)} more function${more === 1 ? '' : 's'} (--top N to list more)`));
  return out.join('\n') + '\n';
}
