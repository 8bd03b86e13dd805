/**
 * The canvas renderer for the flame graph and the stack chart: the product's
 * hot path. It is devicePixelRatio-aware, culls whole subtrees narrower than
 * half a pixel (flame graph) and boxes outside the time window (stack chart,
 * binary search per row), batches rectangles by colour (fillStyle set once per
 * colour, then fillRect each: one big path per colour rasterised far slower),
 * and fits labels with cached text widths. Drawing is coalesced into one
 * requestAnimationFrame, so wheel and drag events never draw twice a frame.
 */
import type { FlameLayout, Lane, StackChart } from './layout.js';
import { firstBoxEndingAfter, flameNeighbor, hitTestFlame, hitTestStackChart } from './layout.js';
import type { Palette } from './colors.js';

export const ROW_HEIGHT = 18;
const AXIS_HEIGHT = 22;
const FONT = '11px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
const MIN_TEXT_WIDTH = 22;

export interface Hit {
  /** Flame graph: call tree node. Stack chart: row and box index. */
  node: number;
  row: number;
  func: number;
  /** Stack chart only: the function-path node of the box (see layout.functionPaths). */
  stack: number;
  start: number;
  end: number;
}

export interface FlameCanvasCallbacks {
  onHover(hit: Hit | null, clientX: number, clientY: number): void;
  onClick(hit: Hit | null): void;
  onDoubleClick?(hit: Hit | null): void;
  /** Stack chart: a time range was dragged out on the axis (or with shift). */
  onRangeSelect?(start: number, end: number): void;
  /** The visible window changed; `whole` when it shows everything (not zoomed). */
  onViewportChange?(x0: number, x1: number, whole: boolean): void;
  /** Called after each paint with the paint's duration in ms (the bench and tests read it). */
  onPaint?(ms: number): void;
}

interface Theme {
  text: string;
  background: string;
  axis: string;
  selection: string;
  highlight: string;
}

export class FlameCanvas {
  readonly canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D;
  private width = 0;
  private height = 0;
  private dpr = 1;
  mode: 'flame' | 'stack' = 'flame';
  icicle = false;
  flame: FlameLayout | null = null;
  chart: StackChart | null = null;
  /** Stack chart lanes (several threads); empty for one thread. */
  lanes: Lane[] = [];
  /** Flame graph node under the keyboard cursor (arrow keys), -1 for none. */
  focusNode = -1;
  /** The function of every stack (stack chart labels). */
  stackFunc: Int32Array = new Int32Array(0);
  palette: Palette | null = null;
  /** Flame graph: a colour index per call tree node (the differential flame graph), overriding the palette's per-function colour. */
  nodeColor: Uint8Array | null = null;
  match: Uint8Array | null = null;
  selectedFunc = -1;
  names: string[] = [];
  private textWidth = new Float32Array(0);
  private charWidth = 7;
  /** Visible window in layout units (weight for the flame graph, ms for the stack chart). */
  x0 = 0;
  x1 = 1;
  private minX = 0;
  private maxX = 1;
  scrollTop = 0;
  private pending = false;
  private theme: Theme = { text: '#111', background: '#fff', axis: '#666', selection: 'rgba(60,120,220,0.18)', highlight: '#000' };
  /** Selected range shown on the stack chart axis. */
  range: [number, number] | null = null;
  private dragging: { x: number; y: number; x0: number; x1: number; scroll: number; moved: boolean; select: boolean } | null = null;
  private hovered: Hit | null = null;
  private buckets: Float32Array[] = [];
  private bucketLength: Int32Array = new Int32Array(0);
  /** Labels to draw this frame: x, y, width, func per entry (a reused buffer: no garbage per frame). */
  private labels = new Float64Array(4 * 1024);
  private labelCount = 0;

