/**
 * `pyrometer show FILE tree --html` (vmprofshow's `tree --html`): the call tree as one small HTML
 * page of nested `<details>` elements that open and close by click, no script. Each summary is a
 * node's total and self share, its name and where it is. The same pruning as the text tree
 * (--min-percent / --prune_percent, --depth / --prune_level); nodes of at least OPEN_PERCENT of
 * the total start open, so the hot paths show at once.
 */
import type { Profile } from '../model/profile.js';
import { displayName, emptyMessage, PathShortener, select } from './common.js';
import { formatPercent, formatNumber } from './text.js';
import { buildTree, treeLines, type TreeOptions } from './tree.js';

const OPEN_PERCENT = 5;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderTreeHtml(profile: Profile, options: TreeOptions, home = '', cwd = ''): string {
  const selected = select(profile, options);
  const tree = buildTree(profile, selected, options.inverted);
  const lines = treeLines(tree, options);
  const paths = new PathShortener(
    profile,
    lines.filter((l) => l.node >= 0).map((l) => tree.func[l.node]),
    home,
    cwd,
  );
  const title = `${profile.meta.format} ${options.inverted ? 'inverted call tree' : 'call tree'}`;
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>',
    '  body { font: 13px/1.5 ui-monospace, monospace; margin: 1em; }',
    '  details details { margin-left: 2em; }',
    '  summary { white-space: pre; cursor: pointer; }',
    '  .leaf > summary { list-style: none; padding-left: 1em; }',
    '  .pct { display: inline-block; width: 5.5em; text-align: right; }',
    '  .self { color: #777; }',
    '  .where { color: #777; margin-left: 1em; }',
    '</style>',
    '<body>',
  ];
  if (paths.common) out.push(`<p>paths relative to ${escapeHtml(paths.common)}</p>`);
  if (tree.rootTotal <= 0) {
    out.push(`<p>${escapeHtml(emptyMessage(profile, options))}</p>`, '</body>', '</html>');
    return out.join('\n') + '\n';
  }
  const total = tree.rootTotal;
  out.push(`<p>${formatNumber(total)} ${escapeHtml(profile.meta.weightUnit)} in total · total share, self share, function, place</p>`);
  let open = 0; // <details> not closed yet
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    while (open > line.depth) {
      out.push('</details>');
      open--;
    }
    const hasChildren = i + 1 < lines.length && lines[i + 1].depth > line.depth;
    if (line.node < 0) {
      const text = `… ${formatNumber(line.hiddenCount)} more below ${options.minPercent ?? 1}%`;
      out.push(
        `<details class="leaf"><summary><span class="pct">${escapeHtml(formatPercent(line.hiddenTotal, total))}</span><span class="pct"></span>  ${escapeHtml(text)}</summary></details>`,
      );
      continue;
    }
    const node = line.node;
    const func = tree.func[node];
    const where = paths.location(func);
    const openAttr = hasChildren && (100 * tree.total[node]) / total >= OPEN_PERCENT ? ' open' : '';
    const selfText = options.inverted && line.depth > 0 ? '' : formatPercent(tree.self[node], total);
    out.push(
      `<details${hasChildren ? '' : ' class="leaf"'}${openAttr}><summary>` +
        `<span class="pct">${escapeHtml(formatPercent(tree.total[node], total))}</span><span class="pct self">${escapeHtml(selfText)}</span>  ` +
        `<b>${escapeHtml(displayName(profile, func))}${line.truncated ? ' …' : ''}</b>` +
        (where ? `<span class="where">${escapeHtml(where)}</span>` : '') +
        '</summary>',
    );
    open++;
  }
  while (open-- > 0) out.push('</details>');
  out.push('</body>', '</html>');
  return out.join('\n') + '\n';
}
