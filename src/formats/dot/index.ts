/**
 * Graphviz DOT call graph in the style of gprof2dot (export only): render with
 * `dot -Tsvg out.dot -o out.svg`.
 *
 * Layout of the output:
 *   digraph { graph/node/edge defaults;
 *     f<index> [label="name\nfile:line\ntotal%\n(self%)\nN samples", color, fillcolor, fontsize];
 *     f<caller> -> f<callee> [label="total%\nN×", color, penwidth, arrowsize, labeldistance]; }
 *
 * - Nodes are functions; total counts a sample once however often the function
 *   recurs, self is the innermost frame. Formats that count calls (cProfile,
 *   callgrind) show calls (`12×`) on nodes and edges, as gprof2dot does. Edges are direct calls weighted by the
 *   samples in which the caller called the callee (once per sample).
 * - Colours follow gprof2dot's temperature map: hue from blue (0%) through
 *   green and yellow to red (100% of the total), darker for cold nodes; pen
 *   widths and font sizes grow with the weight.
 * - Nodes under `nodeThres` percent (default 0.5) and edges under `edgeThres`
 *   percent (default 0.1) are left out, as in gprof2dot.
 * - Every string is escaped for a DOT quoted string: backslashes and quotes are
 *   escaped (so `\l`, `\N` in names print literally), control characters
 *   print as the text `\x01`.
 */
import { functionTable, stackWeights, totalWeight } from '../../model/analysis.js';
import { funcFile, funcName, type Profile } from '../../model/profile.js';
import type { Format, WriteOptions } from '../registry.js';

export interface DotOptions extends WriteOptions {
  /** Leave out functions whose total is under this percentage (default 0.5). */
  nodeThres?: number;
  /** Leave out calls whose weight is under this percentage (default 0.1). */
  edgeThres?: number;
}

/** Escapes text for a DOT double-quoted string used as a label (escString). */
export function dotString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code < 0x20 || code === 0x7f)
      out += `\\\\x${code.toString(16).padStart(2, '0')}`; // shown as the text \x01
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\ufffd'; // lone surrogate: not encodable
    else out += ch;
  }
  return out + '"';
}

/** HSL (components 0..1) to a #rrggbb colour. */
function hslToHex(h: number, s: number, l: number): string {
  const hue = (t: number) => {
    const m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s;
    const m1 = l * 2 - m2;
    let x = t;
    if (x < 0) x += 1;
    if (x > 1) x -= 1;
    if (x * 6 < 1) return m1 + (m2 - m1) * x * 6;
    if (x * 2 < 1) return m2;
    if (x * 3 < 2) return m1 + (m2 - m1) * (2 / 3 - x) * 6;
    return m1;
  };
  const byte = (v: number) =>
    Math.round(Math.max(0, Math.min(1, v)) * 255)
      .toString(16)
      .padStart(2, '0');
  return `#${byte(hue(h + 1 / 3))}${byte(hue(h))}${byte(hue(h - 1 / 3))}`;
}

/** The temperature colour of a weight in 0..1: blue, green, yellow, red; cold is darker and greyer. */
export function temperatureColor(weight: number): string {
  const w = Math.max(0, Math.min(1, weight));
  const hue = (2 / 3) * (1 - w); // 2/3 = blue ... 0 = red
  const saturation = 0.8 + 0.2 * w;
  const lightness = 0.25 + 0.25 * w;
  return hslToHex(hue, saturation, lightness);
}

const MIN_PEN = 0.5;
const MAX_PEN = 4.0;
const MIN_FONT = 8;
const MAX_FONT = 10;
const MAX_NAME = 160;

function percent(value: number): string {
  return `${value.toFixed(2)}%`;
}

function weightLabel(weight: number, unit: Profile['meta']['weightUnit']): string {
  const rounded = Number.isInteger(weight) ? String(weight) : weight.toFixed(2);
  return unit === 'samples' ? `${rounded} sample${weight === 1 ? '' : 's'}` : `${rounded} ${unit}`;
}

/** Direct-call edges: key caller * funcCount + callee -> weight (a sample counts once per edge). */
function callEdges(profile: Profile, weights: Float64Array): Map<number, number> {
  const { stacks, frames, funcs } = profile;
  const edges = new Map<number, number>();
  const seen = new Set<number>();
  for (let s = 0; s < stacks.length; s++) {
    const w = weights[s];
    if (w === 0) continue;
    seen.clear();
    for (let cur = s; stacks.prefix[cur] >= 0; cur = stacks.prefix[cur]) {
      const callee = frames.func[stacks.frame[cur]];
      const caller = frames.func[stacks.frame[stacks.prefix[cur]]];
      const key = caller * funcs.length + callee;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.set(key, (edges.get(key) ?? 0) + w);
    }
  }
  return edges;
}

/**
 * Call counts from formats that record them (callgrind, cProfile): per edge,
 * keyed like callEdges, and per function (calls into it).
 */
