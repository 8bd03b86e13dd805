/**
 * The DOM views: call tree (top-down and inverted), function table,
 * callers/callees (sandwich) and source with line heat. Each is fed a
 * ViewModel and reports selections back through the host.
 */
import type { CallTree } from '../../src/model/analysis.js';
import { callersAndCallees } from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import { funcFile, funcName } from '../../src/model/profile.js';
import { h, replaceChildren } from './dom.js';
import { formatCount, formatPercent, formatWeight } from './format.js';
import { VirtualList } from './virtuallist.js';
import { ViewModel } from './viewmodel.js';
import { FlameCanvas, type Hit } from './flamecanvas.js';
import type { FlameLayout } from './layout.js';
import type { Palette } from './colors.js';
import { Memo } from './memo.js';
import type { ViewState } from './state.js';
import { isSourceFileName } from '../../src/model/source-files.js';
import { fileLineMetrics, lineMetrics, metricColumn } from '../../src/model/line-metrics.js';
import { callgrindFileLines } from '../../src/formats/callgrind/index.js';
import { TIME_CLASS_COUNT, TIME_CLASS_LABELS, TIME_CLASSES } from '../../src/model/time-split.js';
import { timeClassColor } from './colors.js';

export interface ViewHost {
  selectFunction(func: number, view?: 'sandwich' | 'source' | 'flame' | 'tree'): void;
  selectedFunction(): number;
}

export function funcLocation(vm: ViewModel, func: number): string {
  const file = funcFile(vm.profile, func);
  const line = vm.profile.funcs.line[func];
  if (!file) return '';
  return line > 0 ? `${file}:${line}` : file;
}

function cell(cls: string, text: string): HTMLSpanElement {
  return h('span', { class: cls }, text);
}

/**
 * Where a row's time went (model/time-split.ts) as a stacked bar, one coloured part per class,
 * widths in proportion; the tooltip lists the shares. Row `i` of `split`.
 */
export function splitBar(split: Float64Array, i: number): HTMLSpanElement {
  let total = 0;
  for (let c = 0; c < TIME_CLASS_COUNT; c++) total += split[i * TIME_CLASS_COUNT + c];
  const bar = h('span', { class: 'split-bar' });
  const lines: string[] = [];
  for (let c = 0; c < TIME_CLASS_COUNT && total > 0; c++) {
    const v = split[i * TIME_CLASS_COUNT + c];
    if (v <= 0) continue;
    const cls = TIME_CLASSES[c];
    bar.append(h('i', { 'data-class': cls, style: `width:${(100 * v) / total}%;background:${timeClassColor(cls)}` }));
    lines.push(`${TIME_CLASS_LABELS[cls]} ${formatPercent(v, total)}`);
  }
  return h('span', { class: 'split', title: lines.join('\n') }, bar);
}

/** Call tree, top-down or bottom-up: expandable rows, keyboard navigation. */
export class CallTreeView {
  readonly element: HTMLDivElement;
  private readonly list: VirtualList;
  private tree: CallTree | null = null;
  private vm: ViewModel | null = null;
  private expanded = new Set<number>();
  private visible: number[] = [];
  private cursor = 0;
  private shownMatch: Uint8Array | null = null;
  private readonly header = h('div', { class: 'list-header tree-cols' });
  /** A tree with more than one class of time: each node's split (model/time-split.ts), top-down or inverted. */
  private split: Float64Array | null = null;

