/**
 * `pyrometer diff`: two profiles side by side, the functions whose self time
 * changed most first.
 *
 *   before   after   delta   ratio  function          file
 *    20.1%   40.3%  +20.2%   2.00x  slow_part         app.py
 */
import type { Comparison, FunctionChange } from '../model/compare.js';
import { displayWidth, ellipsize, formatNumber, padEnd, padStart, sanitize, type Style } from './text.js';

const GAP = '  ';

export function formatChangeValue(value: number, unit: Comparison['unit'], signed = false): string {
  const v = Math.abs(value);
  const text = unit === '%' ? `${v.toFixed(1)}%` : `${formatNumber(v, v >= 100 ? 0 : 1)} ms`;
  // A change that rounds to zero gets no sign.
  const sign = !signed || /^[0.]+(%| ms)$/.test(text) ? '' : value > 0 ? '+' : '−';
  return sign + text;
}

export function formatRatio(ratio: number): string {
  if (ratio === Infinity) return 'new';
  if (ratio === 0) return 'gone';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}x`;
}

export interface DiffTextOptions {
  top: number;
  names: [string, string];
  /** The transforms both sides went through, in words (none: the profiles as recorded). */
  transforms?: string[];
}

export function renderDiff(cmp: Comparison, options: DiffTextOptions, style: Style): string {
  const out: string[] = [];
  const how =
    cmp.normalization === 'share'
      ? "self time as a share of each profile's own total (--normalize time for milliseconds)"
      : 'self time in milliseconds';
  out.push(`${style.bold('before')} ${sanitize(options.names[0])} · ${style.bold('after')} ${sanitize(options.names[1])}`);
  out.push(style.dim(`Compared by ${how}; functions matched by name and file name.`));
  if (options.transforms && options.transforms.length > 0)
    out.push(style.dim(`Both profiles transformed: ${options.transforms.map(sanitize).join(' · ')}.`));
  const rows = cmp.functions.slice(0, options.top);
  if (rows.length === 0) {
    out.push('', 'Both profiles are empty: nothing to compare.');
    return out.join('\n') + '\n';
  }
  const cells = rows.map((f: FunctionChange) => ({
    before: formatChangeValue(f.beforeSelf, cmp.unit),
    after: formatChangeValue(f.afterSelf, cmp.unit),
    delta: formatChangeValue(f.delta, cmp.unit, true),
    ratio: f.beforeSelf === 0 && f.afterSelf === 0 ? '–' : formatRatio(f.ratio),
    name: sanitize(f.name),
    file: sanitize(f.file),
    grew: f.delta > 0,
  }));
  const w = (key: 'before' | 'after' | 'delta' | 'ratio', header: string) => Math.max(header.length, ...cells.map((c) => c[key].length));
  const [bw, aw, dw, rw] = [w('before', 'before'), w('after', 'after'), w('delta', 'delta'), w('ratio', 'ratio')];
  const fixed = bw + aw + dw + rw + 4 * GAP.length;
  const nameW = Math.max(12, Math.min(Math.max(8, ...cells.map((c) => displayWidth(c.name))), style.width - fixed - 14));
  out.push(
    '',
    style.bold(
      [padStart('before', bw), padStart('after', aw), padStart('delta', dw), padStart('ratio', rw), padEnd('function', nameW), 'file']
        .join(GAP)
        .trimEnd(),
    ),
  );
  for (const c of cells) {
    const delta = padStart(c.delta, dw);
    const line = [
      padStart(c.before, bw),
      padStart(c.after, aw),
      c.grew ? style.red(delta) : style.green(delta),
      padStart(c.ratio, rw),
      padEnd(ellipsize(c.name, nameW), nameW),
      style.dim(ellipsize(c.file, Math.max(8, style.width - fixed - nameW - GAP.length))),
    ].join(GAP);
    out.push(line.trimEnd());
  }
  const more = cmp.functions.length - rows.length;
  if (more > 0) out.push(style.dim(`… ${formatNumber(more)} more function${more === 1 ? '' : 's'} (--top N to list more)`));
  return out.join('\n') + '\n';
}
