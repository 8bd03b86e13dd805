/**
 * The DOM views: call tree (top-down and inverted), function table,
 * callers/callees (sandwich) and source with line heat. Each is fed a
 * ViewModel and reports selections back through the host.
 */
import type { CallTree } from '../../src/model/analysis.js';
import { callersAndCallees } from '../../src/model/analysis.js';
import { funcFile, funcName } from '../../src/model/profile.js';
import { h, replaceChildren } from './dom.js';
import { formatCount, formatPercent, formatWeight } from './format.js';
import type { ViewModel } from './viewmodel.js';
import { VirtualList } from './virtuallist.js';
import { isSourceFileName } from '../../src/model/source-files.js';

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

  constructor(private readonly host: ViewHost) {
    this.list = new VirtualList((i, row) => this.renderRow(i, row), 'calltree');
    const header = h('div', { class: 'list-header tree-cols' },
      cell('num', 'Total'), cell('num', 'Total %'), cell('num', 'Self'), cell('num', 'Self %'), cell('name', 'Function'));
    this.element = h('div', { class: 'panel-fill list-panel' }, header, this.list.element);
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
      this.expanded.clear();
      // Open the heaviest path a few levels deep, as profilers do.
      let node = tree.roots.length > 0 ? tree.roots[0] : -1;
      for (let d = 0; d < 8 && node >= 0; d++) {
        this.expanded.add(node);
        node = tree.childCount[node] > 0 && tree.total[tree.children[tree.childStart[node]]] > tree.total[node] * 0.5 ? tree.children[tree.childStart[node]] : -1;
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
    row.className = `vlist-row tree-cols${i === this.cursor ? ' cursor' : ''}${func === this.host.selectedFunction() ? ' selected' : ''}${vm.match && vm.match[func] ? ' match' : ''}`;
    const hasChildren = tree.childCount[n] > 0;
    const twisty = h('span', { class: 'twisty' }, hasChildren ? (this.expanded.has(n) ? '▾' : '▸') : ' ');
    const name = h('span', { class: 'name', style: `padding-left:${tree.depth[n] * 12}px` }, twisty,
      h('span', { class: 'fn' }, funcName(vm.profile, func)), h('span', { class: 'loc' }, funcLocation(vm, func)));
    row.append(
      cell('num', formatCount(tree.total[n])), cell('num', formatPercent(tree.total[n], vm.total)),
      cell('num', formatCount(tree.self[n])), cell('num', formatPercent(tree.self[n], vm.total)), name);
    row.title = `${funcName(vm.profile, func)}\n${funcLocation(vm, func)}`;
  }

  private onKey(e: KeyboardEvent): void {
    const tree = this.tree;
    if (!tree || this.visible.length === 0) return;
    const n = this.visible[this.cursor];
    let handled = true;
    switch (e.key) {
      case 'ArrowDown': this.cursor = Math.min(this.visible.length - 1, this.cursor + 1); break;
      case 'ArrowUp': this.cursor = Math.max(0, this.cursor - 1); break;
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
      case 'Enter': this.host.selectFunction(tree.func[n]); break;
      default: handled = false;
    }
    if (!handled) return;
    e.preventDefault();
    this.list.scrollToRow(this.cursor);
    this.list.refresh();
  }
}

type SortKey = 'self' | 'total' | 'name';

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
      const el = h('button', { class: `${cls} sort${this.sort === key ? ' active' : ''}`, type: 'button', onclick: () => { this.sort = key; this.show(vm); } },
        label + (this.sort === key ? (key === 'name' ? ' ▴' : ' ▾') : ''));
      return el;
    };
    replaceChildren(this.header,
      sortable('self', 'Self', 'num'), cell('num', 'Self %'), sortable('total', 'Total', 'num'), cell('num', 'Total %'),
      cell('num', vm.hasJit() ? 'JIT %' : ''), sortable('name', 'Function', 'name'));
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
    row.className = `vlist-row func-cols${f === this.host.selectedFunction() ? ' selected' : ''}`;
    row.append(
      cell('num', formatCount(self[f])), cell('num', formatPercent(self[f], vm.total)),
      cell('num', formatCount(total[f])), cell('num', formatPercent(total[f], vm.total)),
      cell('num', jit && self[f] > 0 ? formatPercent(jit[f], self[f]) : ''),
      h('span', { class: 'name' }, h('span', { class: 'fn' }, funcName(vm.profile, f)), h('span', { class: 'loc' }, funcLocation(vm, f))));
  }
}

/** Callers and callees of the selected function. */
export class SandwichView {
  readonly element: HTMLDivElement;

  constructor(private readonly host: ViewHost) {
    this.element = h('div', { class: 'panel-fill sandwich' });
  }

