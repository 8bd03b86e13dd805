/**
 * A standalone interactive flame graph as one SVG file (export only), in the
 * manner of flamegraph.pl: open it in a browser, hover for details, click to
 * zoom, search with a regular expression. No network, no external files.
 *
 * Layout of the output:
 *   <svg> <defs>gradient</defs> <style/> <script> (static code, no profile data)
 *     <rect> background, <text> title, "Reset Zoom", "Search", matched-% and details lines
 *     <g id="frames"> one <g class="f" data-name data-x data-w data-d data-total data-self>
 *        <title>name, file:line, samples, percentages</title> <rect/> <text>fitted name</text>
 *     </g>…
 * - Frames come from the top-down call tree (frames of one function along one
 *   path merge), root at the bottom under a synthetic "all" frame; children
 *   left to right by total weight. Frames narrower than `minWidth` pixels
 *   (default 0.1) are left out, as in flamegraph.pl.
 * - Colours by kind of code: Python warm (red-orange-yellow), native blue,
 *   JIT green, GC purple, other grey; the shade within a hue comes from a hash
 *   of the name so neighbours differ and reruns are identical.
 * - Every profile string is XML-escaped into text or attribute values;
 *   characters XML cannot carry (C0 controls, lone surrogates, U+FFFE/FFFF) are
 *   written as the text `\x01` / U+FFFD. The script reads names back from the
 *   DOM and only ever assigns them to `textContent`, never to markup.
 */
import { callTreeTopDown, stackWeights } from '../../model/analysis.js';
import { KIND_GC, KIND_JIT, KIND_NATIVE, KIND_PYTHON, funcFile, funcName, type Profile } from '../../model/profile.js';
import type { Format, WriteOptions } from '../registry.js';

export interface FlameSvgOptions extends WriteOptions {
  /** Image width in pixels (default 1200). */
  width?: number;
  /** Height of one frame row in pixels (default 16). */
  frameHeight?: number;
  /** Leave out frames narrower than this many pixels (default 0.1). */
  minWidth?: number;
  /** Title at the top (default "Flame Graph"). */
  title?: string;
}

/** Escapes text for XML character data and attribute values (double-quoted). */
export function xmlEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&#39;';
        break;
      case '\n':
        out += '&#10;';
        break;
      case '\r':
        out += '&#13;';
        break;
      case '\t':
        out += '&#9;';
        break;
      default:
        if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) out += '\ufffd';
        else out += ch;
    }
  }
  return out;
}

/** A small deterministic hash of a string in [0, 1). */
function nameHash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 1000) / 1000;
}

function frameColor(kind: number, name: string): string {
  const v = nameHash(name);
  switch (kind) {
    case KIND_PYTHON: // flamegraph.pl's "hot" palette
      return `rgb(${205 + Math.round(50 * v)},${Math.round(230 * v)},${Math.round(55 * (1 - v))})`;
    case KIND_NATIVE:
      return `rgb(${80 + Math.round(50 * v)},${130 + Math.round(50 * v)},${220 + Math.round(35 * v)})`;
    case KIND_JIT:
      return `rgb(${50 + Math.round(60 * v)},${190 + Math.round(50 * v)},${50 + Math.round(60 * v)})`;
    case KIND_GC:
      return `rgb(${170 + Math.round(40 * v)},${110 + Math.round(40 * v)},${210 + Math.round(40 * v)})`;
    default:
      return `rgb(${170 + Math.round(40 * v)},${170 + Math.round(40 * v)},${170 + Math.round(40 * v)})`;
  }
}

const FONT_SIZE = 12;
const FONT_WIDTH = 0.59; // average glyph width / font size for Verdana
const PAD_X = 10;
const PAD_TOP = FONT_SIZE * 3;
const PAD_BOTTOM = FONT_SIZE * 2 + 10;

/** The name cut to fit `width` pixels, with ".." when cut; '' when not even 3 characters fit. */
function fitText(name: string, width: number): string {
  const fits = Math.floor((width - 6) / (FONT_SIZE * FONT_WIDTH));
  if (fits < 3) return '';
  const chars = [...name];
  return chars.length <= fits ? name : `${chars.slice(0, fits - 2).join('')}..`;
}

function weightText(weight: number, unit: Profile['meta']['weightUnit']): string {
  const n = Number.isInteger(weight) ? weight.toLocaleString('en-US') : weight.toFixed(2);
  return unit === 'samples' ? `${n} sample${weight === 1 ? '' : 's'}` : `${n} ${unit}`;
}

