/**
 * Compare two loaded profiles: a differential flame graph (the "after" shape,
 * each call path coloured by how its share or time changed against the same
 * path in "before"; a toggle draws the "before" shape instead) over a function
 * table with before / after / delta / ratio, biggest change first. Matching and
 * normalisation are the model's (src/model/compare.ts), shared with `pyrometer diff`.
 */
import type { Profile } from '../../src/model/profile.js';
import {
  compareWeighted,
  CompareError,
  diffTree,
  transformsForOther,
  type Comparison,
  type Normalization,
  type TreeDiff,
} from '../../src/model/compare.js';
import { applyTransforms } from '../../src/model/transforms.js';
import { h, replaceChildren } from './dom.js';
import { FlameCanvas, type Hit } from './flamecanvas.js';
import { layoutFlame, type FlameLayout } from './layout.js';
import { Memo } from './memo.js';
import type { AppHost, View } from './registry.js';
import type { ViewState } from './state.js';
import { ViewModel } from './viewmodel.js';
import { toModelTransforms } from '../../src/model/view-transforms.js';
import { VirtualList } from './virtuallist.js';
import type { Palette } from './colors.js';

/** Diverging colours, faster (blue) to slower (red); index DIFF_STEPS is "unchanged". */
const DIFF_STEPS = 4;
const DIFF_FILLS = [
  'hsl(215 75% 45%)',
  'hsl(212 70% 58%)',
  'hsl(210 60% 70%)',
  'hsl(208 45% 82%)',
  'hsl(0 0% 84%)',
  'hsl(8 65% 82%)',
  'hsl(6 72% 70%)',
  'hsl(4 76% 58%)',
  'hsl(2 80% 46%)',
];
const DIMMED = DIFF_FILLS.length;

function diffPalette(funcs: number, dark: boolean): Palette {
  return {
    fills: [...DIFF_FILLS, dark ? 'hsl(0 0% 30%)' : 'hsl(0 0% 93%)'],
    dimmed: DIMMED,
    funcColor: new Uint8Array(funcs).fill(DIFF_STEPS),
    legend: [],
  };
}

/** Colour step of a change from `before` to `after`: relative to the larger of the two, in DIFF_STEPS steps each way. */
export function diffStep(before: number, after: number): number {
  const larger = Math.max(before, after);
  if (larger <= 0) return DIFF_STEPS;
  const rel = (after - before) / larger; // -1 (gone) .. +1 (new)
  // Changes under 2% of the node stay neutral: sampling noise should not paint the graph.
  if (Math.abs(rel) < 0.02) return DIFF_STEPS;
  return DIFF_STEPS + Math.max(-DIFF_STEPS, Math.min(DIFF_STEPS, Math.sign(rel) * Math.ceil(Math.abs(rel) * DIFF_STEPS)));
}

function formatValue(v: number, unit: Comparison['unit'], signed = false): string {
  const a = Math.abs(v);
  const digits = unit === '%' ? `${a.toFixed(a < 10 ? 2 : 1)}%` : `${a >= 100 ? Math.round(a).toLocaleString('en-US') : a.toFixed(1)} ms`;
  // A change that rounds to zero gets no sign ("−0.00%" reads as a loss).
  const sign = !signed || /^[0.]+(%| ms)$/.test(digits) ? '' : v > 0 ? '+' : '−';
  return sign + digits;
}