  constructor(private readonly host: ViewHost) {
    this.list = new VirtualList((i, row) => this.renderRow(i, row), 'calltree');
    this.element = h('div', { class: 'panel-fill list-panel' }, this.header, this.list.element);
    this.list.element.addEventListener('keydown', (e) => this.onKey(e));
    this.list.element.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest('.vlist-row') as HTMLElement | null;
      if (!row) return;
      const i = Number(row.dataset.index);
      this.cursor = i;
      if ((e.target as HTMLElement).classList.contains('twisty')) this.toggle(this.visible[i]);
      else this.host.selectFunction(this.tree!.func[this.visible[i]]);
      this.list.refresh();
    });
  }

  show(vm: ViewModel, inverted: boolean): void {
    const tree = inverted ? vm.bottomUp() : vm.topDown();
    if (tree === this.tree && vm.match === this.shownMatch) {
      this.list.restyle((i, row) => row.classList.toggle('selected', tree.func[this.visible[i]] === this.host.selectedFunction()));
      return;
    }
    this.shownMatch = vm.match;
    if (tree !== this.tree) {
      this.tree = tree;
      this.vm = vm;
      this.split = !vm.hasSplit() ? null : inverted ? vm.invertedTreeSplit() : vm.treeSplit();
      this.header.classList.toggle('with-split', this.split !== null);
      replaceChildren(
        this.header,
        cell('num', 'Total'),
        cell('num', 'Total %'),
        cell('num', 'Self'),
        cell('num', 'Self %'),
        this.split ? h('span', { class: 'split', title: TIME_CLASS_HELP }, 'Where time went') : null,
        cell('name', 'Function'),
      );
      this.expanded.clear();
      // Open the heaviest path a few levels deep, as profilers do.
      let node = tree.roots.length > 0 ? tree.roots[0] : -1;
      for (let d = 0; d < 8 && node >= 0; d++) {
        this.expanded.add(node);
        node =
          tree.childCount[node] > 0 && tree.total[tree.children[tree.childStart[node]]] > tree.total[node] * 0.5
            ? tree.children[tree.childStart[node]]
            : -1;
      }
      this.cursor = 0;
    }
    this.rebuild();
  }

  focus(): void {
    this.list.element.focus();
  }

  private rebuild(): void {
    const tree = this.tree!;
    const out: number[] = [];
    const stack: number[] = [];
    for (let r = tree.roots.length - 1; r >= 0; r--) stack.push(tree.roots[r]);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (tree.total[n] <= 0) continue;
      out.push(n);
      if (this.expanded.has(n)) {
        const start = tree.childStart[n];
        for (let k = start + tree.childCount[n] - 1; k >= start; k--) stack.push(tree.children[k]);
      }
    }
    this.visible = out;
    this.list.setCount(out.length);
  }

  private toggle(node: number): void {
    if (this.expanded.has(node)) this.expanded.delete(node);
    else this.expanded.add(node);
    this.rebuild();
  }

  private renderRow(i: number, row: HTMLDivElement): void {
    const tree = this.tree!;
    const vm = this.vm!;
    const n = this.visible[i];
    const func = tree.func[n];
    row.className = `vlist-row tree-cols${this.split ? ' with-split' : ''}${i === this.cursor ? ' cursor' : ''}${func === this.host.selectedFunction() ? ' selected' : ''}${vm.match && vm.match[func] ? ' match' : ''}`;
    const hasChildren = tree.childCount[n] > 0;
    const twisty = h('span', { class: 'twisty' }, hasChildren ? (this.expanded.has(n) ? '▾' : '▸') : ' ');
    const name = h(
      'span',
      { class: 'name', style: `padding-left:${tree.depth[n] * 12}px` },
      twisty,
      h('span', { class: 'fn' }, funcName(vm.profile, func)),
      h('span', { class: 'loc' }, funcLocation(vm, func)),
    );
    row.append(
      cell('num', formatCount(tree.total[n])),
      cell('num', formatPercent(tree.total[n], vm.total)),
      cell('num', formatCount(tree.self[n])),
      cell('num', formatPercent(tree.self[n], vm.total)),
    );
    if (this.split) row.append(splitBar(this.split, n));
    row.append(name);
    row.title = `${funcName(vm.profile, func)}\n${funcLocation(vm, func)}`;
  }

  private onKey(e: KeyboardEvent): void {
    const tree = this.tree;
    if (!tree || this.visible.length === 0) return;
    const n = this.visible[this.cursor];
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        this.cursor = Math.min(this.visible.length - 1, this.cursor + 1);
        break;
      case 'ArrowUp':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'ArrowRight':
        if (tree.childCount[n] > 0 && !this.expanded.has(n)) this.toggle(n);
        else if (tree.childCount[n] > 0) this.cursor++;
        break;
      case 'ArrowLeft':
        if (this.expanded.has(n)) this.toggle(n);
        else if (tree.parent[n] >= 0) this.cursor = Math.max(0, this.visible.indexOf(tree.parent[n]));
        break;
      case '*': {
        // Expand the whole subtree under the cursor (iteratively).
        const stack = [n];
        while (stack.length > 0) {
          const m = stack.pop()!;
          this.expanded.add(m);
          for (let k = tree.childStart[m]; k < tree.childStart[m] + tree.childCount[m]; k++) stack.push(tree.children[k]);
        }
        this.rebuild();
        break;
      }
      case 'Enter':
        this.host.selectFunction(tree.func[n]);
        break;
      default:
        handled = false;
    }
    if (!handled) return;
    e.preventDefault();
    this.list.scrollToRow(this.cursor);
    this.list.refresh();
  }
}