/** The static script: zoom, search, details. It contains no profile data. */
const SCRIPT = `
// Runs on load: the script precedes the frames in the document.
window.addEventListener('load', function () {
  'use strict';
  var svg = document.documentElement;
  var frames = [].slice.call(document.querySelectorAll('g.f'));
  var details = document.getElementById('details');
  var matched = document.getElementById('matched');
  var unzoomButton = document.getElementById('unzoom');
  var searchButton = document.getElementById('search');
  var width = Number(svg.getAttribute('data-width'));
  var pad = Number(svg.getAttribute('data-pad'));
  var fontSize = Number(svg.getAttribute('data-font-size'));
  var fontWidth = Number(svg.getAttribute('data-font-width'));
  var rootTotal = Number(svg.getAttribute('data-total'));
  var unitLabel = svg.getAttribute('data-unit');
  var currentSearch = null;
  function num(g, key) { return Number(g.getAttribute('data-' + key)); }
  function fit(name, w) {
    var fits = Math.floor((w - 6) / (fontSize * fontWidth));
    if (fits < 3) return '';
    var chars = Array.from(name);
    return chars.length <= fits ? name : chars.slice(0, fits - 2).join('') + '..';
  }
  function place(g, x, w) {
    var rect = g.querySelector('rect');
    var text = g.querySelector('text');
    rect.setAttribute('x', x.toFixed(2));
    rect.setAttribute('width', Math.max(0, w).toFixed(2));
    text.setAttribute('x', (x + 3).toFixed(2));
    text.textContent = fit(g.getAttribute('data-name'), w);
  }
  function zoom(target) {
    var zx = num(target, 'x'), zw = num(target, 'w'), zd = num(target, 'd');
    var scale = (width - 2 * pad) / zw;
    frames.forEach(function (g) {
      var x = num(g, 'x'), w = num(g, 'w'), d = num(g, 'd');
      g.classList.remove('parent', 'hide');
      if (d < zd) {
        // An ancestor (it spans the target) stays, faded and full width; others hide.
        if (x <= zx + 1e-6 && x + w >= zx + zw - 1e-6) { g.classList.add('parent'); place(g, pad, width - 2 * pad); }
        else g.classList.add('hide');
      } else if (x >= zx - 1e-6 && x + w <= zx + zw + 1e-6) {
        place(g, pad + (x - zx) * scale, w * scale);
      } else {
        g.classList.add('hide');
      }
    });
    unzoomButton.classList.remove('hide');
  }
  function unzoom() {
    frames.forEach(function (g) {
      g.classList.remove('parent', 'hide');
      place(g, num(g, 'x'), num(g, 'w'));
    });
    unzoomButton.classList.add('hide');
  }
  function describe(g) {
    var pct = rootTotal > 0 ? (100 * num(g, 'total') / rootTotal).toFixed(2) : '0.00';
    return g.getAttribute('data-name') + ' (' + num(g, 'total').toLocaleString('en-US') + ' ' + unitLabel + ', ' + pct + '%)';
  }
  function search(term) {
    var re;
    try { re = new RegExp(term); } catch (e) { matched.textContent = 'Bad pattern: ' + e.message; return; }
    currentSearch = term;
    // Matched weight: frames whose name matches, not counting a match inside another match.
    var spans = [];
    frames.forEach(function (g) {
      var hit = re.test(g.getAttribute('data-name'));
      g.classList.toggle('match', hit);
      if (hit) spans.push([num(g, 'x'), num(g, 'w'), num(g, 'total')]);
    });
    spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var sum = 0, end = -1;
    spans.forEach(function (s) { if (s[0] >= end - 1e-6) { sum += s[2]; end = s[0] + s[1]; } });
    matched.textContent = 'Matched: ' + (rootTotal > 0 ? (100 * sum / rootTotal).toFixed(2) : '0.00') + '%';
    searchButton.textContent = 'Reset Search';
  }
  function resetSearch() {
    frames.forEach(function (g) { g.classList.remove('match'); });
    matched.textContent = '';
    currentSearch = null;
    searchButton.textContent = 'Search';
  }
  frames.forEach(function (g) {
    g.addEventListener('mouseover', function () { details.textContent = describe(g); });
    g.addEventListener('mouseout', function () { details.textContent = ' '; });
    g.addEventListener('click', function () { zoom(g); });
  });
  unzoomButton.addEventListener('click', unzoom);
  searchButton.addEventListener('click', function () {
    if (currentSearch !== null) { resetSearch(); return; }
    var term = window.prompt('Search for (regular expression):', '');
    if (term) search(term);
  });
  window.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
      e.preventDefault();
      var term = window.prompt('Search for (regular expression):', currentSearch || '');
      if (term) search(term); else if (term === '') resetSearch();
    } else if (e.key === 'Escape') { unzoom(); resetSearch(); }
  });
  // For scripts and tests driving the page.
  window.flamegraph = { zoom: function (i) { zoom(frames[i]); }, unzoom: unzoom, search: search, resetSearch: resetSearch };
});
`;

