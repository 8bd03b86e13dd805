/**
 * `pyrometer show --tree`: the call tree as indented text.
 *
 *    total    self
 *   100.0%    0.0%  <module>  primes.py:1
 *    98.7%    1.2%  └─ main  primes.py:20
 *    61.0%   61.0%     ├─ is_prime  primes.py:4
 *     0.9%               └─ … 4 more below 1%
 *
 * The walk is an explicit stack, never recursion: a 10,000-deep recursive
 * program prints 10,000 lines, not a stack overflow. Indentation stops growing
 * once it would eat the name's room; deeper lines then start with a marker of
 * how many levels are hidden on the left ("+123").
 */
import { callTreeBottomUp, callTreeTopDown, type CallTree } from '../model/analysis.js';
import type { Profile } from '../model/profile.js';
import { caveatLines, emptyMessage, displayName, headerLine, PathShortener, select, type Selected, type Selection } from './common.js';
import { displayWidth, ellipsize, ellipsizePath, formatNumber, formatPercent, heat, padStart, type Style } from './text.js';

export interface TreeOptions extends Selection {
  /** Bottom-up: roots are where time was spent, children are their callers. */
  inverted?: boolean;
  /** Hide nodes below this share of the total (percent, default 1). */
  minPercent?: number;
  /** Show this many levels (roots are level 1); unlimited when absent. */
  depth?: number;
  /** Columns per level of the tree's guides (1–8, default 3: `├─ `); vmprofshow's --indent. */
  indent?: number;
}

/** The guides in front of a line: `│  ` for each open level above, then `├─ ` or `└─ `, `indent` columns each. */
export function treeGuides(lastAt: readonly boolean[], first: number, depth: number, last: boolean, indent = 3): string {
  const pad = (lead: string, fill: string) => lead + fill.repeat(Math.max(0, indent - 2)) + (indent >= 2 ? ' ' : '');
  let guides = '';
  for (let d = first; d < depth; d++) guides += lastAt[d] ? ' '.repeat(indent) : pad('│', ' ');
  return guides + pad(last ? '└' : '├', '─');
}

/** One visible line of the tree: a node, or a summary of the children too small to show. */
export interface TreeLine {
  node: number; // -1 for a "… N more" line
  depth: number;
  /** True when this is the last line among its siblings (for └─ versus ├─). */
  last: boolean;
  /** For a "… N more" line: how many nodes and their summed total. */
  hiddenCount: number;
  hiddenTotal: number;
  /** True when the node has visible-size children that --depth cut off. */
  truncated: boolean;
}

export function buildTree(profile: Profile, selected: Selected, inverted = false): CallTree {
  return inverted ? callTreeBottomUp(profile, selected.weights) : callTreeTopDown(profile, selected.weights);
}

/** The lines to print, in order, after pruning by size and depth. Iterative. */
export function treeLines(tree: CallTree, options: TreeOptions = {}): TreeLine[] {
  const threshold = (tree.rootTotal * (options.minPercent ?? 1)) / 100;
  const maxDepth = options.depth !== undefined && options.depth > 0 ? options.depth : Infinity;
  const lines: TreeLine[] = [];
  // How many children of `node` are at or above the threshold (children are sorted by total, heaviest first).
  const visibleChildren = (node: number): number => {
    const start = tree.childStart[node];
    const count = tree.childCount[node];
    let k = 0;
    while (k < count && tree.total[tree.children[start + k]] >= threshold && tree.total[tree.children[start + k]] > 0) k++;
    return k;
  };
  type Work = { node: number; depth: number; last: boolean; hiddenCount: number; hiddenTotal: number };
  const work: Work[] = [];
  const pushSiblings = (nodes: ArrayLike<number>, count: number, depth: number) => {
    const visible: number[] = [];
    let hiddenTotal = 0;
    for (let k = 0; k < count; k++) {
      const n = nodes[k];
      if (visible.length === k && tree.total[n] >= threshold && tree.total[n] > 0) visible.push(n);
      else hiddenTotal += tree.total[n];
    }
    const hiddenCount = count - visible.length;
    if (hiddenCount > 0) work.push({ node: -1, depth, last: true, hiddenCount, hiddenTotal });
    for (let k = visible.length - 1; k >= 0; k--) {
      work.push({ node: visible[k], depth, last: k === visible.length - 1 && hiddenCount === 0, hiddenCount: 0, hiddenTotal: 0 });
    }
  };
  pushSiblings(tree.roots, tree.roots.length, 0);
  while (work.length > 0) {
    const w = work.pop()!;
    if (w.node < 0) {
      lines.push({ node: -1, depth: w.depth, last: true, hiddenCount: w.hiddenCount, hiddenTotal: w.hiddenTotal, truncated: false });
      continue;
    }
    const kids = tree.childCount[w.node];
    const atLimit = w.depth + 1 >= maxDepth;
    lines.push({
      node: w.node,
      depth: w.depth,
      last: w.last,
      hiddenCount: 0,
      hiddenTotal: 0,
      truncated: atLimit && kids > 0 && visibleChildren(w.node) > 0,
    });
    if (atLimit || kids === 0) continue;
    pushSiblings(tree.children.subarray(tree.childStart[w.node]), kids, w.depth + 1);
  }
  return lines;
}

