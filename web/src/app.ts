/**
 * The viewer controller: owns the view state (mirrored in the URL hash), the
 * loaded profiles, the toolbar, breadcrumbs and tooltip, and feeds each view
 * the ViewModel of the current state.
 */
import type { Profile } from '../../src/model/profile.js';
import { funcName, profileDuration, totalSamples } from '../../src/model/profile.js';
import { idleStacks } from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import { h, replaceChildren } from './dom.js';
import { makePalette, type Palette } from './colors.js';
import { FlameCanvas, type Hit } from './flamecanvas.js';
import { formatMs, formatPercent, formatWeight, formatCount } from './format.js';
import { functionPaths, laneOfRow, layoutStackChart, markerTimeByCategory, stackLanes, type Lane, type StackChart } from './layout.js';
import { collectMarkers, categoryLabel, markerAxis, markerDataSummary, MarkerTrack, type MarkerItem } from './markers.js';
import type { ProfileSource } from './loader.js';
import { MemoryTrack, memorySeries } from './memory.js';
import { decodeState, encodeState, VIEW_NAMES, type ViewName, type ViewState, type ViewTransform } from './state.js';
import { toModelTransforms, ViewModel } from './viewmodel.js';
import { CallTreeView, FunctionTableView, SandwichView, SourceView, funcLocation, type ViewHost } from './views.js';

const VIEW_LABELS: Record<ViewName, string> = {
  flame: 'Flame graph',
  stack: 'Stack chart',
  tree: 'Call tree',
  functions: 'Functions',
  sandwich: 'Callers / callees',
  source: 'Source',
};

export interface TestHooks {
  /** performance.now() when the first flame graph was painted (ms since navigation). */
  firstFlamePaint: number | null;
  paints: number;
  lastPaintMs: number;
  /** Where the time to a first view went (ms): load = fetch + decode, weights, tree + layout. */
  timings: Record<string, number>;
  /** When an array, every paint's duration (ms) is appended (the viewer bench sets it). */
  paintLog: number[] | null;
  ready: boolean;
  error: string | null;
  canvas: FlameCanvas | null;
  markers: MarkerTrack | null;
}

declare global {
  interface Window { __pyrometer: TestHooks }
}

export class App implements ViewHost {
  private state: ViewState;
  private sources: ProfileSource[] = [];
  private profiles = new Map<number, Profile>();
  private base: Profile | null = null;
  private vm: ViewModel | null = null;
  private transformedKey = '';
  private transformed: Profile | null = null;
  private chartKey = '';
  private chart: StackChart | null = null;
  /** Threads shown as stack chart lanes (one lane when fewer than two threads are selected). */
  private lanes: Lane[] = [];
  private laneThreads: number[] = [];
  private markerKey = '';
  private phaseBase: Profile | null = null;
  private phaseText = '';
  private tooltipOwner: 'canvas' | 'markers' = 'canvas';
  private markerItems: MarkerItem[] = [];
  private palette: Palette | null = null;
  private paletteKey = '';
  private threadsOpen = false;
  private vmKey = '';
  private zoomTimer = 0;
  /** The encoded state whose zoom the canvas shows (so a re-render does not re-apply an old zoom). */
  private appliedZoom = '';
  private searchTimer = 0;
  private readonly hooks: TestHooks = { firstFlamePaint: null, paints: 0, lastPaintMs: 0, paintLog: null, timings: {}, ready: false, error: null, canvas: null, markers: null };

  private readonly root: HTMLElement;
  private readonly toolbar = h('div', { class: 'toolbar' });
  private readonly crumbs = h('div', { class: 'crumbs' });
  private readonly tabs = h('nav', { class: 'tabs', role: 'tablist' });
  private readonly selectionBar = h('div', { class: 'selection' });
  private readonly main = h('main', { class: 'main' });
  private readonly status = h('footer', { class: 'status' });
  private readonly tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  private readonly legend = h('div', { class: 'legend' });
  private readonly searchInfo = h('span', { class: 'search-info' });
  private readonly canvasPanel = h('div', { class: 'canvas-panel' });
  private readonly memoryPanel = h('div', { class: 'memory-panel', hidden: true });
  private readonly markersPanel = h('div', { class: 'markers-panel', hidden: true });
  private readonly flameHost = h('div', { class: 'flame-host' });
  private readonly chartThreadLabel = h('div', { class: 'chart-thread', hidden: true });
  private readonly canvasEmpty = h('div', { class: 'canvas-empty', hidden: true });
  private readonly canvas: FlameCanvas;
  private readonly memory: MemoryTrack;
  private readonly markers: MarkerTrack;
  private readonly treeView: CallTreeView;
  private readonly tableView: FunctionTableView;
  private readonly sandwichView: SandwichView;
  private readonly sourceView: SourceView;
  private readonly searchInput: HTMLInputElement;

