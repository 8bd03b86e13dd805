/**
 * The viewer controller: owns the view state (mirrored in the URL hash), the
 * loaded profiles, the toolbar, breadcrumbs and tooltip, and feeds each view
 * the ViewModel of the current state.
 */
import type { Profile } from '../../src/model/profile.js';
import { CATEGORIES, funcName, profileDuration, totalSamples } from '../../src/model/profile.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import { h, replaceChildren } from './dom.js';
import { makePalette, makeTimePalette, type Palette } from './colors.js';
import { CanvasArea, StackChartView, threadLabel } from './canvas-views.js';
import type { FlameCanvas, Hit } from './flamecanvas.js';
import { formatMs, formatPercent, formatWeight, formatCount } from './format.js';
import { laneOfRow, markerTimeByCategory, type FlameLayout } from './layout.js';
import { collectMarkers, categoryLabel, markerDataSummary, type MarkerItem, type MarkerTrack } from './markers.js';
import type { ProfileSource } from './loader.js';
import { Memo } from './memo.js';
import { VIEWS, VIEW_NAMES, type AppHost, type View } from './registry.js';
import { decodeState, encodeState, type ViewName, type ViewState, type ViewTransform } from './state.js';
import { ViewModel } from './viewmodel.js';
import { toModelTransforms, transformLabel } from '../../src/model/view-transforms.js';
import { funcLocation } from './views.js';
import { TIME_CLASS_COUNT, TIME_CLASS_LABELS, TIME_CLASSES } from '../../src/model/time-split.js';

export interface TestHooks {
  /** performance.now() when the first flame graph was painted (ms since navigation). */
  firstFlamePaint: number | null;
  /** The layout that first paint drew (the top of the bottom-up tree when a big profile opens inverted). */
  firstFlameLayout: FlameLayout | null;
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
  interface Window {
    __pyrometer: TestHooks;
  }
}

export class App implements AppHost {
  private state: ViewState;
  private sources: ProfileSource[] = [];
  /** Loads under way or done, so two views asking for one profile share one fetch. */
  private profiles = new Map<number, Promise<Profile>>();
  private readonly transformed = new Memo<Profile>();
  private readonly viewModel = new Memo<ViewModel>();
  private readonly paletteMemo = new Memo<Palette>();
  private readonly phaseText = new Memo<string>();
  private readonly wholeTotal = new Memo<number>();
  private vm: ViewModel | null = null;
  /** Profiles whose load finished, by index (views offered only for some profiles look here). */
  private readonly loaded = new Map<number, Profile>();
  private tooltipOwner: 'canvas' | 'markers' = 'canvas';
  private threadsOpen = false;
  private zoomTimer = 0;
  private searchTimer = 0;
  private readonly views = new Map<string, View>();
  private readonly hooks: TestHooks = {
    firstFlamePaint: null,
    firstFlameLayout: null,
    paints: 0,
    lastPaintMs: 0,
    paintLog: null,
    timings: {},
    ready: false,
    error: null,
    canvas: null,
    markers: null,
  };

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
  readonly canvasArea: CanvasArea;
  private readonly canvas: FlameCanvas;
  private readonly memory;
  private readonly markers: MarkerTrack;
  private readonly searchInput: HTMLInputElement;
  private help: HTMLElement | null = null;