function recordedCalls(profile: Profile): { edges: Map<number, number>; funcs: Map<number, number> } {
  const edges = new Map<number, number>();
  const funcs = new Map<number, number>();
  const n = profile.funcs.length;
  const callgrind = profile.attachments.callgrind as { calls?: { caller: number; callee: number; calls: number }[] } | undefined;
  for (const c of callgrind?.calls ?? []) {
    const key = c.caller * n + c.callee;
    edges.set(key, (edges.get(key) ?? 0) + c.calls);
    funcs.set(c.callee, (funcs.get(c.callee) ?? 0) + c.calls);
  }
  const pstats = profile.attachments.pstats as
    | { rows?: { func: number; calls: number; callers: { func: number; calls: number }[] }[] }
    | undefined;
  for (const row of pstats?.rows ?? []) {
    funcs.set(row.func, (funcs.get(row.func) ?? 0) + row.calls);
    for (const c of row.callers) {
      const key = c.func * n + row.func;
      edges.set(key, (edges.get(key) ?? 0) + c.calls);
    }
  }
  return { edges, funcs };
}

export function writeDot(profile: Profile, options: DotOptions = {}): string {
  const nodeThres = options.nodeThres ?? 0.5;
  const edgeThres = options.edgeThres ?? 0.1;
  const weights = stackWeights(profile, { threads: options.threads });
  const total = totalWeight(weights);
  const { self, total: totals } = functionTable(profile, weights);
  const edges = callEdges(profile, weights);
  const { edges: calls, funcs: funcCalls } = recordedCalls(profile);
  const unit = profile.meta.weightUnit;
  const share = (w: number) => (total > 0 ? w / total : 0);

  const lines: string[] = [
    'digraph {',
    '\tgraph [fontname=Arial, nodesep=0.125, ranksep=0.25];',
    '\tnode [fontcolor=white, fontname=Arial, height=0, shape=box, style=filled, width=0];',
    '\tedge [fontname=Arial];',
  ];
  const kept = new Uint8Array(profile.funcs.length);
  for (let f = 0; f < profile.funcs.length; f++) {
    if (totals[f] <= 0 || share(totals[f]) * 100 < nodeThres) continue;
    kept[f] = 1;
    const weight = share(totals[f]);
    let name = funcName(profile, f);
    if ([...name].length > MAX_NAME) name = `${[...name].slice(0, MAX_NAME - 1).join('')}…`;
    const file = funcFile(profile, f);
    const line = profile.funcs.line[f];
    const labelLines = [name];
    if (file) labelLines.push(line > 0 ? `${file}:${line}` : file);
    const count = funcCalls.get(f);
    labelLines.push(
      percent(weight * 100),
      `(${percent(share(self[f]) * 100)})`,
      count === undefined ? weightLabel(totals[f], unit) : `${count}×`,
    );
    const color = temperatureColor(weight);
    const fontsize = Math.max(MIN_FONT, weight * MAX_FONT).toFixed(2);
    // Label lines are joined with DOT's "\n" (centred line break) after escaping each line.
    const label = labelLines.map((l) => dotString(l).slice(1, -1)).join('\\n');
    lines.push(`\tf${f} [color=${dotString(color)}, fillcolor=${dotString(color)}, fontsize=${fontsize}, label="${label}"];`);
  }
  const sortedEdges = [...edges].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (const [key, w] of sortedEdges) {
    const caller = Math.floor(key / profile.funcs.length);
    const callee = key % profile.funcs.length;
    if (!kept[caller] || !kept[callee] || share(w) * 100 < edgeThres) continue;
    const weight = share(w);
    const color = temperatureColor(weight);
    const pen = Math.max(MIN_PEN, weight * MAX_PEN);
    const count = calls.get(key);
    const label = count === undefined ? percent(weight * 100) : `${percent(weight * 100)}\\n${count}×`;
    lines.push(
      `\tf${caller} -> f${callee} [arrowsize=${Math.sqrt(pen).toFixed(2)}, color=${dotString(color)}, fontcolor=${dotString(color)}, fontsize=${Math.max(MIN_FONT, weight * MAX_FONT).toFixed(2)}, label="${label}", labeldistance=${pen.toFixed(2)}, penwidth=${pen.toFixed(2)}];`,
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** Reads a percentage option that may come from the command line as a string. */
function percentOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new RangeError(`${name} must be a percentage between 0 and 100, got ${String(value)}`);
  return n;
}

export const dotFormat: Format = {
  name: 'dot',
  description: 'Graphviz call graph like gprof2dot (render with dot -Tsvg)',
  extensions: ['dot', 'gv'],
  write: (profile, options = {}) =>
    writeDot(profile, {
      ...options,
      nodeThres: percentOption(options.nodeThres, '--node-thres'),
      edgeThres: percentOption(options.edgeThres, '--edge-thres'),
    }),
};
