/**
 * The two canvas views, flame graph and stack chart, and the panel they share
 * (one FlameCanvas, the memory and phases tracks above it).
 */
import type { Profile } from '../../src/model/profile.js';
import type { PypyLogTiming } from '../../src/formats/pypylog/index.js';
import { profileDuration } from '../../src/model/profile.js';
import { idleStacks } from '../../src/model/analysis.js';
import { h } from './dom.js';
import { formatMs } from './format.js';
import { FlameCanvas, type FlameCanvasCallbacks } from './flamecanvas.js';
import { functionPaths, layoutStackChart, onRunAxis, stackLanes, type Lane, type StackChart } from './layout.js';
import { collectMarkers, markerAxis, MarkerTrack, type MarkerItem } from './markers.js';
import { Memo } from './memo.js';
import { MemoryTrack, memorySeries } from './memory.js';
import type { AppHost, View } from './registry.js';
import { encodeState, type ViewState } from './state.js';
import type { ViewModel } from './viewmodel.js';

export function threadLabel(p: Profile, i: number): string {
  const t = p.threads[i];
  if (!t) return 'no thread';
  return t.name ? `${t.name} (${t.id})` : `thread ${t.id}`;
}

/** The canvas panel both canvas views draw in. */
export class CanvasArea {
  readonly panel = h('div', { class: 'canvas-panel' });
  readonly memoryPanel = h('div', { class: 'memory-panel', hidden: true });
  readonly markersPanel = h('div', { class: 'markers-panel', hidden: true });
  readonly flameHost = h('div', { class: 'flame-host' });
  readonly threadLabel = h('div', { class: 'chart-thread', hidden: true });
  /** Stack chart: how the samples' times were found, when the file did not record them. */
  readonly timeNote = h('div', { class: 'chart-time-note', hidden: true });
  readonly empty = h('div', { class: 'canvas-empty', hidden: true });
  readonly canvas: FlameCanvas;
  readonly memory: MemoryTrack;
  readonly markers: MarkerTrack;
  /** Stack chart lanes shown (several threads), for tooltips. */
  lanes: Lane[] = [];
  /** The encoded state whose zoom the canvas shows (so a re-render does not re-apply an old zoom). */
  private appliedZoom = '';

  constructor(callbacks: FlameCanvasCallbacks, onMarkerHover: (item: MarkerItem | null, x: number, y: number) => void) {
    this.panel.append(this.markersPanel, this.memoryPanel, this.flameHost);
    this.flameHost.append(this.threadLabel, this.timeNote, this.empty);
    this.canvas = new FlameCanvas(this.flameHost, callbacks);
    this.memory = new MemoryTrack(this.memoryPanel, callbacks.onRangeSelect);
    this.markers = new MarkerTrack(this.markersPanel, onMarkerHover);
  }

  showEmptyNote(vm: ViewModel): void {
    this.empty.hidden = vm.total > 0;
    this.empty.textContent = vm.base.threads.every((t) => t.samples.length === 0)
      ? 'This profile has no samples.'
      : 'No samples in this selection: the chosen threads, range, idle filter or focus leave nothing.';
  }

  /** Shows the URL's zoom once (a link reopens the same window); later renders keep the user's own zoom. */
  applyZoom(state: ViewState): void {
    const key = encodeState(state);
    if (key === this.appliedZoom) return;
    this.appliedZoom = key;
    if (state.zoom) this.canvas.setViewport(state.zoom[0], state.zoom[1]);
    else this.canvas.resetView();
  }

  /** The canvas reported a zoom the URL now holds: do not re-apply it. */
  zoomApplied(state: ViewState): void {
    this.appliedZoom = encodeState(state);
  }
}

export class FlameView implements View {
  readonly element: HTMLElement;

  constructor(private readonly host: AppHost) {
    this.element = host.canvasArea.panel;
  }

  show(vm: ViewModel, state: ViewState): void {
    const area = this.host.canvasArea;
    area.showEmptyNote(vm);
    area.memoryPanel.hidden = true;
    area.markersPanel.hidden = true;
    area.threadLabel.hidden = true;
    area.timeNote.hidden = true;
    area.canvas.icicle = state.icicle;
    // "where time went": each frame in the colour of the class with most of its time (the shown tree's nodes)
    area.canvas.nodeColor = state.colorBy === 'time' ? vm.dominantClassOfNodes(state.inverted) : null;
    const t0 = performance.now();
    // Opened inverted and unzoomed, a big profile paints from the top of its bottom-up tree first.
    const first = state.inverted && !state.zoom && state.colorBy !== 'time';
    // (the canvas is as wide as its host's box, as FlameCanvas.resize measures it; 1% wider, so that a
    // node at the very edge of a half pixel is laid out whatever the last bit of the sums)
    const width = area.flameHost.getBoundingClientRect().width || window.innerWidth;
    const layout = first ? vm.invertedFlameFirst(Math.ceil(width * 1.01) + 1) : vm.flameLayout(state.inverted);
    this.host.timing('layout', performance.now() - t0);
    const keep = area.canvas.mode === 'flame' && area.canvas.flame === layout;
    area.canvas.showFlame(layout, keep);
    area.applyZoom(state);
    area.canvas.range = null;
    if (first && !vm.hasWholeInvertedFlame()) {
      // The whole tree once that paint is on screen (the next frame has begun), in the same viewport;
      // unless the canvas shows something else by then.
      requestAnimationFrame(() =>
        requestAnimationFrame(() =>
          setTimeout(() => {
            if (area.canvas.flame !== layout) return;
            const t1 = performance.now();
            const whole = vm.flameLayout(true);
            this.host.timing('wholeInverted', performance.now() - t1);
            if (area.canvas.flame === layout) area.canvas.showFlame(whole, true);
          }),
        ),
      );
    }
  }
}