  /** A native vertical scrollbar beside the canvas, for graphs taller than the view. */
  private readonly scrollTrack: HTMLDivElement;
  private readonly scrollSpacer: HTMLDivElement;
  private syncingScroll = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly callbacks: FlameCanvasCallbacks,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'flame-canvas';
    this.canvas.tabIndex = 0;
    container.appendChild(this.canvas);
    this.scrollTrack = document.createElement('div');
    this.scrollTrack.className = 'flame-scroll';
    this.scrollSpacer = document.createElement('div');
    this.scrollTrack.appendChild(this.scrollSpacer);
    container.appendChild(this.scrollTrack);
    this.scrollTrack.addEventListener('scroll', () => {
      if (this.syncingScroll) {
        this.syncingScroll = false;
        return;
      }
      const max = this.maxScroll();
      const pos = this.scrollTrack.scrollTop;
      // The flame graph grows upwards: scrolled to the bottom of the track is scrollTop 0 (roots in view).
      this.scrollTop = this.mode === 'flame' && !this.icicle ? Math.max(0, max - pos) : Math.min(max, pos);
      this.requestDraw();
    });
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
    new ResizeObserver(() => this.resize()).observe(container);
    this.installEvents();
    this.resize();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.requestDraw();
  }

  setNames(names: string[]): void {
    this.names = names;
    this.textWidth = new Float32Array(names.length).fill(-1);
    this.ctx.font = FONT;
    this.charWidth = this.ctx.measureText('M').width || 7;
  }

  /** Shows a flame graph layout; keeps the viewport when `keepView`. */
  showFlame(layout: FlameLayout, keepView = false): void {
    if (layout !== this.flame) {
      this.hovered = null;
      this.focusNode = -1;
    }
    this.mode = 'flame';
    this.flame = layout;
    this.chart = null;
    this.minX = 0;
    this.maxX = Math.max(layout.width, 1e-9);
    if (!keepView || this.x1 > this.maxX || this.x0 < 0) {
      this.x0 = 0;
      this.x1 = this.maxX;
      this.scrollTop = 0;
    }
    this.requestDraw();
  }

  showStackChart(chart: StackChart, stackFunc: Int32Array, keepView = false, lanes: Lane[] = []): void {
    if (chart !== this.chart) this.hovered = null;
    this.mode = 'stack';
    this.chart = chart;
    this.lanes = lanes;
    this.flame = null;
    this.stackFunc = stackFunc;
    this.minX = chart.startTime;
    this.maxX = Math.max(chart.endTime, chart.startTime + 1e-6);
    if (!keepView || this.x0 < this.minX || this.x1 > this.maxX) {
      this.x0 = this.minX;
      this.x1 = this.maxX;
      this.scrollTop = 0;
    }
    this.requestDraw();
  }

  setViewport(x0: number, x1: number): void {
    const span = this.maxX - this.minX;
    const minSpan = span * 1e-7;
    if (x1 - x0 < minSpan) {
      const c = (x0 + x1) / 2;
      x0 = c - minSpan / 2;
      x1 = c + minSpan / 2;
    }
    if (x1 - x0 > span) {
      x0 = this.minX;
      x1 = this.maxX;
    }
    if (x0 < this.minX) {
      x1 += this.minX - x0;
      x0 = this.minX;
    }
    if (x1 > this.maxX) {
      x0 -= x1 - this.maxX;
      x1 = this.maxX;
    }
    this.x0 = Math.max(this.minX, x0);
    this.x1 = x1;
    const eps = (this.maxX - this.minX) * 1e-9;
    this.callbacks.onViewportChange?.(this.x0, this.x1, this.x0 <= this.minX + eps && this.x1 >= this.maxX - eps);
    this.requestDraw();
  }

  /** Zooms by `factor` (<1 zooms in) around the fraction `at` (0..1) of the width. */
  zoom(factor: number, at = 0.5): void {
    const span = this.x1 - this.x0;
    const pivot = this.x0 + span * at;
    this.setViewport(pivot - (pivot - this.x0) * factor, pivot + (this.x1 - pivot) * factor);
  }

  /** Pans by a fraction of the visible width. */
  pan(fraction: number): void {
    const d = (this.x1 - this.x0) * fraction;
    this.setViewport(this.x0 + d, this.x1 + d);
  }

  /** Height of everything there is to draw (CSS px). */
  private contentHeight(): number {
    if (this.mode === 'flame') return (this.flame?.rows ?? 0) * ROW_HEIGHT + 8;
    return (this.chart?.rows.length ?? 0) * ROW_HEIGHT + AXIS_HEIGHT + 8;
  }

  private maxScroll(): number {
    return Math.max(0, this.contentHeight() - this.height);
  }

  scrollBy(dy: number): void {
    this.scrollTop = Math.max(0, Math.min(this.maxScroll(), this.scrollTop + dy));
    this.requestDraw();
  }

  /** True when there are rows above or below the view. */
  get scrollable(): boolean {
    return this.maxScroll() > 0;
  }

  /** Keeps the native scrollbar's thumb where the canvas is scrolled to. */
  private syncScrollbar(): void {
    const max = this.maxScroll();
    this.scrollTrack.hidden = max <= 0;
    if (max <= 0) return;
    this.scrollSpacer.style.height = `${this.contentHeight()}px`;
    const pos = this.mode === 'flame' && !this.icicle ? max - this.scrollTop : this.scrollTop;
    if (Math.abs(this.scrollTrack.scrollTop - pos) > 0.5) {
      this.syncingScroll = true;
      this.scrollTrack.scrollTop = pos;
    }
  }

  resetView(): void {
    this.setViewport(this.minX, this.maxX);
    this.scrollTop = 0;
  }

  resize(): void {
    const rect = this.container.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, Math.floor(rect.width));
    this.height = Math.max(1, Math.floor(rect.height));
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.canvas.width = Math.round(this.width * this.dpr);
    this.canvas.height = Math.round(this.height * this.dpr);
    this.requestDraw();
  }

  requestDraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /**
   * Where the flame graph's roots sit: at the bottom of the view when the graph
   * is taller than it (scroll up for the rest), else right under the graph's top
   * row, so a shallow graph is not drawn at the bottom of an empty area.
   */
  private flameBase(): number {
    return Math.min(this.height, this.contentHeight());
  }

  private rowY(depth: number): number {
    if (this.mode === 'stack' || this.icicle) return AXIS_HEIGHT * (this.mode === 'stack' ? 1 : 0) + depth * ROW_HEIGHT - this.scrollTop;
    return this.flameBase() - (depth + 1) * ROW_HEIGHT + this.scrollTop;
  }

  /** The row of the last click (a stack chart lane header has no box, but toggles its lane). */
  clickedRow = -1;

  private rowAt(y: number): number {
    if (this.mode === 'stack') return Math.floor((y - AXIS_HEIGHT + this.scrollTop) / ROW_HEIGHT);
    if (this.icicle) return Math.floor((y + this.scrollTop) / ROW_HEIGHT);
    return Math.floor((this.flameBase() + this.scrollTop - y) / ROW_HEIGHT);
  }

  private ensureBuckets(n: number): void {
    if (this.buckets.length === n) return;
    this.buckets = Array.from({ length: n }, () => new Float32Array(4 * 1024));
    this.bucketLength = new Int32Array(n);
  }

  private pushRect(color: number, x: number, y: number, w: number): void {
    let b = this.buckets[color];
    const len = this.bucketLength[color];
    if (len + 3 > b.length) {
      const next = new Float32Array(b.length * 2);
      next.set(b);
      this.buckets[color] = b = next;
    }
    b[len] = x;
    b[len + 1] = y;
    b[len + 2] = w;
    this.bucketLength[color] = len + 3;
  }

  private pushLabel(x: number, y: number, w: number, func: number): void {
    if ((this.labelCount + 1) * 4 > this.labels.length) {
      const next = new Float64Array(this.labels.length * 2);
      next.set(this.labels);
      this.labels = next;
    }
    const i = this.labelCount++ * 4;
    this.labels[i] = x;
    this.labels[i + 1] = y;
    this.labels[i + 2] = w;
    this.labels[i + 3] = func;
  }

  private colorOf(func: number): number {
    const palette = this.palette!;
    if (this.match && this.match[func] === 0) return palette.dimmed;
    return palette.funcColor[func];
  }

  draw(): void {
    const t0 = performance.now();
    const { ctx } = this;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, this.width, this.height);
    if (!this.palette) return;
    this.ensureBuckets(this.palette.fills.length);
    this.bucketLength.fill(0);
    this.labelCount = 0;
    let selected: { x: number; y: number; w: number }[] = [];
    if (this.mode === 'flame' && this.flame) selected = this.collectFlame();
    else if (this.mode === 'stack' && this.chart) selected = this.collectStackChart();
    // Batched by colour: one fillStyle change per colour, then plain fillRects.
    const h = ROW_HEIGHT - 1;
    for (let c = 0; c < this.buckets.length; c++) {
      const len = this.bucketLength[c];
      if (len === 0) continue;
      const b = this.buckets[c];
      ctx.fillStyle = this.palette.fills[c];
      for (let i = 0; i < len; i += 3) ctx.fillRect(b[i], b[i + 1], b[i + 2], h);
    }
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = this.theme.text;
    const labels = this.labels;
    for (let i = 0; i < this.labelCount * 4; i += 4) this.drawLabel(labels[i + 3], labels[i], labels[i + 1], labels[i + 2]);
    if (selected.length > 0) {
      ctx.strokeStyle = this.theme.highlight;
      ctx.lineWidth = 1.5;
      for (const r of selected) ctx.strokeRect(r.x + 0.75, r.y + 0.75, Math.max(0, r.w - 1.5), h - 1.5);
    }
    const hover = this.hovered;
    if (hover) {
      const scale = this.width / (this.x1 - this.x0);
      const x = Math.max(-2, (hover.start - this.x0) * scale);
      const w = Math.min(this.width + 2, (hover.end - this.x0) * scale) - x;
      ctx.strokeStyle = this.theme.text;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 2]);
      ctx.strokeRect(x + 0.5, this.rowY(hover.row) + 0.5, Math.max(0, w - 1), h - 1);
      ctx.setLineDash([]);
    }
    if (this.mode === 'flame' && this.flame && this.focusNode >= 0 && this.focusNode < this.flame.tree.length) {
      const r = this.flameNodeRect(this.focusNode)!;
      const x = Math.max(-2, r.x);
      ctx.strokeStyle = this.theme.highlight;
      ctx.lineWidth = 2.5;
      ctx.strokeRect(x + 1.25, r.y + 1.25, Math.max(0, Math.min(r.x + r.w, this.width + 2) - x - 2.5), h - 2.5);
    }
    if (this.mode === 'stack') {
      this.drawLaneHeaders();
      this.drawAxis();
    }
    this.syncScrollbar();
    this.callbacks.onPaint?.(performance.now() - t0);
  }

  private drawLabel(func: number, x: number, y: number, w: number): void {
    const name = this.names[func] ?? '';
    let width = this.textWidth[func];
    if (width < 0) {
      width = this.ctx.measureText(name).width;
      this.textWidth[func] = width;
    }
    const avail = w - 6;
    const left = Math.max(x, 0) + 3;
    if (width <= avail) {
      this.ctx.fillText(name, left, y + ROW_HEIGHT / 2);
      return;
    }
    const perChar = name.length > 0 ? width / name.length : this.charWidth;
    const chars = Math.floor((avail - this.charWidth) / perChar);
    if (chars < 2) return;
    this.ctx.fillText(`${name.slice(0, chars)}…`, left, y + ROW_HEIGHT / 2);
  }

  private collectFlame(): { x: number; y: number; w: number }[] {
    const layout = this.flame!;
    const { tree, x: nodeX, subtreeEnd, deepest } = layout;
    const scale = this.width / (this.x1 - this.x0);
    const x0 = this.x0;
    const x1 = this.x1;
    const minWidth = 0.5 / scale;
    const selected: { x: number; y: number; w: number }[] = [];
    const n = tree.length;
    const nodeColor = this.nodeColor;
    // Sub-pixel nodes are not drawn one by one, but neighbours at one depth add up: a run of them
    // wider than half a pixel is drawn as one box (an inverted graph's many tiny roots, say), in the
    // colour of its first node. One open run per depth; a gap or a drawn node closes it.
    if (this.runStart.length < layout.rows) this.growRuns(layout.rows);
    this.runEnd.fill(-Infinity, 0, layout.rows);
    const flushRun = (depth: number): void => {
      const a = this.runStart[depth];
      const b = this.runEnd[depth];
      if (b === -Infinity) return;
      this.runEnd[depth] = -Infinity;
      if ((b - a) * scale < 0.5) return;
      const y = this.rowY(depth);
      if (y > this.height || y + ROW_HEIGHT < 0) return;
      const px = Math.max((a - x0) * scale, -2);
      this.pushRect(this.runColor[depth], px, y, Math.max(Math.min((b - x0) * scale, this.width + 2) - px, 0.5));
    };
    for (let i = 0; i < n; ) {
      const w = tree.total[i];
      const left = nodeX[i];
      if (left >= x1 || left + w <= x0) {
        i = subtreeEnd[i];
        continue;
      }
      const depth = tree.depth[i];
      if (w < minWidth) {
        // The subtree joins the open runs of its rows (contiguous with them: siblings and cousins
        // touch), down to its deepest row; a gap starts new runs.
        const color = nodeColor ? nodeColor[i] : this.colorOf(tree.func[i]);
        for (let d = depth; d <= deepest[i]; d++) {
          if (this.runEnd[d] !== -Infinity && left - this.runEnd[d] <= minWidth) this.runEnd[d] = left + w;
          else {
            flushRun(d);
            this.runStart[d] = left;
            this.runEnd[d] = left + w;
            this.runColor[d] = color;
          }
        }
        i = subtreeEnd[i];
        continue;
      }
      flushRun(depth);
      const y = this.rowY(depth);
      if (y > this.height || y + ROW_HEIGHT < 0) {
        i++;
        continue;
      }
      const px = (left - x0) * scale;
      const pw = w * scale;
      const clippedX = Math.max(px, -2);
      const clippedW = Math.min(px + pw, this.width + 2) - clippedX;
      const func = tree.func[i];
      const color = nodeColor && !(this.match && this.match[func] === 0) ? nodeColor[i] : this.colorOf(func);
      this.pushRect(color, clippedX, y, Math.max(clippedW - (pw > 3 ? 1 : 0), 0.5));
      if (clippedW >= MIN_TEXT_WIDTH) this.pushLabel(clippedX, y, clippedW, func);
      if (func === this.selectedFunc) selected.push({ x: clippedX, y, w: clippedW });
      i++;
    }
    for (let d = 0; d < layout.rows; d++) flushRun(d);
    return selected;
  }

  private runStart = new Float64Array(0);
  private runEnd = new Float64Array(0);
  private runColor = new Uint8Array(0);

  private growRuns(rows: number): void {
    this.runStart = new Float64Array(rows);
    this.runEnd = new Float64Array(rows);
    this.runColor = new Uint8Array(rows);
  }

  private collectStackChart(): { x: number; y: number; w: number }[] {
    const chart = this.chart!;
    const scale = this.width / (this.x1 - this.x0);
    const selected: { x: number; y: number; w: number }[] = [];
    for (let d = 0; d < chart.rows.length; d++) {
      const y = this.rowY(d);
      if (y + ROW_HEIGHT < AXIS_HEIGHT || y > this.height) continue;
      const row = chart.rows[d];
      let lastPixel = -Infinity;
      let runColor = -1;
      let runX = 0;
      let runEnd = 0;
      const flush = () => {
        if (runColor >= 0) this.pushRect(runColor, runX, y, Math.max(runEnd - runX, 1));
        runColor = -1;
      };
      for (let i = firstBoxEndingAfter(row, this.x0); i < row.length; i++) {
        const start = row.start[i];
        if (start >= this.x1) break;
        const end = row.end[i];
        const px = (start - this.x0) * scale;
        const pxEnd = (end - this.x0) * scale;
        // Sub-pixel boxes: draw at most one per pixel column, and jump over the rest of the column
        // by binary search (a zoomed-out row of a big profile has millions of boxes).
        if (pxEnd - px < 1 && Math.floor(pxEnd) <= lastPixel) {
          const next = firstBoxEndingAfter(row, this.x0 + (lastPixel + 1) / scale);
          if (next > i + 1) i = next - 1;
          continue;
        }
        lastPixel = Math.floor(pxEnd);
        const clippedX = Math.max(px, -2);
        const clippedW = Math.min(pxEnd, this.width + 2) - clippedX;
        const func = this.stackFunc[row.stack[i]];
        const color = this.colorOf(func);
        if (clippedW < 3) {
          const x = Math.floor(clippedX);
          if (runColor >= 0 && x <= runEnd + 1) {
            // Touching narrow boxes are one rectangle (a thousand 1-px fillRects a row cost 100 ms a
            // frame): in their colour when they share one, else in the neutral "many small frames" grey.
            runEnd = Math.max(runEnd, x + Math.max(1, Math.ceil(clippedW)));
            if (color !== runColor) runColor = this.palette!.dimmed;
          } else {
            flush();
            runColor = color;
            runX = x;
            runEnd = x + Math.max(1, Math.ceil(clippedW));
          }
        } else {
          flush();
          this.pushRect(color, clippedX, y, clippedW - 1);
        }
        if (clippedW >= MIN_TEXT_WIDTH) this.pushLabel(clippedX, y, clippedW, func);
        if (func === this.selectedFunc) selected.push({ x: clippedX, y, w: clippedW });
      }
      flush();
    }
    return selected;
  }

  /** Lane names (several threads): a rule and the thread's name in each lane's header row. */
  private drawLaneHeaders(): void {
    if (this.lanes.length === 0) return;
    const { ctx } = this;
    ctx.font = `600 ${FONT}`;
    ctx.textBaseline = 'middle';
    for (const lane of this.lanes) {
      const y = this.rowY(lane.headerRow);
      if (y + ROW_HEIGHT < AXIS_HEIGHT || y > this.height) continue;
      ctx.fillStyle = this.theme.background;
      ctx.fillRect(0, y, this.width, ROW_HEIGHT);
      ctx.fillStyle = this.theme.axis;
      ctx.fillRect(0, y, this.width, 1);
      ctx.fillStyle = this.theme.text;
      ctx.fillText(lane.rows > 0 ? lane.label : `${lane.label} (no samples)`, 6, y + ROW_HEIGHT / 2 + 1);
    }
    ctx.font = FONT;
  }

  /** Moves the keyboard cursor in the flame graph, bringing the node into view and telling the host (tooltip). */
  private moveFocus(move: 'parent' | 'child' | 'prev' | 'next' | 'none'): void {
    const layout = this.flame;
    if (!layout) return;
    const node = move === 'none' ? this.focusNode : flameNeighbor(layout.tree, this.focusNode, move);
    if (node < 0) return;
    this.focusNode = node;
    const start = layout.x[node];
    const end = start + layout.tree.total[node];
    if (end - start > this.x1 - this.x0) this.setViewport(start, end);
    else if (start < this.x0 || end > this.x1) {
      const shift = start < this.x0 ? start - this.x0 : end - this.x1;
      this.setViewport(this.x0 + shift, this.x1 + shift);
    }
    const y = this.rowY(layout.tree.depth[node]);
    if (y < 0) this.scrollBy(this.icicle ? y : -y);
    else if (y + ROW_HEIGHT > this.height) this.scrollBy(this.icicle ? y + ROW_HEIGHT - this.height : this.height - y - ROW_HEIGHT);
    this.requestDraw();
    const r = this.flameNodeRect(node)!;
    const rect = this.canvas.getBoundingClientRect();
    this.callbacks.onHover(this.flameHit(node), rect.left + Math.max(0, r.x) + Math.min(r.w, this.width) / 2, rect.top + r.y + ROW_HEIGHT);
  }

  private flameHit(node: number): Hit {
    const layout = this.flame!;
    const t = layout.tree;
    return { node, row: t.depth[node], func: t.func[node], stack: -1, start: layout.x[node], end: layout.x[node] + t.total[node] };
  }

  private drawAxis(): void {
    const { ctx } = this;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, this.width, AXIS_HEIGHT);
    const span = this.x1 - this.x0;
    const scale = this.width / span;
    if (this.range) {
      const a = (this.range[0] - this.x0) * scale;
      const b = (this.range[1] - this.x0) * scale;
      ctx.fillStyle = this.theme.selection;
      ctx.fillRect(a, 0, b - a, this.height);
    }
    const rough = span / Math.max(1, this.width / 110);
    const pow = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? pow * 10;
    ctx.strokeStyle = this.theme.axis;
    ctx.fillStyle = this.theme.axis;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let t = Math.ceil(this.x0 / step) * step; t <= this.x1; t += step) {
      const x = Math.round((t - this.x0) * scale) + 0.5;
      ctx.moveTo(x, AXIS_HEIGHT - 6);
      ctx.lineTo(x, AXIS_HEIGHT);
      const label = t >= 1000 ? `${(t / 1000).toFixed(step >= 1000 ? 0 : step >= 100 ? 1 : 2)} s` : `${t.toFixed(step >= 1 ? 0 : 2)} ms`;
      ctx.fillText(label, x + 3, 8);
    }
    ctx.moveTo(0, AXIS_HEIGHT - 0.5);
    ctx.lineTo(this.width, AXIS_HEIGHT - 0.5);
    ctx.stroke();
  }

  hitAt(clientX: number, clientY: number): Hit | null {
    const rect = this.canvas.getBoundingClientRect();
    const px = clientX - rect.left;
    const py = clientY - rect.top;
    const u = this.x0 + (px / this.width) * (this.x1 - this.x0);
    const row = this.rowAt(py);
    if (this.mode === 'flame' && this.flame) {
      const node = hitTestFlame(this.flame, u, row);
      return node < 0 ? null : this.flameHit(node);
    }
    if (this.mode === 'stack' && this.chart && py > AXIS_HEIGHT) {
      const box = hitTestStackChart(this.chart, u, row);
      if (box < 0) return null;
      const r = this.chart.rows[row];
      return { node: box, row, func: this.stackFunc[r.stack[box]], stack: r.stack[box], start: r.start[box], end: r.end[box] };
    }
    return null;
  }

  /** Where a node is on screen (CSS px, relative to the canvas), for tests and keyboard focus. */
  flameNodeRect(node: number): { x: number; y: number; w: number } | null {
    if (!this.flame) return null;
    const scale = this.width / (this.x1 - this.x0);
    return { x: (this.flame.x[node] - this.x0) * scale, y: this.rowY(this.flame.tree.depth[node]), w: this.flame.tree.total[node] * scale };
  }

  private installEvents(): void {
    const c = this.canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const rect = c.getBoundingClientRect();
        const at = (e.clientX - rect.left) / this.width;
        const vertical = Math.abs(e.deltaY) > Math.abs(e.deltaX) && !e.shiftKey;
        if (vertical && !e.ctrlKey && !e.metaKey && this.mode === 'stack' && this.lanes.length > 0 && this.scrollable) {
          // Several threads' lanes: the wheel scrolls to later lanes; Ctrl+wheel (or the phases track) zooms.
          this.scrollBy(e.deltaY);
        } else if (e.ctrlKey || e.metaKey || vertical) {
          this.zoom(Math.exp(e.deltaY * 0.002), at);
        } else {
          this.pan((e.shiftKey ? e.deltaY : e.deltaX) / this.width);
        }
      },
      { passive: false },
    );
    c.addEventListener('mousedown', (e) => {
      if (e.button !== 0) return;
      const rect = c.getBoundingClientRect();
      const y = e.clientY - rect.top;
      const select = this.mode === 'stack' && (e.shiftKey || y < AXIS_HEIGHT);
      this.dragging = { x: e.clientX, y: e.clientY, x0: this.x0, x1: this.x1, scroll: this.scrollTop, moved: false, select };
    });
    window.addEventListener('mousemove', (e) => {
      const d = this.dragging;
      if (d) {
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
        if (!d.moved) return;
        const perPx = (d.x1 - d.x0) / this.width;
        if (d.select) {
          const rect = c.getBoundingClientRect();
          const a = d.x0 + (d.x - rect.left) * perPx;
          const b = d.x0 + (e.clientX - rect.left) * perPx;
          this.range = [Math.min(a, b), Math.max(a, b)];
          this.requestDraw();
        } else {
          this.setViewport(d.x0 - dx * perPx, d.x1 - dx * perPx);
          this.scrollTop = d.scroll;
          this.scrollBy(this.mode === 'flame' && !this.icicle ? dy : -dy);
        }
        return;
      }
      if (e.target !== c) {
        if (this.hovered) {
          this.hovered = null;
          this.requestDraw();
          this.callbacks.onHover(null, 0, 0);
        }
        return;
      }
      const hit = this.hitAt(e.clientX, e.clientY);
      const changed = (hit?.node ?? -1) !== (this.hovered?.node ?? -1) || (hit?.row ?? -1) !== (this.hovered?.row ?? -1);
      this.hovered = hit;
      if (changed) this.requestDraw();
      this.callbacks.onHover(hit, e.clientX, e.clientY);
    });
    window.addEventListener('mouseup', (e) => {
      const d = this.dragging;
      this.dragging = null;
      if (!d) return;
      if (d.moved && d.select && this.range) {
        this.callbacks.onRangeSelect?.(this.range[0], this.range[1]);
        return;
      }
      if (!d.moved && e.target === c) {
        const hit = this.hitAt(e.clientX, e.clientY);
        this.clickedRow = this.rowAt(e.clientY - c.getBoundingClientRect().top);
        // The keyboard cursor continues from the clicked frame.
        if (this.mode === 'flame') this.focusNode = hit ? hit.node : -1;
        this.callbacks.onClick(hit);
      }
    });
    c.addEventListener('dblclick', (e) => this.callbacks.onDoubleClick?.(this.hitAt(e.clientX, e.clientY)));
    c.addEventListener('mouseleave', () => {
      if (!this.dragging) {
        this.hovered = null;
        this.requestDraw();
        this.callbacks.onHover(null, 0, 0);
      }
    });
    c.addEventListener('keydown', (e) => {
      const handled = ((): boolean => {
        // Flame graph: arrows walk the graph (up and down as drawn), Enter zooms to and selects the node;
        // with Shift the arrows pan and scroll as in the stack chart.
        if (this.mode === 'flame' && this.flame && !e.shiftKey) {
          const up = this.icicle ? 'parent' : 'child';
          const down = this.icicle ? 'child' : 'parent';
          switch (e.key) {
            case 'ArrowUp':
              this.moveFocus(up);
              return true;
            case 'ArrowDown':
              this.moveFocus(down);
              return true;
            case 'ArrowLeft':
              this.moveFocus('prev');
              return true;
            case 'ArrowRight':
              this.moveFocus('next');
              return true;
            case 'Enter':
              if (this.focusNode < 0) return false;
              this.callbacks.onClick(this.flameHit(this.focusNode));
              this.moveFocus('none'); // the zoom moved the node: its tooltip follows
              return true;
            default:
              break;
          }
        }
        switch (e.key) {
          case '+':
          case '=':
            this.zoom(0.8);
            return true;
          case '-':
          case '_':
            this.zoom(1.25);
            return true;
          case 'ArrowLeft':
            this.pan(-0.1);
            return true;
          case 'ArrowRight':
            this.pan(0.1);
            return true;
          case 'ArrowUp':
            this.scrollBy(this.mode === 'flame' && !this.icicle ? ROW_HEIGHT * 3 : -ROW_HEIGHT * 3);
            return true;
          case 'ArrowDown':
            this.scrollBy(this.mode === 'flame' && !this.icicle ? -ROW_HEIGHT * 3 : ROW_HEIGHT * 3);
            return true;
          case '0':
          case 'Escape':
            this.resetView();
            return true;
          default:
            return false;
        }
      })();
      if (handled) e.preventDefault();
    });
  }
}