function formatRatio(r: number, before: number, after: number): string {
  if (before === 0 && after === 0) return '–';
  if (r === Infinity) return 'new';
  if (r === 0) return 'gone';
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

interface Shown {
  diff: TreeDiff;
  layout: FlameLayout;
  colors: Uint8Array;
  profile: Profile;
}

export class CompareView implements View {
  readonly element: HTMLElement;
  private readonly header = h('div', { class: 'compare-header' });
  private readonly note = h('div', { class: 'compare-note' });
  private readonly canvasHost = h('div', { class: 'flame-host compare-flame' });
  private readonly canvas: FlameCanvas;
  private readonly list: VirtualList;
  private readonly beforeVm = new Memo<ViewModel>();
  private readonly table = new Memo<Comparison | string>();
  private readonly shownDiff = new Memo<Shown | string>();
  private comparison: Comparison | null = null;
  private drawn: 'after' | 'before' = 'after';
  private shown: Shown | null = null;
  private request = 0;

  constructor(private readonly host: AppHost) {
    this.canvas = new FlameCanvas(this.canvasHost, {
      onHover: (hit, x, y) => this.tooltip(hit, x, y),
      onClick: (hit) => {
        if (hit && this.shown) this.canvas.setViewport(hit.start, hit.end);
        else this.canvas.resetView();
      },
      // When the differential flame graph first appeared (ms since navigation; bench:viewer reads it).
      onPaint: () => this.host.timing('firstComparePaint', performance.now()),
    });
    this.list = new VirtualList((i, row) => this.renderRow(i, row), 'compare-table');
    const cols = h(
      'div',
      { class: 'list-header compare-cols' },
      h('span', { class: 'num' }, 'Before'),
      h('span', { class: 'num' }, 'After'),
      h('span', { class: 'num' }, 'Delta'),
      h('span', { class: 'num' }, 'Ratio'),
      h('span', { class: 'name' }, 'Function (self time, biggest change first)'),
    );
    this.element = h(
      'div',
      { class: 'panel-fill compare' },
      this.header,
      this.note,
      this.canvasHost,
      h('div', { class: 'compare-list list-panel' }, cols, this.list.element),
    );
  }

  async show(vm: ViewModel, state: ViewState): Promise<void> {
    const request = ++this.request;
    const names = this.host.profileNames();
    const beforeIndex =
      state.compare >= 0 && state.compare < names.length && state.compare !== state.profile ? state.compare : state.profile === 0 ? 1 : 0;
    this.renderHeader(state, names, beforeIndex);
    let before: Profile;
    try {
      before = await this.host.loadProfile(beforeIndex);
    } catch (err) {
      this.note.textContent = `Could not open ${names[beforeIndex]}: ${(err as Error).message}`;
      return;
    }
    if (request !== this.request) return;
    const t0 = performance.now();
    // "Before" gets the same transforms (focus, merge, collapse...) through the cross-profile function matching, and the
    // same idle choice; its threads and range are its own.
    const bvm = this.beforeVm.get([before, vm.base, JSON.stringify(state.transforms), state.hideIdle], () => {
      const transforms = transformsForOther(toModelTransforms(state.transforms), vm.base, before);
      const beforeState = { ...state, transforms: [], threads: [], range: null, search: '' };
      return new ViewModel(before, beforeState, applyTransforms(before, transforms));
    });
    const norm: Normalization = state.diffNorm;
    const cmp = this.table.get([bvm, vm, norm], () => {
      try {
        return compareWeighted(bvm.profile, bvm.weights, vm.profile, vm.weights, norm);
      } catch (err) {
        if (err instanceof CompareError) return err.message;
        throw err;
      }
    });
    const shown = this.shownDiff.get([bvm, vm, norm, state.diffShow], () => {
      const [a, b] = state.diffShow === 'after' ? [vm, bvm] : [bvm, vm];
      let diff: TreeDiff;
      try {
        diff = diffTree(a.topDown(), a.profile, a.total, b.topDown(), b.profile, b.total, norm);
      } catch (err) {
        if (err instanceof CompareError) return err.message;
        throw err;
      }
      const colors = new Uint8Array(diff.tree.length);
      for (let n = 0; n < colors.length; n++) {
        colors[n] = state.diffShow === 'after' ? diffStep(diff.other[n], diff.shown[n]) : diffStep(diff.shown[n], diff.other[n]);
      }
      return { diff, layout: layoutFlame(diff.tree), colors, profile: a.profile };
    });
    if (typeof cmp === 'string' || typeof shown === 'string') {
      this.note.textContent = `${typeof cmp === 'string' ? cmp : shown} — switch to "share of total".`;
      this.comparison = null;
      this.shown = null;
      this.list.setCount(0);
      return;
    }
    this.host.timing('compare', performance.now() - t0);
    this.comparison = cmp;
    const how = norm === 'share' ? "as a share of each profile's own total" : 'in milliseconds';
    const both = state.transforms.length > 0 ? " The view's transforms apply to both profiles." : '';
    this.note.textContent = `Compared ${how}; functions and call paths matched by name and file name (lines and directories may differ).${both} Red: grew from before to after; blue: shrank; grey: the same.`;
    this.drawn = state.diffShow;
    if (this.shown !== shown) {
      this.shown = shown;
      this.canvas.setNames(Array.from(shown.profile.funcs.name, (s) => shown.profile.strings[s]));
      this.canvas.palette = diffPalette(shown.profile.funcs.length, state.theme === 'dark');
      this.canvas.nodeColor = shown.colors;
      this.canvas.showFlame(shown.layout, false);
    }
    this.list.setCount(cmp.functions.length);
    this.list.refresh();
  }

  private renderHeader(state: ViewState, names: string[], beforeIndex: number): void {
    const select = h('select', { 'aria-label': 'Before profile', class: 'compare-before' });
    names.forEach((name, i) => {
      if (i === state.profile) return;
      const o = h('option', { value: i }, name);
      if (i === beforeIndex) o.selected = true;
      select.append(o);
    });
    select.addEventListener('change', () => this.host.update({ compare: Number(select.value) }, 'push'));
    const toggle = (label: string, pressed: boolean, patch: Partial<ViewState>, title: string) =>
      h(
        'button',
        { type: 'button', class: 'toggle', 'aria-pressed': String(pressed), title, onclick: () => this.host.update(patch, 'push') },
        label,
      );
    replaceChildren(
      this.header,
      h('label', null, 'Before: ', select),
      h('span', { class: 'compare-after' }, `After: ${names[state.profile] ?? ''}`),
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted' }, 'Normalise:'),
      toggle(
        'Share of total',
        state.diffNorm === 'share',
        { diffNorm: 'share' },
        "Each function as a share of its own profile's total (works for any two profiles)",
      ),
      toggle('Time', state.diffNorm === 'time', { diffNorm: 'time' }, 'Absolute milliseconds (both profiles must measure time)'),
      h('span', { class: 'muted' }, 'Draw:'),
      toggle('After', state.diffShow === 'after', { diffShow: 'after' }, "The after profile's call tree, coloured by change"),
      toggle('Before', state.diffShow === 'before', { diffShow: 'before' }, "The before profile's call tree, coloured by change"),
      h(
        'span',
        { class: 'diff-legend' },
        h('i', { style: `background:${DIFF_FILLS[0]}` }),
        'faster',
        h('i', { style: `background:${DIFF_FILLS[DIFF_STEPS]}` }),
        'same',
        h('i', { style: `background:${DIFF_FILLS[DIFF_FILLS.length - 1]}` }),
        'slower',
      ),
    );
  }

  private renderRow(i: number, row: HTMLDivElement): void {
    const cmp = this.comparison;
    if (!cmp) return;
    const f = cmp.functions[i];
    row.className = 'vlist-row compare-cols';
    const delta = h('span', { class: `num ${f.delta > 0 ? 'grew' : f.delta < 0 ? 'shrank' : ''}` }, formatValue(f.delta, cmp.unit, true));
    row.append(
      h('span', { class: 'num' }, formatValue(f.beforeSelf, cmp.unit)),
      h('span', { class: 'num' }, formatValue(f.afterSelf, cmp.unit)),
      delta,
      h('span', { class: 'num' }, formatRatio(f.ratio, f.beforeSelf, f.afterSelf)),
      h('span', { class: 'name' }, h('span', { class: 'fn' }, f.name), h('span', { class: 'loc' }, f.file)),
    );
    row.title = `${f.name} (${f.file || 'no file'})\ntotal: ${formatValue(f.beforeTotal, cmp.unit)} → ${formatValue(f.afterTotal, cmp.unit)}`;
  }

  private tooltip(hit: Hit | null, x: number, y: number): void {
    const shown = this.shown;
    if (!hit || !shown || !this.comparison) {
      this.host.hideTooltip();
      return;
    }
    const unit = this.comparison.unit;
    const { diff } = shown;
    const after = diff.shown[hit.node];
    const other = diff.other[hit.node];
    const [b, a] = this.drawn === 'after' ? [other, after] : [after, other];
    const name = shown.profile.strings[shown.profile.funcs.name[hit.func]];
    this.host.placeTooltip(
      [
        h('div', { class: 'tt-name' }, name),
        h('div', null, `Before: ${formatValue(b, unit)} · after: ${formatValue(a, unit)}`),
        h(
          'div',
          null,
          `Change: ${formatValue(a - b, unit, true)}${b > 0 ? ` (${formatRatio(a / b, b, a)})` : a > 0 ? ' (new call path)' : ''}`,
        ),
      ],
      x,
      y,
    );
  }
}