type SortKey = 'self' | 'total' | 'name';

const TIME_CLASS_HELP =
  "Where each function's total time went: JIT code (running compiled machine code), interpreted, GC minor/major (PyPy log phases overlapping its samples) or GC on the stack, JIT compiling (tracing, optimizing, backend), native, idle. Hover a bar for the shares.";

/** The function table: sortable by self, total or name; filtered by the search box. */
export class FunctionTableView {
  readonly element: HTMLDivElement;
  private readonly list: VirtualList;
  private readonly header: HTMLDivElement;
  private rows: number[] = [];
  private vm: ViewModel | null = null;
  private sort: SortKey = 'self';

  constructor(private readonly host: ViewHost) {
    this.list = new VirtualList((i, row) => this.renderRow(i, row), 'functable');
    this.header = h('div', { class: 'list-header func-cols' });
    this.element = h('div', { class: 'panel-fill list-panel' }, this.header, this.list.element);
    this.list.element.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest('.vlist-row') as HTMLElement | null;
      if (row) this.host.selectFunction(this.rows[Number(row.dataset.index)]);
    });
    this.list.element.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest('.vlist-row') as HTMLElement | null;
      if (row) this.host.selectFunction(this.rows[Number(row.dataset.index)], 'sandwich');
    });
  }

  private renderHeader(): void {
    const vm = this.vm!;
    const sortable = (key: SortKey, label: string, cls: string) => {
      const el = h(
        'button',
        {
          class: `${cls} sort${this.sort === key ? ' active' : ''}`,
          type: 'button',
          onclick: () => {
            this.sort = key;
            this.show(vm);
          },
        },
        label + (this.sort === key ? (key === 'name' ? ' ▴' : ' ▾') : ''),
      );
      return el;
    };
    replaceChildren(
      this.header,
      sortable('self', 'Self', 'num'),
      cell('num', 'Self %'),
      sortable('total', 'Total', 'num'),
      cell('num', 'Total %'),
      cell('num', vm.hasJit() ? 'JIT %' : ''),
      vm.hasSplit() ? h('span', { class: 'split', title: TIME_CLASS_HELP }, 'Where time went') : null,
      sortable('name', 'Function', 'name'),
    );
    this.header.classList.toggle('with-split', vm.hasSplit());
  }

  private shownKey: unknown[] = [];

  show(vm: ViewModel): void {
    // Same data, only the selection changed: restyle the rows in place (keeps double clicks working).
    const key = [vm, this.sort, vm.match];
    if (key.every((k, i) => k === this.shownKey[i])) {
      this.list.restyle((i, row) => row.classList.toggle('selected', this.rows[i] === this.host.selectedFunction()));
      return;
    }
    this.shownKey = key;
    this.vm = vm;
    const { self, total } = vm.functions();
    const rows: number[] = [];
    for (let f = 0; f < self.length; f++) {
      if (total[f] <= 0) continue;
      if (vm.match && !vm.match[f]) continue;
      rows.push(f);
    }
    const names = vm.profile.strings;
    const nameIdx = vm.profile.funcs.name;
    if (this.sort === 'name') rows.sort((a, b) => names[nameIdx[a]].localeCompare(names[nameIdx[b]]) || a - b);
    else {
      const col = this.sort === 'self' ? self : total;
      const other = this.sort === 'self' ? total : self;
      rows.sort((a, b) => col[b] - col[a] || other[b] - other[a] || a - b);
    }
    this.rows = rows;
    this.renderHeader();
    this.list.setCount(rows.length);
  }

  private renderRow(i: number, row: HTMLDivElement): void {
    const vm = this.vm!;
    const f = this.rows[i];
    const { self, total } = vm.functions();
    const jit = vm.hasJit() ? vm.jitSelf() : null;
    const split = vm.hasSplit() ? vm.functionSplit() : null;
    row.className = `vlist-row func-cols${split ? ' with-split' : ''}${f === this.host.selectedFunction() ? ' selected' : ''}`;
    row.append(
      cell('num', formatCount(self[f])),
      cell('num', formatPercent(self[f], vm.total)),
      cell('num', formatCount(total[f])),
      cell('num', formatPercent(total[f], vm.total)),
      cell('num', jit && self[f] > 0 ? formatPercent(jit[f], self[f]) : ''),
    );
    if (split) row.append(splitBar(split, f));
    row.append(
      h('span', { class: 'name' }, h('span', { class: 'fn' }, funcName(vm.profile, f)), h('span', { class: 'loc' }, funcLocation(vm, f))),
    );
  }
}

