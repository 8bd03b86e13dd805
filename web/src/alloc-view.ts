/**
 * Allocations (a recording made with `record --alloc`): where the program allocated, as a flame
 * graph over two tables — functions (self and total) and the sampled objects' types — by objects
 * or by bytes. The allocation samples are a profile of their own (src/model/allocations.ts),
 * attached to the time profile; the selected time range of the other views applies to them too
 * (their clock is the program's, shifted by the two profiles' start times).
 */
import type { Profile } from '../../src/model/profile.js';
import {
  allocationMeasures,
  allocationProfile,
  allocationsByType,
  weighByAllocation,
  type AllocationMeasure,
} from '../../src/model/allocations.js';
import { functionsByCost } from '../../src/model/analysis.js';
import { makePalette } from './colors.js';
import { h, replaceChildren } from './dom.js';
import { FlameCanvas, type Hit } from './flamecanvas.js';
import { formatBytes, formatCount, formatPercent } from './format.js';
import { Memo } from './memo.js';
import type { AppHost, View } from './registry.js';
import type { ViewState } from './state.js';
import { ViewModel } from './viewmodel.js';

/** Rows shown in each table (the largest). */
const MAX_ROWS = 200;

export class AllocationView implements View {
  readonly element: HTMLElement;
  private readonly header = h('div', { class: 'compare-header alloc-header' });
  private readonly note = h('div', { class: 'compare-note alloc-note' });
  private readonly canvasHost = h('div', { class: 'flame-host compare-flame alloc-flame' });
  private readonly tables = h('div', { class: 'compare-list alloc-tables', style: 'overflow:auto;display:flex;gap:16px;padding:4px 8px' });
  private readonly canvas: FlameCanvas;
  private readonly models = new Memo<ViewModel>();
  private measure: AllocationMeasure | null = null;
  private shown: ViewModel | null = null;
  private last: { vm: ViewModel; state: ViewState } | null = null;

  constructor(private readonly host: AppHost) {
    this.canvas = new FlameCanvas(this.canvasHost, {
      onHover: (hit, x, y) => this.tooltip(hit, x, y),
      onClick: (hit) => {
        if (hit) this.canvas.setViewport(hit.start, hit.end);
        else this.canvas.resetView();
      },
    });
    this.element = h('div', { class: 'panel-fill compare alloc-view' }, this.header, this.note, this.canvasHost, this.tables);
  }

  show(vm: ViewModel, state: ViewState): void {
    this.last = { vm, state };
    const alloc = allocationProfile(vm.base);
    if (!alloc) {
      replaceChildren(this.header);
      this.note.textContent =
        'This profile has no allocation samples. Record them with: pyrometer record --alloc -- python3 app.py (they go to OUT.alloc, read with the profile).';
      this.canvasHost.hidden = true;
      replaceChildren(this.tables);
      return;
    }
    this.canvasHost.hidden = false;
    const measures = allocationMeasures(alloc);
    if (this.measure === null || !measures.includes(this.measure)) this.measure = measures[0] ?? 'bytes';
    const measure = this.measure;
    // the range is on the time profile's clock; the allocation samples start at their own time
    const shift = vm.base.meta.startTime > 0 && alloc.meta.startTime > 0 ? alloc.meta.startTime - vm.base.meta.startTime : 0;
    const range: [number, number] | null = state.range ? [state.range[0] - shift, state.range[1] - shift] : null;
    const model = this.models.get([alloc, measure, range?.[0], range?.[1]], () => {
      const weighed = weighByAllocation(alloc, measure);
      return new ViewModel(weighed, { ...state, transforms: [], threads: [], range, search: '', hideIdle: false });
    });
    this.renderHeader(alloc, measures, measure, state);
    if (this.shown !== model) {
      this.shown = model;
      this.canvas.setNames(Array.from(alloc.funcs.name, (s) => alloc.strings[s]));
      this.canvas.palette = makePalette(model.profile, 'module', state.theme === 'dark', model.functions().total);
      this.canvas.showFlame(model.flameLayout(false), false);
    }
    this.renderTables(model, alloc, measure, range);
  }