  show(vm: ViewModel, func: number): void {
    if (func < 0 || func >= vm.profile.funcs.length) {
      replaceChildren(this.element, h('p', { class: 'empty' }, 'Select a function (click it in any view) to see its callers and callees.'));
      return;
    }
    const data = callersAndCallees(vm.profile, vm.weights, func);
    const table = (title: string, rows: { func: number; weight: number }[]) => h('section', { class: 'sandwich-part' },
      h('h3', null, title),
      rows.length === 0 ? h('p', { class: 'empty' }, 'none') : h('div', { class: 'rows' }, ...rows.map((r) => {
        const el = h('div', { class: 'srow', tabindex: 0 },
          cell('num', formatCount(r.weight)), cell('num', formatPercent(r.weight, vm.total)),
          h('span', { class: 'name' }, h('span', { class: 'fn' }, funcName(vm.profile, r.func)), h('span', { class: 'loc' }, funcLocation(vm, r.func))));
        el.addEventListener('click', () => this.host.selectFunction(r.func, 'sandwich'));
        el.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.host.selectFunction(r.func, 'sandwich'); });
        return el;
      })));
    replaceChildren(this.element,
      table('Callers', data.callers),
      h('section', { class: 'sandwich-self' },
        h('h3', null, funcName(vm.profile, func)),
        h('p', { class: 'loc' }, funcLocation(vm, func)),
        h('p', null, `Total ${formatWeight(data.total, vm.unit)} (${formatPercent(data.total, vm.total)}), self ${formatWeight(data.self, vm.unit)} (${formatPercent(data.self, vm.total)})`)),
      table('Callees', data.callees));
  }
}

/** The selected function's file with per-line sample counts as heat. */
export class SourceView {
  readonly element: HTMLDivElement;
  private request = 0;

  constructor(private readonly readSource: (path: string) => Promise<string>) {
    this.element = h('div', { class: 'panel-fill source' });
  }

  private message(text: string): void {
    replaceChildren(this.element, h('p', { class: 'empty source-unavailable' }, text));
  }

  async show(vm: ViewModel, func: number): Promise<void> {
    const request = ++this.request;
    if (func < 0 || func >= vm.profile.funcs.length) return this.message('Select a function to see its source.');
    const file = funcFile(vm.profile, func);
    const name = funcName(vm.profile, func);
    if (!file) return this.message(`Source unavailable: the profile records no file for ${name}.`);
    if (!isSourceFileName(file)) return this.message(`Source unavailable: ${file} is not a source file (only .py, .pyx, .c and similar files are shown).`);
    // Sum line costs of every function in this file.
    const perLine = new Map<number, { self: number; total: number }>();
    const lines = vm.lines();
    const fileIndex = vm.profile.funcs.file[func];
    let hasLineData = false;
    for (const [f, costs] of lines) {
      if (vm.profile.funcs.file[f] !== fileIndex) continue;
      for (const [line, c] of costs) {
        if (line <= 0) continue;
        hasLineData = true;
        const acc = perLine.get(line) ?? { self: 0, total: 0 };
        acc.self += c.self;
        acc.total += c.total;
        perLine.set(line, acc);
      }
    }
    if (!hasLineData) {
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
    try {
      text = await this.readSource(file);
    } catch (err) {
      if (request === this.request) this.message(`Source unavailable: ${(err as Error).message}`);
      return;
    }
    if (request !== this.request) return;
    let max = 0;
    for (const c of perLine.values()) max = Math.max(max, c.total);
    const srcLines = text.split(/\r?\n/);
    const rows: HTMLElement[] = [];
    const firstLine = vm.profile.funcs.line[func];
    let scrollTo: HTMLElement | null = null;
    for (let i = 0; i < srcLines.length; i++) {
      const line = i + 1;
      const c = perLine.get(line);
      const heat = c && max > 0 ? c.total / max : 0;
      const row = h('div', { class: `src-row${c ? ' hot' : ''}`, 'data-line': line },
        cell('num', c ? formatCount(c.self) : ''),
        cell('num', c ? formatCount(c.total) : ''),
        cell('num', c ? formatPercent(c.total, vm.total) : ''),
        cell('lineno', String(line)),
        h('code', null, srcLines[i]));
      if (heat > 0) row.style.setProperty('--heat', heat.toFixed(3));
      if (line === firstLine) scrollTo = row;
      rows.push(row);
    }
    replaceChildren(this.element,
      h('div', { class: 'src-header' },
        h('strong', null, file),
        h('span', { class: 'loc' }, hasLineData ? ' — heat: samples per line (self, total, % of total)' : ' — this profile has no per-line samples: heat shows each function\'s total at its first line')),
      h('div', { class: 'src-cols' }, cell('num', 'Self'), cell('num', 'Total'), cell('num', '%'), cell('lineno', 'Line'), cell('code', 'Source')),
      h('div', { class: 'src-body' }, ...rows));
    if (scrollTo) (scrollTo as HTMLElement).scrollIntoView({ block: 'center' });
  }
}