/**
 * Callers and callees of the selected function as two flame graphs (a
 * sandwich): above, who called it (the function at the bottom, its callers
 * growing upwards); below, what it called (the function on top, its callees
 * hanging down). Click a frame to move the sandwich to that function.
 */
export class SandwichView {
  readonly element: HTMLDivElement;
  private readonly summary = h('div', { class: 'sandwich-self' });
  private readonly empty = h('p', { class: 'empty' });
  private readonly callersHost = h('div', { class: 'flame-host sandwich-flame', 'aria-label': 'Callers' });
  private readonly calleesHost = h('div', { class: 'flame-host sandwich-flame', 'aria-label': 'Callees' });
  private readonly callers: FlameCanvas;
  private readonly callees: FlameCanvas;
  private readonly memo = new Memo<{ callers: FlameLayout; callees: FlameLayout }>();
  private vm: ViewModel | null = null;

  constructor(
    private readonly host: ViewHost & {
      placeTooltip(lines: HTMLElement[], x: number, y: number): void;
      hideTooltip(): void;
      paletteFor(): Palette | null;
    },
  ) {
    const callbacks = (which: () => FlameCanvas) => ({
      onHover: (hit: Hit | null, x: number, y: number) => this.tooltip(which(), hit, x, y),
      onClick: (hit: Hit | null) => {
        if (hit) this.host.selectFunction(hit.func, 'sandwich');
      },
    });
    this.callers = new FlameCanvas(
      this.callersHost,
      callbacks(() => this.callers),
    );
    this.callees = new FlameCanvas(
      this.calleesHost,
      callbacks(() => this.callees),
    );
    this.callees.icicle = true;
    this.element = h(
      'div',
      { class: 'panel-fill sandwich' },
      this.empty,
      h(
        'div',
        { class: 'sandwich-flames' },
        h('h3', null, 'Callers'),
        this.callersHost,
        this.summary,
        h('h3', null, 'Callees'),
        this.calleesHost,
      ),
    );
  }

  show(vm: ViewModel, state: ViewState): void {
    const func = state.func;
    const valid = func >= 0 && func < vm.profile.funcs.length;
    this.empty.hidden = valid;
    (this.element.lastElementChild as HTMLElement).hidden = !valid;
    if (!valid) {
      this.empty.textContent = 'Select a function (click it in any view) to see its callers and callees.';
      return;
    }
    this.vm = vm;
    const layouts = this.memo.get([vm, func], () => {
      // Both halves start from the view's own transformed profile, with the same threads, range and idle choice.
      const callersVm = new ViewModel(vm.base, state, applyTransforms(vm.profile, [{ type: 'cut-below', func }]));
      const calleesVm = new ViewModel(vm.base, state, applyTransforms(vm.profile, [{ type: 'focus-function', func }]));
      return { callers: callersVm.flameLayout(true), callees: calleesVm.flameLayout(false) };
    });
    const data = callersAndCallees(vm.profile, vm.weights, func);
    replaceChildren(
      this.summary,
      h('strong', null, funcName(vm.profile, func)),
      ' ',
      h('span', { class: 'loc' }, funcLocation(vm, func)),
      ' ',
      h(
        'span',
        null,
        `total ${formatWeight(data.total, vm.unit)} (${formatPercent(data.total, vm.total)}), self ${formatWeight(data.self, vm.unit)} (${formatPercent(data.self, vm.total)})`,
      ),
    );
    const names = Array.from(vm.profile.funcs.name, (s) => vm.profile.strings[s]);
    for (const [canvas, layout] of [
      [this.callers, layouts.callers],
      [this.callees, layouts.callees],
    ] as const) {
      if (canvas.names.length !== names.length) canvas.setNames(names);
      canvas.palette = this.host.paletteFor();
      canvas.selectedFunc = func;
      canvas.showFlame(layout, canvas.flame === layout);
      canvas.resize();
    }
  }