  constructor(root: HTMLElement) {
    this.root = root;
    window.__pyrometer = this.hooks;
    this.state = decodeState(location_hash(), VIEW_NAMES);
    this.searchInput = h('input', {
      type: 'search',
      class: 'search',
      placeholder: 'Search functions (substring or /regex/)',
      'aria-label': 'Search functions',
    });
    root.append(this.toolbar, this.crumbs, this.tabs, this.selectionBar, this.main, this.status, this.tooltip);
    this.canvasArea = new CanvasArea(
      {
        // Leaving the canvas for the phases track must not hide the track's own tooltip.
        onHover: (hit, x, y) => {
          if (hit || this.tooltipOwner === 'canvas') this.showTooltip(hit, x, y);
        },
        onClick: (hit) => this.onCanvasClick(hit),
        onDoubleClick: (hit) => {
          if (hit) this.selectFunction(hit.func, 'source');
        },
        onRangeSelect: (a, b) => this.update({ range: [a, b] }, 'push'),
        onViewportChange: (x0, x1, whole) => {
          if (this.state.view === 'stack') {
            this.memory.setViewport(x0, x1);
            this.markers.setViewport(x0, x1);
          }
          // The zoom goes into the URL without a re-render (debounced: wheel events come at 60 per second).
          this.state = { ...this.state, zoom: whole ? null : [x0, x1] };
          this.canvasArea.zoomApplied(this.state);
          clearTimeout(this.zoomTimer);
          this.zoomTimer = window.setTimeout(() => this.writeUrl('replace'), 250);
        },
        onPaint: (ms) => {
          this.hooks.paints++;
          this.hooks.lastPaintMs = ms;
          this.hooks.paintLog?.push(ms);
          if (this.hooks.firstFlamePaint === null && this.canvas.mode === 'flame' && this.canvas.flame) {
            this.hooks.firstFlamePaint = performance.now();
            this.hooks.firstFlameLayout = this.canvas.flame;
          }
        },
      },
      (item, x, y) => this.showMarkerTooltip(item, x, y),
    );
    this.canvas = this.canvasArea.canvas;
    this.memory = this.canvasArea.memory;
    this.markers = this.canvasArea.markers;
    this.main.append(this.canvasArea.panel);
    this.hooks.canvas = this.canvas;
    this.hooks.markers = this.markers;
    // The wheel over the phases track zooms and pans the stack chart's window (the track follows it).
    this.markers.canvas.addEventListener(
      'wheel',
      (e) => {
        if (this.state.view !== 'stack') return;
        e.preventDefault();
        const rect = this.markers.canvas.getBoundingClientRect();
        if (Math.abs(e.deltaY) > Math.abs(e.deltaX) && !e.shiftKey)
          this.canvas.zoom(Math.exp(e.deltaY * 0.002), (e.clientX - rect.left) / rect.width);
        else this.canvas.pan((e.shiftKey ? e.deltaY : e.deltaX) / rect.width);
      },
      { passive: false },
    );
    // Back and Forward walk the states the user went through (each change pushed a history entry).
    window.addEventListener('popstate', () => this.followUrl());
    window.addEventListener('hashchange', () => this.followUrl());
    document.addEventListener('keydown', (e) => this.onKey(e));
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

  private followUrl(): void {
    const next = decodeState(location_hash(), VIEW_NAMES);
    if (encodeState(next) !== encodeState(this.state)) {
      this.state = next;
      void this.render();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === 'Escape' && this.help) {
      this.toggleHelp();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '/') {
      e.preventDefault();
      this.searchInput.focus();
    } else if (e.key === '?') {
      e.preventDefault();
      this.toggleHelp();
    } else if (/^[1-9]$/.test(e.key)) {
      const views = this.availableViews();
      const v = views[Number(e.key) - 1];
      if (v) this.update({ view: v.name }, 'push');
    }
  }

  /** The keyboard shortcuts, shown with `?`. */
  private toggleHelp(): void {
    if (this.help) {
      this.help.remove();
      this.help = null;
      return;
    }
    const row = (keys: string[], what: string) =>
      h('tr', null, h('td', null, ...keys.flatMap((k, i) => [i > 0 ? ' ' : '', h('kbd', null, k)])), h('td', null, what));
    const card = h(
      'div',
      { class: 'help-card', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
      h('h3', null, 'Keyboard shortcuts'),
      h(
        'table',
        null,
        row(['?'], 'show or hide this help'),
        row(['/'], 'search functions (substring, or /regex/)'),
        row(['1', '…', '7'], 'switch view (in tab order)'),
        row(['←', '→', '↑', '↓'], 'flame graph: walk frames; stack chart: pan and scroll'),
        row(['Enter'], 'zoom to and select the frame under the cursor'),
        row(['+', '-'], 'zoom in, out'),
        row(['0', 'Esc'], 'reset the zoom'),
        row(['wheel'], 'zoom (stack chart with several threads: scroll lanes; Ctrl+wheel zooms)'),
        row(['drag'], "pan; on the stack chart's time axis: select a range"),
        row(['Back'], 'undo the last view change'),
      ),
      h('p', { class: 'muted' }, 'Press ? or Esc to close.'),
    );
    this.help = h(
      'div',
      {
        class: 'help',
        onclick: (e: Event) => {
          if (e.target === this.help) this.toggleHelp();
        },
      },
      card,
    );
    document.body.append(this.help);
  }

  async open(sources: ProfileSource[]): Promise<void> {
    this.sources = sources;
    this.profiles.clear();
    if (this.state.profile >= sources.length) this.state.profile = 0;
    await this.render();
  }

  showEmpty(message: string): void {
    replaceChildren(
      this.main,
      h(
        'div',
        { class: 'dropzone' },
        h('p', null, message),
        h('p', null, 'Drop a profile file here, or ', this.filePicker('choose one'), '.'),
      ),
    );
    this.hooks.ready = true;
  }

  private filePicker(label: string): HTMLElement {
    const input = h('input', { type: 'file', hidden: true, 'aria-label': 'Open a profile file' });
    input.addEventListener('change', () => {
      if (input.files?.[0]) void this.openFile(input.files[0]);
    });
    const button = h('button', { type: 'button', class: 'linklike', onclick: () => input.click() }, label);
    return h('span', null, button, input);
  }

  private async openFile(file: File): Promise<void> {
    const { fileSource } = await import('./loader.js');
    this.sources = [...this.sources, fileSource(file)];
    this.state = { ...this.state, profile: this.sources.length - 1, threads: [], range: null, transforms: [], func: -1 };
    this.main.replaceChildren(this.canvasArea.panel);
    this.writeUrl('push');
    await this.render();
  }

  private installDrop(): void {
    document.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.root.classList.add('dragging');
    });
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
    this.update({ func, ...(view ? { view } : {}) }, 'push');
  }

  profileNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  readSource(path: string): Promise<string> {
    return this.sources[this.state.profile].readSource(path);
  }

  timing(name: string, ms: number): void {
    this.hooks.timings[name] ??= ms;
  }

  /** The palette of the current selection (the sandwich's flame graphs use it too). */
  paletteFor(): Palette | null {
    return this.canvas.palette;
  }

  hideTooltip(): void {
    this.tooltip.hidden = true;
  }

  /** The one place the URL is written: `push` adds a history entry (Back returns), `replace` amends the current one. */
  private writeUrl(mode: 'push' | 'replace'): void {
    const hash = encodeState(this.state);
    if (location_hash() === hash) return;
    const url = hash ? `#${hash}` : location.pathname + location.search;
    if (mode === 'push') history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  update(patch: Partial<ViewState>, mode: 'push' | 'replace' = 'push'): void {
    // A zoom belongs to one view and one selection: anything that changes them starts unzoomed.
    if (
      (patch.view !== undefined && patch.view !== this.state.view) ||
      patch.profile !== undefined ||
      patch.threads !== undefined ||
      patch.transforms !== undefined ||
      patch.range !== undefined ||
      patch.hideIdle !== undefined ||
      patch.inverted !== undefined
    ) {
      if (patch.zoom === undefined) patch = { ...patch, zoom: null };
    }
    if (this.searchTimer !== 0) {
      // A search still being typed goes along with this change instead of being overwritten by it.
      clearTimeout(this.searchTimer);
      this.searchTimer = 0;
      if (patch.search === undefined) patch = { ...patch, search: this.searchInput.value };
    }
    this.state = { ...this.state, ...patch };
    this.writeUrl(mode);
    void this.render();
  }

  private applyTheme(): void {
    document.documentElement.dataset.theme = this.state.theme;
    const css = getComputedStyle(document.documentElement);
    const v = (name: string) => css.getPropertyValue(name).trim();
    this.canvas.setTheme({
      text: v('--frame-text'),
      background: v('--bg'),
      axis: v('--muted'),
      selection: v('--range'),
      highlight: v('--fg'),
    });
    this.memory.setColors({ line: v('--mem-line'), fill: v('--mem-fill'), text: v('--fg'), background: v('--bg') });
    this.markers.setColors({ text: v('--frame-text'), background: v('--bg'), outline: v('--fg') }, this.state.theme === 'dark');
  }

  currentProfile(): Profile | null {
    return this.loaded.get(this.state.profile) ?? null;
  }

  loadProfile(index: number): Promise<Profile> {
    let p = this.profiles.get(index);
    if (!p) {
      const t0 = performance.now();
      p = this.sources[index].load().then((profile) => {
        this.hooks.timings.load ??= performance.now() - t0;
        this.loaded.set(index, profile);
        return profile;
      });
      // A failed load is tried again next time.
      p.catch(() => this.profiles.delete(index));
      this.profiles.set(index, p);
    }
    return p;
  }

  private availableViews() {
    return VIEWS.filter((v) => !v.available || v.available(this));
  }

  private view(name: string): View {
    let view = this.views.get(name);
    if (!view) {
      const entry = VIEWS.find((v) => v.name === name) ?? VIEWS[0];
      view = entry.create(this);
      this.views.set(name, view);
    }
    return view;
  }

  private async render(): Promise<void> {
    // Whether a view is offered may depend on the profile (JIT traces): decided once it is loaded.
    const known = this.loaded.has(this.state.profile);
    if (known && !this.availableViews().some((v) => v.name === this.state.view)) this.state = { ...this.state, view: 'flame' };
    this.writeUrl('replace');
    this.applyTheme();
    let base: Profile;
    try {
      if (!this.profiles.has(this.state.profile)) this.renderToolbar(null);
      // Compare needs the other profile too: fetch both at once.
      const other = this.state.compare;
      if (this.state.view === 'compare' && other >= 0 && other < this.sources.length) this.loadProfile(other).catch(() => {});
      base = await this.loadProfile(this.state.profile);
    } catch (err) {
      this.hooks.error = (err as Error).message;
      this.showEmpty(`Could not open ${this.sources[this.state.profile]?.name ?? 'the profile'}: ${(err as Error).message}`);
      return;
    }
    if (!this.availableViews().some((v) => v.name === this.state.view)) {
      this.state = { ...this.state, view: 'flame' };
      this.writeUrl('replace');
    }
    const state = this.state;
    const tKey = JSON.stringify(state.transforms);
    const transformed = this.transformed.get([base, tKey], () => {
      this.canvas.setNames(base.funcs.name.length ? Array.from(base.funcs.name, (s) => base.strings[s]) : []);
      return applyTransforms(base, toModelTransforms(state.transforms));
    });
    const vm = this.viewModel.get([transformed, ViewModel.key(state)], () => {
      const t0 = performance.now();
      const made = new ViewModel(base, state, transformed);
      this.hooks.timings.weights ??= performance.now() - t0;
      return made;
    });
    this.vm = vm;
    vm.setSearch(state.search, state.regex);
    // The legend and the JIT colouring follow the current selection, so the palette does too.
    const palette = this.paletteMemo.get([state.colorBy, state.theme, vm.base, vm], () =>
      state.colorBy === 'time'
        ? makeTimePalette(state.theme === 'dark', vm.splitTotals(), vm.dominantClassOfFunctions())
        : makePalette(
            base,
            state.colorBy,
            state.theme === 'dark',
            state.colorBy === 'module' ? vm.functions().total : undefined,
            vm.mostlyJit(),
          ),
    );
    this.canvas.palette = palette;
    this.canvas.match = vm.match;
    this.canvas.selectedFunc = state.func;
    this.renderToolbar(vm);
    this.renderCrumbs(vm);
    this.renderTabs();
    this.renderSelection(vm);
    this.renderStatus(vm);
    const view = this.view(state.view);
    if (this.main.firstChild !== view.element || this.main.childNodes.length !== 1) this.main.replaceChildren(view.element);
    this.main.dataset.view = state.view;
    await view.show(vm, state);
    replaceChildren(
      this.legend,
      ...palette.legend.map((l) => h('span', { class: 'legend-item' }, h('i', { style: `background:${l.color}` }), l.label)),
    );
    this.hooks.ready = true;
  }

  private renderToolbar(vm: ViewModel | null): void {
    const s = this.state;
    const profileSelect = h('select', { 'aria-label': 'Profile', class: 'profile-select' });
    this.sources.forEach((src, i) => {
      const o = h('option', { value: i }, src.name);
      if (i === s.profile) o.selected = true;
      profileSelect.append(o);
    });
    profileSelect.addEventListener('change', () =>
      this.update({ profile: Number(profileSelect.value), threads: [], range: null, transforms: [], func: -1 }),
    );

    const threads = vm ? vm.base.threads : [];
    const threadBox = h('details', { class: 'threads' });
    const summary = h(
      'summary',
      null,
      !vm
        ? 'Threads'
        : s.threads.length === 0
          ? `All threads (${threads.length})`
          : s.threads.length === 1 && s.threads[0] < threads.length
            ? `Thread: ${threadLabel(vm.base, s.threads[0])}`
            : `${s.threads.length} threads`,
    );
    const list = h('div', { class: 'thread-list' });
    const all = h(
      'label',
      null,
      h('input', { type: 'checkbox', checked: s.threads.length === 0, onchange: () => this.update({ threads: [] }) }),
      'All threads, merged',
    );
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
    threadBox.addEventListener('toggle', () => {
      this.threadsOpen = threadBox.open;
    });

    const idle = h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        checked: s.hideIdle,
        onchange: (e: Event) => this.update({ hideIdle: (e.target as HTMLInputElement).checked }),
      }),
      'Hide idle',
    );

    this.searchInput.value = s.search;
    this.searchInput.oninput = () => {
      // Debounced: on a million-sample profile every keystroke would otherwise recompute the match.
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => {
        this.searchTimer = 0;
        this.update({ search: this.searchInput.value }, 'replace');
      }, 120);
    };
    const regex = h(
      'label',
      { class: 'check', title: 'Regular expression' },
      h('input', {
        type: 'checkbox',
        checked: s.regex,
        onchange: (e: Event) => this.update({ regex: (e.target as HTMLInputElement).checked }),
      }),
      '.*',
    );
    if (vm && vm.match) {
      let count = 0;
      for (let i = 0; i < vm.match.length; i++) count += vm.match[i];
      this.searchInfo.textContent = `${count} ${count === 1 ? 'function' : 'functions'} match, ${formatPercent(vm.matchWeight, vm.total)} of total`;
    } else {
      this.searchInfo.textContent = s.search && s.regex ? 'invalid regular expression' : '';
    }

    const colorBy = h(
      'select',
      { 'aria-label': 'Colour by' },
      h('option', { value: 'kind' }, 'Colour: kind'),
      h('option', { value: 'module' }, 'Colour: module'),
      h('option', { value: 'time' }, 'Colour: where time went'),
    );
    colorBy.value = s.colorBy;
    colorBy.addEventListener('change', () => this.update({ colorBy: colorBy.value as 'kind' | 'module' | 'time' }));
    const icicle = h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-pressed': String(s.icicle),
        title: 'Draw the roots at the top (icicle) instead of the bottom',
        onclick: () => this.update({ icicle: !s.icicle }),
      },
      'Icicle',
    );
    const invert = h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-pressed': String(s.inverted),
        title: 'Bottom-up flame graph and call tree: start from the functions that spent the time',
        onclick: () => this.update({ inverted: !s.inverted }),
      },
      'Inverted',
    );
    const stdlib = h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-pressed': String(s.transforms.some((t) => t.type === 'hide-stdlib')),
        onclick: () => {
          if (!s.transforms.some((t) => t.type === 'hide-stdlib')) this.update({ transforms: [...s.transforms, { type: 'hide-stdlib' }] });
        },
      },
      'Hide stdlib',
    );
    const theme = h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-label': 'Toggle dark theme',
        onclick: () => this.update({ theme: s.theme === 'dark' ? 'light' : 'dark' }),
      },
      s.theme === 'dark' ? '☀ Light' : '☾ Dark',
    );
    const open = this.filePicker('Open…');
    // Several profiles loaded: compare the current one ("after") with another ("before").
    const compare =
      this.sources.length > 1
        ? h(
            'button',
            {
              type: 'button',
              class: 'toggle compare-button',
              'aria-pressed': String(s.view === 'compare'),
              title: 'Compare this profile with another loaded one',
              onclick: () =>
                this.update(
                  s.view === 'compare'
                    ? { view: 'flame' }
                    : { view: 'compare', compare: s.compare >= 0 && s.compare !== s.profile ? s.compare : s.profile === 0 ? 1 : 0 },
                ),
            },
            'Compare',
          )
        : null;
    // Rebuilding the toolbar must not steal the caret from someone typing a search.
    const typing = document.activeElement === this.searchInput;
    const caret = [this.searchInput.selectionStart, this.searchInput.selectionEnd];
    replaceChildren(
      this.toolbar,
      h('span', { class: 'brand' }, 'pyrometer'),
      profileSelect,
      compare,
      threadBox,
      idle,
      this.searchInput,
      regex,
      h('span', { class: 'spacer' }),
      icicle,
      invert,
      stdlib,
      colorBy,
      theme,
      open,
    );
    if (typing) {
      this.searchInput.focus();
      this.searchInput.setSelectionRange(caret[0], caret[1]);
    }
  }

  private renderCrumbs(vm: ViewModel): void {
    const s = this.state;
    const items: HTMLElement[] = [
      h('button', { type: 'button', class: 'crumb root', onclick: () => this.update({ transforms: [], range: null }) }, 'Complete profile'),
    ];
    s.transforms.forEach((t, i) => {
      const label = transformLabel(vm.base, t);
      items.push(
        h(
          'span',
          { class: 'crumb' },
          label,
          h(
            'button',
            {
              type: 'button',
              class: 'remove',
              'aria-label': `Remove ${label}`,
              onclick: () => this.update({ transforms: s.transforms.filter((_, k) => k !== i) }),
            },
            '×',
          ),
        ),
      );
    });
    if (s.range) {
      const label = `Range ${formatMs(s.range[0])} – ${formatMs(s.range[1])}`;
      items.push(
        h(
          'span',
          { class: 'crumb range' },
          label,
          h('button', { type: 'button', class: 'remove', 'aria-label': 'Remove range', onclick: () => this.update({ range: null }) }, '×'),
        ),
      );
    }
    replaceChildren(this.crumbs, ...items, this.searchInfo, this.legend);
  }

  private renderTabs(): void {
    replaceChildren(
      this.tabs,
      ...this.availableViews().map(({ name, label }) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: `tab${name === this.state.view ? ' active' : ''}`,
            'aria-selected': String(name === this.state.view),
            'data-view': name,
            onclick: () => this.update({ view: name }),
          },
          label,
        ),
      ),
    );
  }

  private renderSelection(vm: ViewModel): void {
    const f = this.state.func;
    if (f < 0 || f >= vm.profile.funcs.length) {
      replaceChildren(
        this.selectionBar,
        h('span', { class: 'muted' }, 'Click a frame to select its function; hover for details; wheel to zoom, drag to pan.'),
      );
      return;
    }
    const { self, total } = vm.functions();
    const s = this.state;
    const act = (label: string, t: ViewTransform) =>
      h('button', { type: 'button', onclick: () => this.update({ transforms: [...s.transforms, t] }) }, label);
    replaceChildren(
      this.selectionBar,
      h('strong', { class: 'fn' }, funcName(vm.profile, f)),
      h('span', { class: 'loc' }, funcLocation(vm, f)),
      h('span', null, `total ${formatPercent(total[f], vm.total)} · self ${formatPercent(self[f], vm.total)}`),
      act('Focus on function', { type: 'focus-function', func: f }),
      act('Merge function', { type: 'merge-function', func: f }),
      act('Collapse recursion', { type: 'collapse-recursion', func: f }),
      act('Drop function', { type: 'drop-function', func: f }),
      ...(() => {
        const path = this.selectedPath(vm);
        return path ? [act('Merge call node', { type: 'merge-call-node', path })] : [];
      })(),
      vm.profile.funcs.file[f] >= 0 ? act('Collapse module', { type: 'collapse-module', file: vm.profile.funcs.file[f] }) : null,
      // Categories start with the function kinds (Python, native, JIT, GC, other): the selected function's kind is its usual category.
      act(`Only ${CATEGORIES[vm.profile.funcs.kind[f]]} frames`, { type: 'focus-category', category: vm.profile.funcs.kind[f] }),
      h('button', { type: 'button', onclick: () => this.update({ view: 'sandwich' }) }, 'Callers / callees'),
      h('button', { type: 'button', onclick: () => this.update({ view: 'source' }) }, 'Source'),
      this.availableViews().some((v) => v.name === 'traces')
        ? h(
            'button',
            { type: 'button', class: 'jit-traces', onclick: () => this.update({ view: 'traces', trace: -1, line: 0 }, 'push') },
            'JIT traces',
          )
        : null,
      h('button', { type: 'button', class: 'remove', 'aria-label': 'Clear selection', onclick: () => this.update({ func: -1 }) }, '×'),
    );
  }

  private renderStatus(vm: ViewModel): void {
    const m = vm.base.meta;
    const duration = profileDuration(vm.base);
    const whole = this.wholeTotal.get([vm.base], () => totalWeight(stackWeights(vm.base)));
    const parts = [
      this.sources[this.state.profile]?.name ?? '',
      m.format + (m.interpreter ? ` · ${m.interpreter}` : ''),
      // Formats without samples (pstats, callgrind) count rows, not samples: say what they weigh instead.
      m.weightUnit === 'samples' ? `${formatCount(totalSamples(vm.base))} samples` : `${formatWeight(whole, vm.unit)} in total`,
      `${vm.base.threads.length} thread${vm.base.threads.length === 1 ? '' : 's'}`,
      // No timestamps (pstats): no timeline to give a duration of.
      duration > 0 ? `duration ${formatMs(duration)}` : '',
      vm.total === whole ? '' : `shown ${formatWeight(vm.total, vm.unit)} (${formatPercent(vm.total, whole)})`,
    ];
    if (m.approximateCallTree) parts.push('call tree approximated from caller/callee pairs');
    const phases = this.phaseShares(vm.base);
    if (phases) parts.push(phases);
    replaceChildren(
      this.status,
      parts.filter(Boolean).join(' · '),
      ...m.warnings.slice(0, 3).map((w) => h('span', { class: 'warning' }, ` ⚠ ${w}`)),
    );
  }

  /** "GC 18.6% · JIT compiling 9.5% of the run" for profiles with PyPy log markers (every view shows it in the status line). */
  private phaseShares(p: Profile): string {
    return this.phaseText.get([p], () => {
      const run = profileDuration(p);
      const totals = markerTimeByCategory(collectMarkers(p, []));
      const shares = ['gc', 'jit'].filter((c) => totals.has(c)).map((c) => `${categoryLabel(c)} ${formatPercent(totals.get(c)!, run)}`);
      return shares.length > 0 && run > 0 ? `${shares.join(' · ')} of the run` : '';
    });
  }

  private onCanvasClick(hit: Hit | null): void {
    if (this.canvas.mode === 'stack' && !hit) {
      const chart = this.view('stack') as StackChartView;
      if (chart.toggleLaneAt(this.canvas.clickedRow)) {
        void this.render();
        return;
      }
    }
    if (!hit) {
      this.update({ func: -1 });
      return;
    }
    if (this.canvas.mode === 'flame') {
      // Click zooms to the frame and selects its function (and its call node, for "merge call node").
      this.canvas.setViewport(hit.start, hit.end);
      this.selectedNode = hit.node;
    }
    this.update({ func: hit.func });
  }

  /** The flame graph node last clicked (its call path is what "Merge call node" removes). */
  private selectedNode = -1;

  /** Root-first function path of the selected flame graph node, when it is a node of the shown top-down graph. */
  private selectedPath(vm: ViewModel): number[] | null {
    const layout = this.canvas.flame;
    if (this.state.inverted || !layout || this.selectedNode < 0 || this.selectedNode >= layout.tree.length) return null;
    if (layout !== vm.flameLayout(false) || layout.tree.func[this.selectedNode] !== this.state.func) return null;
    const path: number[] = [];
    for (let n = this.selectedNode; n >= 0; n = layout.tree.parent[n]) path.push(layout.tree.func[n]);
    return path.reverse();
  }

  private showTooltip(hit: Hit | null, x: number, y: number): void {
    const vm = this.vm;
    this.tooltipOwner = 'canvas';
    if (!hit || !vm) {
      this.tooltip.hidden = true;
      return;
    }
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
    if (vm.hasSplit()) {
      // where this frame's time went: the node's own split in the flame graph (top-down or inverted), else the function's
      const node = this.canvas.mode === 'flame';
      const split = !node ? vm.functionSplit() : this.state.inverted ? vm.invertedTreeSplit() : vm.treeSplit();
      const row = node ? hit.node : hit.func;
      lines.push(h('div', { class: 'tt-split' }, `Time: ${splitText(split, row)}`));
    }
    if (this.canvas.mode === 'stack') {
      const lanes = this.canvasArea.lanes;
      const lane = laneOfRow(lanes, hit.row);
      if (lane >= 0) lines.push(h('div', null, `Thread: ${lanes[lane].label.replace(/^[▸▾] /, '')}`));
      lines.push(h('div', null, `Here: ${formatMs(hit.start)} – ${formatMs(hit.end)} (${formatMs(hit.end - hit.start)})`));
    }
    this.placeTooltip(lines, x, y);
  }

  private showMarkerTooltip(item: MarkerItem | null, x: number, y: number): void {
    this.tooltipOwner = 'markers';
    if (!item || !this.vm) {
      this.tooltip.hidden = true;
      return;
    }
    const lines: HTMLElement[] = [
      h('div', { class: 'tt-name' }, item.name || '(unnamed)'),
      h(
        'div',
        { class: 'tt-loc' },
        `${categoryLabel(item.category)} phase${this.vm.base.threads.length > 1 ? ` · ${threadLabel(this.vm.base, item.thread)}` : ''}`,
      ),
      h('div', null, `Duration: ${formatMs(item.wallEnd - item.wallStart)}`),
      h('div', null, `Start: ${formatMs(item.wallStart)} · end ${formatMs(item.wallEnd)} into the run`),
      ...markerDataSummary(item.data).map((l) => h('div', { class: 'tt-data' }, l)),
    ];
    this.placeTooltip(lines, x, y);
  }

  placeTooltip(lines: HTMLElement[], x: number, y: number): void {
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

/** "JIT code 61% · GC minor 8% · …": the non-zero classes of a split row, largest first. */
function splitText(split: Float64Array, row: number): string {
  let total = 0;
  for (let c = 0; c < TIME_CLASS_COUNT; c++) total += split[row * TIME_CLASS_COUNT + c];
  const parts: [number, string][] = [];
  for (let c = 0; c < TIME_CLASS_COUNT; c++) {
    const v = split[row * TIME_CLASS_COUNT + c];
    if (v > 0) parts.push([v, `${TIME_CLASS_LABELS[TIME_CLASSES[c]]} ${formatPercent(v, total)}`]);
  }
  return parts
    .sort((a, b) => b[0] - a[0])
    .map((p) => p[1])
    .join(' · ');
}