export function writeFlameSvg(profile: Profile, options: FlameSvgOptions = {}): string {
  const width = options.width ?? 1200;
  const frameHeight = options.frameHeight ?? 16;
  const minWidth = options.minWidth ?? 0.1;
  const title = options.title ?? 'Flame Graph';
  const weights = stackWeights(profile, { threads: options.threads });
  const tree = callTreeTopDown(profile, weights);
  const total = tree.rootTotal;
  const unit = profile.meta.weightUnit;
  const scale = total > 0 ? (width - 2 * PAD_X) / total : 0;

  // x offsets: each child starts where its previous sibling ended (pre-order: parents come first).
  const x = new Float64Array(tree.length);
  let rootX = 0;
  for (const r of tree.roots) {
    x[r] = rootX;
    rootX += tree.total[r];
  }
  let maxDepth = 0;
  for (let n = 0; n < tree.length; n++) {
    let childX = x[n];
    for (let k = 0; k < tree.childCount[n]; k++) {
      const c = tree.children[tree.childStart[n] + k];
      x[c] = childX;
      childX += tree.total[c];
    }
    if (tree.total[n] * scale >= minWidth) maxDepth = Math.max(maxDepth, tree.depth[n] + 1);
  }
  const height = PAD_TOP + PAD_BOTTOM + (maxDepth + 1) * frameHeight;
  // Depth d (0 = the "all" frame) sits at the bottom, growing upwards.
  const rowY = (d: number) => height - PAD_BOTTOM - (d + 1) * frameHeight;

  const parts: string[] = [];
  parts.push(
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
    `<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`,
    ` data-width="${width}" data-pad="${PAD_X}" data-font-size="${FONT_SIZE}" data-font-width="${FONT_WIDTH}" data-total="${total}" data-unit="${xmlEscape(unit)}">\n`,
    '<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0"><stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/></linearGradient></defs>\n',
    '<style type="text/css">\n',
    `text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: ${FONT_SIZE}px; fill: rgb(0,0,0); }\n`,
    'g.f { cursor: pointer; } g.f:hover rect { stroke: black; stroke-width: 0.5; }\n',
    'g.f text { pointer-events: none; } g.hide { display: none; } g.parent { opacity: 0.5; }\n',
    'g.match rect { fill: rgb(230,0,230) !important; }\n',
    '#title { text-anchor: middle; font-size: 17px; } .button { cursor: pointer; } .button:hover { text-decoration: underline; }\n',
    '.hide { display: none; }\n',
    '</style>\n',
    `<script type="text/ecmascript"><![CDATA[${SCRIPT}]]></script>\n`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="url(#background)"/>\n`,
    `<text id="title" x="${width / 2}" y="24">${xmlEscape(title)}</text>\n`,
    `<text id="unzoom" class="button hide" x="${PAD_X}" y="24">Reset Zoom</text>\n`,
    `<text id="search" class="button" x="${width - PAD_X}" y="24" text-anchor="end">Search</text>\n`,
    `<text id="matched" x="${width - PAD_X}" y="${height - 17}" text-anchor="end"> </text>\n`,
    `<text id="details" x="${PAD_X}" y="${height - 17}"> </text>\n`,
    '<g id="frames">\n',
  );

  const frame = (name: string, info: string, kind: number, fx: number, fw: number, depth: number, nodeTotal: number, nodeSelf: number) => {
    const px = PAD_X + fx * scale;
    const pw = fw * scale;
    const y = rowY(depth);
    const pct = total > 0 ? ((100 * nodeTotal) / total).toFixed(2) : '0.00';
    const selfPct = total > 0 ? ((100 * nodeSelf) / total).toFixed(2) : '0.00';
    const tooltip = `${name}${info ? `\n${info}` : ''}\n${weightText(nodeTotal, unit)}, ${pct}% (self ${selfPct}%)`;
    parts.push(
      `<g class="f" data-name="${xmlEscape(name)}" data-x="${px.toFixed(2)}" data-w="${pw.toFixed(2)}" data-d="${depth}" data-total="${nodeTotal}" data-self="${nodeSelf}">`,
      `<title>${xmlEscape(tooltip)}</title>`,
      `<rect x="${px.toFixed(2)}" y="${y}" width="${pw.toFixed(2)}" height="${frameHeight - 1}" fill="${frameColor(kind, name)}" rx="2" ry="2"/>`,
      `<text x="${(px + 3).toFixed(2)}" y="${y + frameHeight - 4.5}">${xmlEscape(fitText(name, pw))}</text></g>\n`,
    );
  };

  if (total > 0) {
    frame('all', '', -1, 0, total, 0, total, 0);
    for (let n = 0; n < tree.length; n++) {
      if (tree.total[n] * scale < minWidth) continue;
      const f = tree.func[n];
      const file = funcFile(profile, f);
      const line = profile.funcs.line[f];
      const info = file ? (line > 0 ? `${file}:${line}` : file) : '';
      frame(funcName(profile, f), info, profile.funcs.kind[f], x[n], tree.total[n], tree.depth[n] + 1, tree.total[n], tree.self[n]);
    }
  }
  parts.push('</g>\n</svg>\n');
  return parts.join('');
}

export const flameSvgFormat: Format = {
  name: 'svg',
  description: 'Interactive flame graph, one standalone SVG (like flamegraph.pl)',
  extensions: ['svg'],
  write: (profile, options) => writeFlameSvg(profile, options as FlameSvgOptions),
};