  private tooltip(canvas: FlameCanvas, hit: Hit | null, x: number, y: number): void {
    const vm = this.vm;
    if (!hit || !vm || !canvas.flame) {
      this.host.hideTooltip();
      return;
    }
    const t = canvas.flame.tree;
    this.host.placeTooltip(
      [
        h('div', { class: 'tt-name' }, funcName(vm.profile, hit.func)),
        h('div', { class: 'tt-loc' }, funcLocation(vm, hit.func) || '(no file)'),
        h(
          'div',
          null,
          `${canvas === this.callers ? 'Through this call path' : 'Total'}: ${formatWeight(t.total[hit.node], vm.unit)} (${formatPercent(t.total[hit.node], vm.total)})`,
        ),
      ],
      x,
      y,
    );
  }
}

/** MB with a precision that suits its size. */
function formatMegabytes(mb: number): string {
  return `${mb >= 100 ? mb.toFixed(0) : mb >= 1 ? mb.toFixed(1) : mb.toFixed(2)} MB`;
}

function formatMetric(value: number, unit: string): string {
  if (unit === 'MB') return formatMegabytes(value);
  if (unit === 'fraction') return `${Math.round(100 * value)}%`;
  if (unit === 'MB/s') return `${value.toFixed(1)} MB/s`;
  return formatCount(value);
}

/** Line execution counts of a source file from another loaded profile (gcov/lcov), and that profile's name. */
export type CoverageLookup = (vm: ViewModel, path: string) => Promise<{ counts: Map<number, number>; from: string } | null>;

/** The selected function's file with per-line sample counts as heat. */
export class SourceView {
  readonly element: HTMLDivElement;
  private request = 0;

  constructor(
    private readonly readSource: (path: string) => Promise<string>,
    /** Opens the JIT traces view on a trace, marking a line (PyPy profiles with a jitlog). */
    private readonly openTrace: (trace: number, line: number) => void = () => {},
    private readonly coverageFor: CoverageLookup = async () => null,
  ) {
    this.element = h('div', { class: 'panel-fill source' });
  }

  private message(text: string): void {
    replaceChildren(this.element, h('p', { class: 'empty source-unavailable' }, text));
  }