  constructor(root: HTMLElement) {
    this.root = root;
    window.__pyrometer = this.hooks;
    this.state = decodeState(location_hash());
    this.canvasPanel.append(this.markersPanel, this.memoryPanel, this.flameHost);
    this.flameHost.append(this.chartThreadLabel, this.canvasEmpty);
    this.searchInput = h('input', { type: 'search', class: 'search', placeholder: 'Search functions (substring or /regex/)', 'aria-label': 'Search functions' });
    root.append(this.toolbar, this.crumbs, this.tabs, this.selectionBar, this.main, this.status, this.tooltip);
    this.main.append(this.canvasPanel);
    this.canvas = new FlameCanvas(this.flameHost, {
      // Leaving the canvas for the phases track must not hide the track's own tooltip.
      onHover: (hit, x, y) => { if (hit || this.tooltipOwner === 'canvas') this.showTooltip(hit, x, y); },
      onClick: (hit) => this.onCanvasClick(hit),
      onDoubleClick: (hit) => { if (hit) this.selectFunction(hit.func, 'source'); },
      onRangeSelect: (a, b) => this.update({ range: [a, b] }),
      onViewportChange: (x0, x1, whole) => {
        if (this.state.view === 'stack') { this.memory.setViewport(x0, x1); this.markers.setViewport(x0, x1); }
        // The zoom goes into the URL without a re-render (debounced: wheel events come at 60 per second).
        this.state = { ...this.state, zoom: whole ? null : [x0, x1] };
        this.appliedZoom = encodeState(this.state);
        clearTimeout(this.zoomTimer);
        this.zoomTimer = window.setTimeout(() => this.writeHash(), 250);
      },
      onPaint: (ms) => {
        this.hooks.paints++;
        this.hooks.lastPaintMs = ms;
        this.hooks.paintLog?.push(ms);
        if (this.hooks.firstFlamePaint === null && this.canvas.mode === 'flame' && this.canvas.flame) {
          this.hooks.firstFlamePaint = performance.now();
        }
      },
    });
    this.hooks.canvas = this.canvas;
    this.memory = new MemoryTrack(this.memoryPanel);
    this.markers = new MarkerTrack(this.markersPanel, (item, x, y) => this.showMarkerTooltip(item, x, y));
    this.hooks.markers = this.markers;
    // The wheel over the phases track zooms and pans the stack chart's window (the track follows it).
    this.markers.canvas.addEventListener('wheel', (e) => {
      if (this.state.view !== 'stack') return;
      e.preventDefault();
      const rect = this.markers.canvas.getBoundingClientRect();
      if (Math.abs(e.deltaY) > Math.abs(e.deltaX) && !e.shiftKey) this.canvas.zoom(Math.exp(e.deltaY * 0.002), (e.clientX - rect.left) / rect.width);
      else this.canvas.pan((e.shiftKey ? e.deltaY : e.deltaX) / rect.width);
    }, { passive: false });
    this.treeView = new CallTreeView(this);
    this.tableView = new FunctionTableView(this);
    this.sandwichView = new SandwichView(this);
    this.sourceView = new SourceView((path) => this.sources[this.state.profile].readSource(path));
    window.addEventListener('hashchange', () => {
      const next = decodeState(location_hash());
      if (encodeState(next) !== encodeState(this.state)) { this.state = next; void this.render(); }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === '/' && document.activeElement !== this.searchInput) { e.preventDefault(); this.searchInput.focus(); }
    });
    // The thread list closes when the user clicks anywhere else.
    document.addEventListener('mousedown', (e) => {
      if (this.threadsOpen && !(e.target as HTMLElement).closest('.threads')) {
        this.threadsOpen = false;
        this.toolbar.querySelector('details.threads')?.removeAttribute('open');
      }
    });
    this.installDrop();
    this.applyTheme();
  }

  async open(sources: ProfileSource[]): Promise<void> {
    this.sources = sources;
    this.profiles.clear();
    if (this.state.profile >= sources.length) this.state.profile = 0;
    await this.render();
  }

  showEmpty(message: string): void {
    replaceChildren(this.main, h('div', { class: 'dropzone' },
      h('p', null, message),
      h('p', null, 'Drop a profile file here, or ', this.filePicker('choose one'), '.')));
    this.hooks.ready = true;
  }

  private filePicker(label: string): HTMLElement {
    const input = h('input', { type: 'file', hidden: true, 'aria-label': 'Open a profile file' });
    input.addEventListener('change', () => { if (input.files?.[0]) void this.openFile(input.files[0]); });
    const button = h('button', { type: 'button', class: 'linklike', onclick: () => input.click() }, label);
    return h('span', null, button, input);
  }

  private async openFile(file: File): Promise<void> {
    const { fileSource } = await import('./loader.js');
    this.sources = [...this.sources, fileSource(file)];
    this.state = { ...this.state, profile: this.sources.length - 1, threads: [], range: null, transforms: [], func: -1 };
    this.main.replaceChildren(this.canvasPanel);
    await this.render();
  }

  private installDrop(): void {
    document.addEventListener('dragover', (e) => { e.preventDefault(); this.root.classList.add('dragging'); });
    document.addEventListener('dragleave', () => this.root.classList.remove('dragging'));
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      this.root.classList.remove('dragging');
      const file = e.dataTransfer?.files?.[0];
      if (file) void this.openFile(file);
    });
  }

  selectedFunction(): number {
    return this.state.func;
  }

  selectFunction(func: number, view?: ViewName): void {
    this.update({ func, ...(view ? { view } : {}) });
  }

  private writeHash(): void {
    const hash = encodeState(this.state);
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  }

  private update(patch: Partial<ViewState>): void {
    // A zoom belongs to one view and one selection: anything that changes them starts unzoomed.
    if ((patch.view !== undefined && patch.view !== this.state.view) || patch.profile !== undefined || patch.threads !== undefined
      || patch.transforms !== undefined || patch.range !== undefined || patch.hideIdle !== undefined || patch.inverted !== undefined) {
      if (patch.zoom === undefined) patch = { ...patch, zoom: null };
    }
    if (this.searchTimer !== 0) {
      // A search still being typed goes along with this change instead of being overwritten by it.
      clearTimeout(this.searchTimer);
      this.searchTimer = 0;
      if (patch.search === undefined) patch = { ...patch, search: this.searchInput.value };
    }
    this.state = { ...this.state, ...patch };
    const hash = encodeState(this.state);
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
    void this.render();
  }

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.state.theme;
    const css = getComputedStyle(document.documentElement);
    const v = (name: string) => css.getPropertyValue(name).trim();
    this.canvas.setTheme({ text: v('--frame-text'), background: v('--bg'), axis: v('--muted'), selection: v('--range'), highlight: v('--fg') });
    this.memory.setColors({ line: v('--mem-line'), fill: v('--mem-fill'), text: v('--fg'), background: v('--bg') });
    this.markers.setColors({ text: v('--frame-text'), background: v('--bg'), outline: v('--fg') }, this.state.theme === 'dark');
  }

  private async loadProfile(index: number): Promise<Profile> {
    let p = this.profiles.get(index);
    if (!p) {
      const t0 = performance.now();
      p = await this.sources[index].load();
      this.hooks.timings.load = performance.now() - t0;
      this.profiles.set(index, p);
    }
    return p;
  }

  private async render(): Promise<void> {
    const hash = encodeState(this.state);
    if (location_hash() !== hash) history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
    this.applyTheme();
    let base: Profile;
    try {
      if (!this.profiles.has(this.state.profile)) this.renderToolbar(null);
      base = await this.loadProfile(this.state.profile);
    } catch (err) {
      this.hooks.error = (err as Error).message;
      this.showEmpty(`Could not open ${this.sources[this.state.profile]?.name ?? 'the profile'}: ${(err as Error).message}`);
      return;
    }
    if (base !== this.base) {
      this.base = base;
      this.transformed = null;
      this.transformedKey = '';
      this.chart = null;
      this.chartKey = '';
      this.canvas.setNames(base.funcs.name.length ? Array.from(base.funcs.name, (s) => base.strings[s]) : []);
    }
    const tKey = JSON.stringify(this.state.transforms);
    if (tKey !== this.transformedKey || !this.transformed) {
      this.transformed = applyTransforms(base, toModelTransforms(this.state.transforms));
      this.transformedKey = tKey;
      this.chart = null;
    }
    const vmKey = ViewModel.key(this.state);
    if (!this.vm || vmKey !== this.vmKey) {
      const t0 = performance.now();
      this.vm = new ViewModel(base, this.state, this.transformed);
      this.hooks.timings.weights = performance.now() - t0;
      this.vmKey = vmKey;
    }
    const vm = this.vm;
    vm.setSearch(this.state.search, this.state.regex);
    // The legend and the JIT colouring follow the current selection, so the palette does too.
    const pKey = `${this.state.colorBy}|${this.state.theme}|${this.vmKey}`;
    if (pKey !== this.paletteKey) {
      this.palette = makePalette(base, this.state.colorBy, this.state.theme === 'dark', this.state.colorBy === 'module' ? vm.functions().total : undefined, vm.mostlyJit());
      this.paletteKey = pKey;
    }
    this.canvas.palette = this.palette;
    this.canvas.match = vm.match;
    this.canvas.selectedFunc = this.state.func;
    this.renderToolbar(vm);
    this.renderCrumbs(vm);
    this.renderTabs();
    this.renderSelection(vm);
    this.renderStatus(vm);
    this.renderView(vm);
    this.hooks.ready = true;
  }

  private renderView(vm: ViewModel): void {
    const view = this.state.view;
    const panels: Record<ViewName, HTMLElement> = {
      flame: this.canvasPanel,
      stack: this.canvasPanel,
      tree: this.treeView.element,
      functions: this.tableView.element,
      sandwich: this.sandwichView.element,
      source: this.sourceView.element,
    };
    const panel = panels[view];
    if (this.main.firstChild !== panel || this.main.childNodes.length !== 1) this.main.replaceChildren(panel);
    this.main.dataset.view = view;
    this.canvasEmpty.hidden = vm.total > 0;
    this.canvasEmpty.textContent = vm.base.threads.every((t) => t.samples.length === 0)
      ? 'This profile has no samples.'
      : 'No samples in this selection: the chosen threads, range, idle filter or focus leave nothing.';
    switch (view) {
      case 'flame': {
        this.memoryPanel.hidden = true;
        this.markersPanel.hidden = true;
        this.chartThreadLabel.hidden = true;
        this.canvas.icicle = this.state.icicle;
        const t0 = performance.now();
        const layout = vm.flameLayout(this.state.inverted);
        this.hooks.timings.layout ??= performance.now() - t0;
        const keep = this.canvas.mode === 'flame' && this.canvas.flame === layout;
        this.canvas.showFlame(layout, keep);
        this.applyZoom();
        this.canvas.range = null;
        break;
      }
      case 'stack': {
        const threads = this.chartThreads(vm.base);
        const key = `${threads.join(',')}|${this.state.hideIdle}|${this.transformedKey}`;
        if (!this.chart || key !== this.chartKey) {
          const p = vm.profile;
          const idle = this.state.hideIdle ? idleStacks(p) : null;
          const paths = functionPaths(p.stacks, p.frames.func);
          const nodeOf = paths.nodeOf;
          const charts = threads.map((t) => {
            const samples = p.threads[t]?.samples;
            return samples
              ? layoutStackChart(paths.table, samples.stack, samples.time, p.meta.interval, (s) => (s < 0 || (idle && idle[s]) ? -1 : nodeOf[s]))
              : { rows: [], startTime: 0, endTime: 1 };
          });
          if (charts.length > 1) {
            // Several threads: one lane each, under a shared time axis.
            const stacked = stackLanes(charts, threads.map((t) => threadLabel(vm.base, t)));
            this.chart = stacked.chart;
            this.lanes = stacked.lanes;
          } else {
            this.chart = charts[0] ?? { rows: [], startTime: 0, endTime: 1 };
            this.lanes = [];
          }
          this.laneThreads = threads;
          this.chartKey = key;
          this.canvas.showStackChart(this.chart, paths.func, false, this.lanes);
        } else {
          this.canvas.showStackChart(this.chart, this.canvas.stackFunc, true, this.lanes);
        }
        this.applyZoom();
        this.canvas.range = this.state.range;
        // One thread's timeline: say which, since the others may be selected too. Lanes carry their own names.
        this.chartThreadLabel.hidden = vm.base.threads.length < 2 || threads.length > 1;
        this.chartThreadLabel.textContent = `Timeline of ${threadLabel(vm.base, threads[0] ?? 0)}`;
        const series = memorySeries(vm.profile, this.state.threads);
        this.memory.setSeries(series);
        this.memory.setViewport(this.canvas.x0, this.canvas.x1);
        // GC and JIT phases (PyPy log markers) of the threads shown, on the same time axis.
        const markerKey = `${this.state.profile}|${threads.join(',')}`;
        const runMs = profileDuration(vm.base);
        const axis = markerAxis(vm.base, runMs);
        if (markerKey !== this.markerKey) {
          this.markerKey = markerKey;
          this.markerItems = collectMarkers(vm.base, threads, axis);
        }
        this.markers.setMarkers(this.markerItems, runMs, axis.proportional);
        this.markers.setViewport(this.canvas.x0, this.canvas.x1);
        this.canvas.resize();
        break;
      }
      case 'tree':
        this.treeView.show(vm, this.state.inverted);
        break;
      case 'functions':
        this.tableView.show(vm);
        break;
      case 'sandwich':
        this.sandwichView.show(vm, this.state.func);
        break;
      case 'source':
        void this.sourceView.show(vm, this.state.func);
        break;
    }
    this.renderLegend();
  }

  /** Shows the URL's zoom once (a link reopens the same window); later renders keep the user's own zoom. */
  private applyZoom(): void {
    const key = encodeState(this.state);
    if (key === this.appliedZoom) return;
    this.appliedZoom = key;
    if (this.state.zoom) this.canvas.setViewport(this.state.zoom[0], this.state.zoom[1]);
    else this.canvas.resetView();
  }

  /** The threads the stack chart shows: every selected one (one lane each), else the one with the most samples. */
  private chartThreads(p: Profile): number[] {
    const selected = this.state.threads.filter((t) => t < p.threads.length);
    if (selected.length > 0) return selected;
    if (p.threads.length === 0) return [];
    let best = 0;
    for (let t = 1; t < p.threads.length; t++) if (p.threads[t].samples.length > p.threads[best].samples.length) best = t;
    return [best];
  }

  private renderToolbar(vm: ViewModel | null): void {
    const s = this.state;
    const profileSelect = h('select', { 'aria-label': 'Profile', class: 'profile-select' });
    this.sources.forEach((src, i) => {
      const o = h('option', { value: i }, src.name);
      if (i === s.profile) o.selected = true;
      profileSelect.append(o);
    });
    profileSelect.addEventListener('change', () => this.update({ profile: Number(profileSelect.value), threads: [], range: null, transforms: [], func: -1 }));

    const threads = vm ? vm.base.threads : [];
    const threadBox = h('details', { class: 'threads' });
    const summary = h('summary', null, !vm ? 'Threads' : s.threads.length === 0 ? `All threads (${threads.length})`
      : s.threads.length === 1 && s.threads[0] < threads.length ? `Thread: ${threadLabel(vm.base, s.threads[0])}` : `${s.threads.length} threads`);
    const list = h('div', { class: 'thread-list' });
    const all = h('label', null, h('input', { type: 'checkbox', checked: s.threads.length === 0, onchange: () => this.update({ threads: [] }) }), 'All threads, merged');
    list.append(all);
    threads.forEach((t, i) => {
      const box = h('input', { type: 'checkbox', checked: s.threads.includes(i) });
      box.addEventListener('change', () => {
        const next = box.checked ? [...s.threads, i].sort((a, b) => a - b) : s.threads.filter((x) => x !== i);
        this.update({ threads: next });
      });
      list.append(h('label', null, box, `${threadLabel(vm!.base, i)} — ${formatCount(t.samples.length)} samples`));
    });
    threadBox.append(summary, list);
    threadBox.open = this.threadsOpen;
    threadBox.addEventListener('toggle', () => { this.threadsOpen = threadBox.open; });

    const idle = h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: s.hideIdle, onchange: (e: Event) => this.update({ hideIdle: (e.target as HTMLInputElement).checked }) }), 'Hide idle');

    this.searchInput.value = s.search;
    this.searchInput.oninput = () => {
      // Debounced: on a million-sample profile every keystroke would otherwise recompute the match.
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => { this.searchTimer = 0; this.update({ search: this.searchInput.value }); }, 120);
    };
    const regex = h('label', { class: 'check', title: 'Regular expression' }, h('input', { type: 'checkbox', checked: s.regex, onchange: (e: Event) => this.update({ regex: (e.target as HTMLInputElement).checked }) }), '.*');
    if (vm && vm.match) {
      let count = 0;
      for (let i = 0; i < vm.match.length; i++) count += vm.match[i];
      this.searchInfo.textContent = `${count} ${count === 1 ? 'function' : 'functions'} match, ${formatPercent(vm.matchWeight, vm.total)} of total`;
    } else {
      this.searchInfo.textContent = s.search && s.regex ? 'invalid regular expression' : '';
    }

    const colorBy = h('select', { 'aria-label': 'Colour by' }, h('option', { value: 'kind' }, 'Colour: kind'), h('option', { value: 'module' }, 'Colour: module'));
    colorBy.value = s.colorBy;
    colorBy.addEventListener('change', () => this.update({ colorBy: colorBy.value as 'kind' | 'module' }));
    const icicle = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(s.icicle), title: 'Draw the roots at the top (icicle) instead of the bottom', onclick: () => this.update({ icicle: !s.icicle }) }, 'Icicle');
    const invert = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(s.inverted), title: 'Bottom-up flame graph and call tree: start from the functions that spent the time', onclick: () => this.update({ inverted: !s.inverted }) }, 'Inverted');
    const stdlib = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(s.transforms.some((t) => t.type === 'hide-stdlib')), onclick: () => { if (!s.transforms.some((t) => t.type === 'hide-stdlib')) this.update({ transforms: [...s.transforms, { type: 'hide-stdlib' }] }); } }, 'Hide stdlib');
    const theme = h('button', { type: 'button', class: 'toggle', 'aria-label': 'Toggle dark theme', onclick: () => this.update({ theme: s.theme === 'dark' ? 'light' : 'dark' }) }, s.theme === 'dark' ? '☀ Light' : '☾ Dark');
    const open = this.filePicker('Open…');
    // Rebuilding the toolbar must not steal the caret from someone typing a search.
    const typing = document.activeElement === this.searchInput;
    const caret = [this.searchInput.selectionStart, this.searchInput.selectionEnd];
    replaceChildren(this.toolbar,
      h('span', { class: 'brand' }, 'pyrometer'), profileSelect, threadBox, idle,
      this.searchInput, regex, h('span', { class: 'spacer' }),
      icicle, invert, stdlib, colorBy, theme, open);
    if (typing) {
      this.searchInput.focus();
      this.searchInput.setSelectionRange(caret[0], caret[1]);
    }
  }

  private renderCrumbs(vm: ViewModel): void {
    const s = this.state;
    const items: HTMLElement[] = [h('button', { type: 'button', class: 'crumb root', onclick: () => this.update({ transforms: [], range: null }) }, 'Complete profile')];
    s.transforms.forEach((t, i) => {
      const label = transformLabel(vm.base, t);
      items.push(h('span', { class: 'crumb' }, label,
        h('button', { type: 'button', class: 'remove', 'aria-label': `Remove ${label}`, onclick: () => this.update({ transforms: s.transforms.filter((_, k) => k !== i) }) }, '×')));
    });
    if (s.range) {
      const label = `Range ${formatMs(s.range[0])} – ${formatMs(s.range[1])}`;
      items.push(h('span', { class: 'crumb range' }, label,
        h('button', { type: 'button', class: 'remove', 'aria-label': 'Remove range', onclick: () => this.update({ range: null }) }, '×')));
    }
    replaceChildren(this.crumbs, ...items, this.searchInfo, this.legend);
  }

  private renderLegend(): void {
    if (!this.palette) return;
    replaceChildren(this.legend, ...this.palette.legend.map((l) => h('span', { class: 'legend-item' }, h('i', { style: `background:${l.color}` }), l.label)));
  }

  private renderTabs(): void {
    replaceChildren(this.tabs, ...VIEW_NAMES.map((v) => {
      const b = h('button', { type: 'button', role: 'tab', class: `tab${v === this.state.view ? ' active' : ''}`, 'aria-selected': String(v === this.state.view), 'data-view': v, onclick: () => this.update({ view: v }) }, VIEW_LABELS[v]);
      return b;
    }));
  }

  private renderSelection(vm: ViewModel): void {
    const f = this.state.func;
    if (f < 0 || f >= vm.profile.funcs.length) {
      replaceChildren(this.selectionBar, h('span', { class: 'muted' }, 'Click a frame to select its function; hover for details; wheel to zoom, drag to pan.'));
      return;
    }
    const { self, total } = vm.functions();
    const s = this.state;
    const act = (label: string, t: ViewTransform) => h('button', { type: 'button', onclick: () => this.update({ transforms: [...s.transforms, t] }) }, label);
    replaceChildren(this.selectionBar,
      h('strong', { class: 'fn' }, funcName(vm.profile, f)), h('span', { class: 'loc' }, funcLocation(vm, f)),
      h('span', null, `total ${formatPercent(total[f], vm.total)} · self ${formatPercent(self[f], vm.total)}`),
      act('Focus on function', { type: 'focus-function', func: f }),
      act('Merge function', { type: 'merge-function', func: f }),
      act('Collapse recursion', { type: 'collapse-recursion', func: f }),
      h('button', { type: 'button', onclick: () => this.update({ view: 'sandwich' }) }, 'Callers / callees'),
      h('button', { type: 'button', onclick: () => this.update({ view: 'source' }) }, 'Source'),
      h('button', { type: 'button', class: 'remove', 'aria-label': 'Clear selection', onclick: () => this.update({ func: -1 }) }, '×'));
  }

  private renderStatus(vm: ViewModel): void {
    const m = vm.base.meta;
    const parts = [
      this.sources[this.state.profile]?.name ?? '',
      m.format + (m.interpreter ? ` · ${m.interpreter}` : ''),
      `${formatCount(totalSamples(vm.base))} samples`,
      `${vm.base.threads.length} thread${vm.base.threads.length === 1 ? '' : 's'}`,
      `duration ${formatMs(profileDuration(vm.base))}`,
      `selected ${formatWeight(vm.total, vm.unit)}`,
    ];
    if (m.approximateCallTree) parts.push('call tree approximated from caller/callee pairs');
    const phases = this.phaseShares(vm.base);
    if (phases) parts.push(phases);
    replaceChildren(this.status, parts.filter(Boolean).join(' · '), ...m.warnings.slice(0, 3).map((w) => h('span', { class: 'warning' }, ` ⚠ ${w}`)));
  }

  /** "GC 18.6% · JIT 9.5% of the run" for profiles with PyPy log markers (every view shows it in the status line). */
  private phaseShares(p: Profile): string {
    if (this.phaseBase === p) return this.phaseText;
    this.phaseBase = p;
    const items = collectMarkers(p, []);
    const run = profileDuration(p);
    const totals = markerTimeByCategory(items);
    const shares = ['gc', 'jit'].filter((c) => totals.has(c)).map((c) => `${categoryLabel(c)} ${formatPercent(totals.get(c)!, run)}`);
    this.phaseText = shares.length > 0 && run > 0 ? `${shares.join(' · ')} of the run` : '';
    return this.phaseText;
  }

  private onCanvasClick(hit: Hit | null): void {
    if (!hit) { this.update({ func: -1 }); return; }
    if (this.canvas.mode === 'flame') {
      // Click zooms to the frame and selects its function.
      this.canvas.setViewport(hit.start, hit.end);
    }
    this.update({ func: hit.func });
  }

  private showTooltip(hit: Hit | null, x: number, y: number): void {
    const vm = this.vm;
    this.tooltipOwner = 'canvas';
    if (!hit || !vm) { this.tooltip.hidden = true; return; }
    let self: number;
    let total: number;
    if (this.canvas.mode === 'flame' && this.canvas.flame) {
      const t = this.canvas.flame.tree;
      self = t.self[hit.node];
      total = t.total[hit.node];
    } else {
      const f = vm.functions();
      self = f.self[hit.func];
      total = f.total[hit.func];
    }
    const lines: HTMLElement[] = [
      h('div', { class: 'tt-name' }, funcName(vm.profile, hit.func)),
      h('div', { class: 'tt-loc' }, funcLocation(vm, hit.func) || '(no file)'),
      h('div', null, `Total: ${formatWeight(total, vm.unit)} (${formatPercent(total, vm.total)})`),
      h('div', null, `Self: ${formatWeight(self, vm.unit)} (${formatPercent(self, vm.total)})`),
    ];
    const jit = vm.jitSelf()[hit.func];
    if (jit > 0) {
      const ownSelf = vm.functions().self[hit.func];
      lines.push(h('div', null, `JIT: ${formatPercent(jit, ownSelf)} of the function's self time ran as JIT code`));
    }
    if (this.canvas.mode === 'stack') {
      const lane = laneOfRow(this.lanes, hit.row);
      if (lane >= 0) lines.push(h('div', null, `Thread: ${this.lanes[lane].label}`));
      lines.push(h('div', null, `Here: ${formatMs(hit.start)} – ${formatMs(hit.end)} (${formatMs(hit.end - hit.start)})`));
    }
    this.placeTooltip(lines, x, y);
  }

  private showMarkerTooltip(item: MarkerItem | null, x: number, y: number): void {
    this.tooltipOwner = 'markers';
    if (!item || !this.vm) { this.tooltip.hidden = true; return; }
    const lines: HTMLElement[] = [
      h('div', { class: 'tt-name' }, item.name || '(unnamed)'),
      h('div', { class: 'tt-loc' }, `${categoryLabel(item.category)} phase${this.vm.base.threads.length > 1 ? ` · ${threadLabel(this.vm.base, item.thread)}` : ''}`),
      h('div', null, `Duration: ${formatMs(item.wallEnd - item.wallStart)}`),
      h('div', null, `Start: ${formatMs(item.wallStart)} · end ${formatMs(item.wallEnd)} into the run`),
      ...markerDataSummary(item.data).map((l) => h('div', { class: 'tt-data' }, l)),
    ];
    this.placeTooltip(lines, x, y);
  }

  private placeTooltip(lines: HTMLElement[], x: number, y: number): void {
    replaceChildren(this.tooltip, ...lines);
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    const left = x + 14 + tw > window.innerWidth ? Math.max(0, x - tw - 10) : x + 14;
    const top = y + 14 + th > window.innerHeight ? Math.max(0, y - th - 10) : y + 14;
    this.tooltip.style.transform = `translate(${left}px, ${top}px)`;
  }
}

function location_hash(): string {
  return window.location.hash.replace(/^#/, '');
}

function threadLabel(p: Profile, i: number): string {
  const t = p.threads[i];
  if (!t) return 'no thread';
  return t.name ? `${t.name} (${t.id})` : `thread ${t.id}`;
}

function transformLabel(p: Profile, t: ViewTransform): string {
  const name = (f: number) => (f >= 0 && f < p.funcs.length ? funcName(p, f) : `#${f}`);
  switch (t.type) {
    case 'focus-function': return `Focus: ${name(t.func)}`;
    case 'merge-function': return `Merge: ${name(t.func)}`;
    case 'collapse-recursion': return `Collapse recursion: ${name(t.func)}`;
    case 'hide-stdlib': return 'Standard library hidden';
  }
}