const GAP = '  ';

export function renderTree(profile: Profile, options: TreeOptions, style: Style): string {
  const selected = select(profile, options);
  const tree = buildTree(profile, selected, options.inverted);
  const lines = treeLines(tree, options);
  const shownFuncs = lines.filter((l) => l.node >= 0).map((l) => tree.func[l.node]);
  const paths = new PathShortener(profile, shownFuncs, style.home, style.cwd);
  const out: string[] = [headerLine(profile, selected, style, [options.inverted ? 'inverted (callers below)' : 'call tree'])];
  if (paths.common) out.push(paths.note(style));
  out.push(...caveatLines(profile, style));
  if (tree.rootTotal <= 0) {
    out.push('', emptyMessage(profile, options));
    return out.join('\n') + '\n';
  }
  const total = tree.rootTotal;
  const pctW = 6;
  out.push('', style.bold(padStart('total', pctW) + GAP + padStart('self', pctW)));
  // Room for the guides: leave at least ~24 columns for the name.
  const fixed = pctW * 2 + GAP.length * 2;
  const indent = options.indent ?? 3;
  const maxLevels = Math.max(2, Math.floor((style.width - fixed - 24) / indent));
  // lastAt[d]: whether the most recent line at depth d was the last of its siblings.
  const lastAt: boolean[] = [];
  for (const line of lines) {
    lastAt[line.depth] = line.last;
    let guides = '';
    if (line.depth > 0) {
      const first = Math.max(1, line.depth - maxLevels + 1);
      if (first > 1) guides += style.dim(`+${first - 1} `);
      guides += treeGuides(lastAt, first, line.depth, line.last, indent);
    }
    const indentWidth = displayWidth(guides);
    const room = Math.max(8, style.width - fixed - indentWidth);
    if (line.node < 0) {
      const text = `… ${formatNumber(line.hiddenCount)} more below ${options.minPercent ?? 1}%`;
      out.push(
        padStart(formatPercent(line.hiddenTotal, total), pctW) + GAP + ' '.repeat(pctW) + GAP + style.dim(guides + ellipsize(text, room)),
      );
      continue;
    }
    const node = line.node;
    const func = tree.func[node];
    const totalPct = (100 * tree.total[node]) / total;
    const selfPct = (100 * tree.self[node]) / total;
    const name = displayName(profile, func) + (line.truncated ? ' …' : '');
    const location = paths.location(func);
    let label: string;
    const nameWidth = displayWidth(name);
    if (location && nameWidth + 2 + Math.min(displayWidth(location), 12) <= room) {
      label = name + GAP + style.dim(ellipsizePath(location, room - nameWidth - 2));
    } else {
      label = ellipsize(name, room);
    }
    const selfText = options.inverted && line.depth > 0 ? '' : formatPercent(tree.self[node], total);
    out.push(
      heat(style, padStart(formatPercent(tree.total[node], total), pctW), totalPct) +
        GAP +
        heat(style, padStart(selfText, pctW), selfPct) +
        GAP +
        guides +
        label,
    );
  }
  return out.join('\n') + '\n';
}