  /**
   * `line`: a line to scroll to and mark (0: the function's first line). `jitLines`: source file
   * -> line -> JIT traces whose operations came from that line; such lines link to the trace.
   */
  async show(vm: ViewModel, func: number, line = 0, jitLines: Map<string, Map<number, number[]>> | null = null): Promise<void> {
    const request = ++this.request;
    if (func < 0 || func >= vm.profile.funcs.length) return this.message('Select a function to see its source.');
    const file = funcFile(vm.profile, func);
    const name = funcName(vm.profile, func);
    if (!file) return this.message(`Source unavailable: the profile records no file for ${name}.`);
    if (!isSourceFileName(file))
      return this.message(`Source unavailable: ${file} is not a source file (only .py, .pyx, .c and similar files are shown).`);
    // Line costs of the whole file, each line once per sample (a line two functions share is not counted twice).
    const fileIndex = vm.profile.funcs.file[func];
    const cached = vm.fileLines(fileIndex);
    const hasLineData = cached.size > 0;
    const perLine = hasLineData ? cached : new Map<number, { self: number; total: number }>();
    // callgrind: frames without lines, but exact exclusive costs per line beside them.
    const callgrindLines = hasLineData ? null : callgrindFileLines(vm.profile, file);
    if (callgrindLines) for (const [line, cost] of callgrindLines) perLine.set(line, { self: cost, total: cost });
    else if (!hasLineData) {
      // No per-line samples: fall back to each function's first line with its totals.
      const { self, total } = vm.functions();
      for (let f = 0; f < vm.profile.funcs.length; f++) {
        if (vm.profile.funcs.file[f] !== fileIndex || vm.profile.funcs.line[f] <= 0 || total[f] <= 0) continue;
        const line = vm.profile.funcs.line[f];
        const acc = perLine.get(line) ?? { self: 0, total: 0 };
        acc.self += self[f];
        acc.total += total[f];
        perLine.set(line, acc);
      }
    }
    this.message(`Loading ${file}…`);
    let text: string;
    // A coverage file loaded beside this profile (a C profile of the same run): its counts go in a column of their own.
    let coverage: Awaited<ReturnType<CoverageLookup>> = null;
    try {
      [text, coverage] = await Promise.all([this.readSource(file), this.coverageFor(vm, file).catch(() => null)]);
    } catch (err) {
      if (request === this.request) this.message(`Source unavailable: ${(err as Error).message}`);
      return;
    }
    if (request !== this.request) return;
    let max = 0;
    for (const c of perLine.values()) max = Math.max(max, c.total);
    // Memory measured per line (Scalene): MB allocated in a column of its own, with its own heat.
    const metrics = lineMetrics(vm.profile);
    const allocColumn = metrics ? metricColumn(metrics, 'allocMb') : -1;
    const memory = metrics && allocColumn >= 0 ? fileLineMetrics(vm.profile, metrics, fileIndex) : null;
    let maxMemory = 0;
    if (memory) for (const v of memory.values()) maxMemory = Math.max(maxMemory, v[allocColumn]);
    const withMemory = memory !== null && maxMemory > 0;
    const rowClass = `${coverage ? ' with-runs' : ''}${withMemory ? ' with-memory' : ''}`;
    const srcLines = text.split(/\r?\n/);
    const rows: HTMLElement[] = [];
    const firstLine = line > 0 ? line : vm.profile.funcs.line[func];
    const traced = jitLines?.get(file) ?? null;
    let scrollTo: HTMLElement | null = null;
    for (let i = 0; i < srcLines.length; i++) {
      const lineNo = i + 1;
      const c = perLine.get(lineNo);
      const heat = c && max > 0 ? c.total / max : 0;
      const traces = traced?.get(lineNo);
      const runs = coverage?.counts.get(lineNo);
      const mem = withMemory ? memory.get(lineNo) : undefined;
      const memCell = withMemory ? cell('num mem', mem && mem[allocColumn] > 0 ? `${formatMegabytes(mem[allocColumn])}` : '') : null;
      if (memCell && mem && mem[allocColumn] > 0) {
        memCell.style.setProperty('--mem-heat', (mem[allocColumn] / maxMemory).toFixed(3));
        memCell.title = metrics!.columns.map((col, k) => `${col.label}: ${formatMetric(mem[k], col.unit)}`).join('\n');
      }
      const row = h(
        'div',
        {
          class: `src-row${c ? ' hot' : ''}${line > 0 && lineNo === line ? ' at-line' : ''}${rowClass}`,
          'data-line': lineNo,
        },
        ...(coverage ? [cell('num runs', runs === undefined ? '' : formatCount(runs))] : []),
        ...(memCell ? [memCell] : []),
        cell('num', c ? formatCount(c.self) : ''),
        cell('num', c ? formatCount(c.total) : ''),
        cell('num', c ? formatPercent(c.total, vm.total) : ''),
        cell('lineno', String(lineNo)),
        h(
          'code',
          null,
          traces
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'jit-link',
                  title: `JIT traces with operations from this line: ${traces.join(', ')}`,
                  onclick: () => this.openTrace(traces[0], lineNo),
                },
                'JIT',
              )
            : null,
          srcLines[i],
        ),
      );
      if (heat > 0) row.style.setProperty('--heat', heat.toFixed(3));
      if (lineNo === firstLine) scrollTo = row;
      rows.push(row);
    }
    replaceChildren(
      this.element,
      h(
        'div',
        { class: 'src-header' },
        h('strong', null, file),
        h(
          'span',
          { class: 'loc' },
          hasLineData
            ? ' — heat: samples per line (self, total, % of total)'
            : callgrindLines
              ? " — heat: callgrind's exclusive cost per line (first event; calls made on a line are not included)"
              : " — this profile has no per-line samples: heat shows each function's total at its first line",
        ),
        coverage ? h('span', { class: 'loc src-coverage' }, `· runs: line executions from ${coverage.from}`) : null,
        withMemory
          ? h(
              'span',
              { class: 'loc src-memory' },
              '· memory: MB allocated on the line (measured, blue heat; hover for growth, peak, mallocs)',
            )
          : null,
      ),
      h(
        'div',
        { class: `src-cols${rowClass}` },
        ...(coverage ? [cell('num', 'Runs')] : []),
        ...(withMemory ? [cell('num', 'Memory')] : []),
        cell('num', 'Self'),
        cell('num', 'Total'),
        cell('num', '%'),
        cell('lineno', 'Line'),
        cell('code', 'Source'),
      ),
      h('div', { class: 'src-body' }, ...rows),
    );
    if (scrollTo) (scrollTo as HTMLElement).scrollIntoView({ block: 'center' });
  }
}