  private renderHeader(alloc: Profile, measures: AllocationMeasure[], measure: AllocationMeasure, state: ViewState): void {
    const toggle = (m: AllocationMeasure, label: string) =>
      h(
        'button',
        {
          type: 'button',
          class: 'toggle',
          'aria-pressed': String(m === measure),
          disabled: !measures.includes(m),
          title: measures.includes(m) ? `Weigh each sample by the ${m} it stands for` : `This recording's samples have no ${m}`,
          onclick: () => {
            this.measure = m;
            if (this.last) this.show(this.last.vm, this.last.state);
          },
        },
        label,
      );
    const source = alloc.meta.extra.source ?? '';
    let samples = 0;
    for (const t of alloc.threads) samples += t.samples.length;
    replaceChildren(
      this.header,
      h('span', { class: 'muted' }, 'Weigh by:'),
      toggle('objects', 'Objects'),
      toggle('bytes', 'Bytes'),
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted alloc-source' }, `${formatCount(samples)} samples from ${source || 'an unknown source'}`),
    );
    const how =
      source === 'gc.callbacks'
        ? 'CPython: a sample at each automatic collection, every ~700 (3.13: 2000) container objects allocated and kept; bytes are estimated from the newest object. Objects freed at once and non-containers (int, str, bytes) are not seen.'
        : source.startsWith('gc.hooks')
          ? `PyPy: a sample at each minor collection (every ${formatBytes(Number(alloc.meta.extra.nursery_bytes) || 0)} allocated in the nursery), charged to the code running when PyPy calls the hook. Objects are not counted. This PyPy's _vmprof ${alloc.meta.extra.vmprof_allocation_sampling === 'yes' ? 'has' : 'has no'} allocation sampling of its own.`
          : '';
    this.note.textContent = `${how}${state.range ? ' Only the selected time range.' : ''}`;
  }

  private renderTables(model: ViewModel, alloc: Profile, measure: AllocationMeasure, range: [number, number] | null): void {
    const costs = model.functions();
    const total = model.total;
    const fmt = (v: number) => (measure === 'bytes' ? formatBytes(v) : formatCount(Math.round(v)));
    const order = functionsByCost(costs.total)
      .filter((f) => costs.total[f] > 0)
      .sort((a, b) => costs.self[b] - costs.self[a] || costs.total[b] - costs.total[a])
      .slice(0, MAX_ROWS);
    const cell = (text: string, num = true) => h('td', { style: num ? 'text-align:right;padding:1px 8px' : 'padding:1px 8px' }, text);
    const head = (...labels: string[]) =>
      h(
        'tr',
        null,
        ...labels.map((l, i) => h('th', { style: `text-align:${i < labels.length - 1 ? 'right' : 'left'};padding:1px 8px` }, l)),
      );
    const functions = h(
      'table',
      { class: 'alloc-functions' },
      h('caption', { style: 'text-align:left;font-weight:600' }, `Allocating functions (by ${measure})`),
      head('Self', 'Self %', 'Total', 'Total %', 'Function'),
      ...order.map((f) => {
        const file = alloc.funcs.file[f] >= 0 ? alloc.strings[alloc.funcs.file[f]] : '';
        const row = h(
          'tr',
          { title: `${file}:${alloc.funcs.line[f]}` },
          cell(fmt(costs.self[f])),
          cell(formatPercent(costs.self[f], total)),
          cell(fmt(costs.total[f])),
          cell(formatPercent(costs.total[f], total)),
          cell(`${alloc.strings[alloc.funcs.name[f]]}  ${file.split('/').pop()}:${alloc.funcs.line[f]}`, false),
        );
        return row;
      }),
    );
    const types = allocationsByType(alloc, measure, undefined, range ?? undefined).slice(0, MAX_ROWS);
    const typeTotal = types.reduce((s, t) => s + t[measure], 0);
    const typeTable = h(
      'table',
      { class: 'alloc-types' },
      h('caption', { style: 'text-align:left;font-weight:600' }, 'Types of the sampled objects'),
      head('Objects', 'Bytes', 'Share', 'Type'),
      ...types.map((t) =>
        h(
          'tr',
          null,
          cell(t.objects > 0 ? formatCount(Math.round(t.objects)) : '–'),
          cell(formatBytes(t.bytes)),
          cell(formatPercent(t[measure], typeTotal)),
          cell(t.name || '(unknown)', false),
        ),
      ),
    );
    replaceChildren(this.tables, functions, typeTable);
  }

  private tooltip(hit: Hit | null, x: number, y: number): void {
    const model = this.shown;
    if (!hit || !model) {
      this.host.hideTooltip();
      return;
    }
    const p = model.profile;
    const value = model.topDown().total[hit.node];
    const name = p.strings[p.funcs.name[hit.func]];
    const file = p.funcs.file[hit.func] >= 0 ? p.strings[p.funcs.file[hit.func]] : '';
    const amount = this.measure === 'bytes' ? formatBytes(value) : `${formatCount(Math.round(value))} objects`;
    this.host.placeTooltip(
      [
        h('div', { class: 'tt-name' }, name),
        h('div', null, `${amount} (${formatPercent(value, model.total)})`),
        h('div', { class: 'muted' }, file),
      ],
      x,
      y,
    );
  }
}