/** The timeline: one lane per thread (all threads when none is chosen), lanes collapse on a click on their name. */
export class StackChartView implements View {
  readonly element: HTMLElement;
  private readonly chart = new Memo<{ chart: StackChart; lanes: Lane[]; func: Int32Array }>();
  private readonly markerItems = new Memo<MarkerItem[]>();
  private readonly collapsed = new Set<number>();
  private collapsedKey = '';
  private shownThreads: number[] = [];

  constructor(private readonly host: AppHost) {
    this.element = host.canvasArea.panel;
  }

  /** Every selected thread, else every thread with samples (the busiest first lane). */
  static threads(p: Profile, selected: number[]): number[] {
    const chosen = selected.filter((t) => t < p.threads.length);
    if (chosen.length > 0) return chosen;
    const withSamples = p.threads.map((_, i) => i).filter((i) => p.threads[i].samples.length > 0);
    return withSamples.sort((a, b) => p.threads[b].samples.length - p.threads[a].samples.length || a - b);
  }

  /** A click on a lane's header row collapses or expands that lane. */
  toggleLaneAt(row: number): boolean {
    const lanes = this.host.canvasArea.lanes;
    const lane = lanes.findIndex((l) => l.headerRow === row);
    if (lane < 0) return false;
    const thread = this.shownThreads[lane];
    if (this.collapsed.has(thread)) this.collapsed.delete(thread);
    else this.collapsed.add(thread);
    this.collapsedKey = [...this.collapsed].sort().join(',');
    return true;
  }

  show(vm: ViewModel, state: ViewState): void {
    const area = this.host.canvasArea;
    const canvas = area.canvas;
    area.showEmptyNote(vm);
    canvas.nodeColor = null;
    const threads = StackChartView.threads(vm.base, state.threads);
    this.shownThreads = threads;
    const key = [vm.profile, threads.join(','), state.hideIdle, this.collapsedKey];
    const fresh = !this.chart.has(key);
    const runMs = profileDuration(vm.base);
    const timing = vm.base.meta.sampleTimes ?? 'recorded';
    const built = this.chart.get(key, () => {
      const p = vm.profile;
      const idle = state.hideIdle ? idleStacks(p) : null;
      const paths = functionPaths(p.stacks, p.frames.func);
      const nodeOf = paths.nodeOf;
      const charts = threads.map((t) => {
        const samples = p.threads[t]?.samples;
        if (!samples || (threads.length > 1 && this.collapsed.has(t))) return { rows: [], startTime: 0, endTime: 1 };
        return layoutStackChart(paths.table, samples.stack, samples.time, p.meta.interval, (s) =>
          s < 0 || (idle && idle[s]) ? -1 : nodeOf[s],
        );
      });
      if (charts.length > 1) {
        // Several threads: one lane each, under a shared time axis.
        const labels = threads.map(
          (t) => `${this.collapsed.has(t) ? '▸' : '▾'} ${threadLabel(vm.base, t)}${this.collapsed.has(t) ? ' (collapsed)' : ''}`,
        );
        const stacked = stackLanes(charts, labels);
        return { chart: onRunAxis(stacked.chart, runMs, timing), lanes: stacked.lanes, func: paths.func };
      }
      return { chart: onRunAxis(charts[0] ?? { rows: [], startTime: 0, endTime: 1 }, runMs, timing), lanes: [], func: paths.func };
    });
    area.lanes = built.lanes;
    canvas.showStackChart(built.chart, built.func, !fresh || this.collapsedKey !== '', built.lanes);
    area.applyZoom(state);
    canvas.range = state.range;
    // One thread's timeline: say which. Lanes carry their own names.
    area.threadLabel.hidden = vm.base.threads.length < 2 || threads.length > 1;
    area.threadLabel.textContent = `Timeline of ${threadLabel(vm.base, threads[0] ?? 0)}`;
    area.memory.setSeries(memorySeries(vm.profile, state.threads));
    area.memory.setRange(state.range);
    area.memory.setViewport(canvas.x0, canvas.x1);
    area.timeNote.hidden = timing === 'recorded';
    area.timeNote.textContent =
      timing === 'spread'
        ? `Sample times are not in this file: samples spread evenly over the recorded ${formatMs(runMs)}`
        : 'Sample times and duration are not in this file: samples in order, one sampling period apart';
    // GC and JIT phases (PyPy log markers) of the threads shown, on the same time axis.
    const axis = markerAxis(vm.base, runMs);
    const items = this.markerItems.get([vm.base, threads.join(',')], () => collectMarkers(vm.base, threads, axis));
    const logTiming = (vm.base.attachments.pypylogTiming as PypyLogTiming | undefined)?.source ?? null;
    area.markers.setMarkers(items, runMs, axis.proportional, logTiming);
    area.markers.setViewport(canvas.x0, canvas.x1);
    canvas.resize();
  }
}
