/**
 * The memory curve (RSS over time), drawn on its own canvas and sharing the
 * stack chart's time window so the two line up pixel for pixel. It has a
 * y-axis (a few round byte values), shows the value under the pointer, shades
 * the selected time range (a drag on the curve selects one, like a drag on the
 * stack chart's axis) and, on PyPy recordings with a PyPy log, the GC phases
 * as bands behind the curve.
 */
import type { Profile } from '../../src/model/profile.js';
import { profileDuration } from '../../src/model/profile.js';
import { formatBytes, formatMs } from './format.js';
import { collectMarkers, markerAxis } from './markers.js';

export interface MemorySeries {
  time: Float64Array;
  /** Bytes. */
  value: Float64Array;
  label: string;
  /** GC phases (PyPy log markers of category gc) on the samples' time axis: [start, end, major (1) or minor (0)] triples. */
  gc?: Float64Array;
}

/** GC phases of the chosen threads as [start, end, major] triples on the samples' time axis. */
function gcPhases(profile: Profile, threads: number[]): Float64Array | undefined {
  const axis = markerAxis(profile, profileDuration(profile));
  const items = collectMarkers(profile, threads, axis).filter((m) => /gc/i.test(m.category) && m.depth === 0);
  if (items.length === 0) return undefined;
  const out = new Float64Array(items.length * 3);
  items.forEach((m, i) => {
    out[i * 3] = m.start;
    out[i * 3 + 1] = m.end;
    out[i * 3 + 2] = /minor/i.test(m.name) ? 0 : 1; // gc-minor vs gc-collect-step and the other major phases
  });
  return out;
}

/**
 * The readings in time order: one whose time is past the run's end or before the last kept one is
 * left out (one misplaced reading draws the curve as one flat line to it; the VMProf reader once
 * placed some 10× past the run's end).
 */
function inTimeOrder(
  time: ArrayLike<number>,
  value: ArrayLike<number>,
  scale: number,
  end: number,
): { time: Float64Array; value: Float64Array } {
  const t: number[] = [];
  const v: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < time.length; i++) {
    if (!(time[i] >= last) || time[i] > end || !(Number.isFinite(value[i]) && value[i] > 0)) continue;
    last = time[i];
    t.push(time[i]);
    v.push(value[i] * scale);
  }
  return { time: Float64Array.from(t), value: Float64Array.from(v) };
}

/** RSS from a memory counter, else from the samples' RSS column of the chosen threads. */
export function memorySeries(profile: Profile, threads: number[]): MemorySeries | null {
  const gc = gcPhases(profile, threads);
  const duration = profileDuration(profile);
  const end = duration > 0 ? duration * 1.01 + (profile.meta.interval || 0) : Infinity;
  const counter = profile.counters.find((c) => /mem|rss/i.test(c.name) || /mem/i.test(c.category));
  if (counter && counter.time.length > 0) {
    const scale = /^kib?$|^kb$/i.test(counter.unit) ? 1024 : /^mib?$|^mb$/i.test(counter.unit) ? 1048576 : 1;
    return { ...inTimeOrder(counter.time, counter.value, scale, end), label: counter.name, gc };
  }
  const chosen = threads.length > 0 ? threads : profile.threads.map((_, i) => i);
  for (const t of chosen) {
    const s = profile.threads[t]?.samples;
    if (!s || !s.rss) continue;
    const series = inTimeOrder(s.time.subarray(0, s.length), s.rss.subarray(0, s.length), 1024, end);
    if (series.time.length > 1) return { ...series, label: `RSS (${profile.threads[t].name || profile.threads[t].id})`, gc };
  }
  return null;
}

/** Round y-axis steps: 1, 2 or 5 times a power of two's neighbourhood in bytes (1 KiB, 2 KiB, 5 KiB, ... 1 MiB ...). */
export function axisTicks(max: number, count = 3): number[] {
  if (!(max > 0)) return [];
  const raw = max / count;
  const unit = 1024 ** Math.max(0, Math.floor(Math.log(raw) / Math.log(1024)));
  const inUnit = raw / unit;
  const magnitude = 10 ** Math.floor(Math.log10(inUnit));
  const step = Math.max(1, ([1, 2, 5, 10].find((m) => m * magnitude >= inUnit) ?? 10) * magnitude * unit); // whole bytes
  const out: number[] = [];
  for (let v = step; v <= max * 1.0001; v += step) out.push(v);
  return out;
}

/** Index of the last reading at or before `t` (0 when before the first). */
function readingAt(time: Float64Array, t: number): number {
  let lo = 0;
  let hi = time.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (time[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const AXIS_WIDTH = 56;

export class MemoryTrack {
  readonly canvas: HTMLCanvasElement;
  private series: MemorySeries | null = null;
  private x0 = 0;
  private x1 = 1;
  private range: [number, number] | null = null;
  private pointer: number | null = null;
  private drag: { from: number; to: number } | null = null;
  private colors = { line: '#2a7', fill: 'rgba(40,170,120,0.18)', text: '#333', background: '#fff' };

  constructor(
    readonly container: HTMLElement,
    private readonly onRangeSelect?: (start: number, end: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'memory-canvas';
    container.appendChild(this.canvas);
    new ResizeObserver(() => this.draw()).observe(container);
    const timeAt = (e: MouseEvent) => {
      const r = this.canvas.getBoundingClientRect();
      return this.x0 + ((e.clientX - r.left) / Math.max(1, r.width)) * (this.x1 - this.x0);
    };
    this.canvas.addEventListener('mousemove', (e) => {
      this.pointer = timeAt(e);
      if (this.drag) this.drag.to = this.pointer;
      this.draw();
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.pointer = null;
      this.draw();
    });
    this.canvas.addEventListener('mousedown', (e) => {
      if (e.button !== 0) return;
      const t = timeAt(e);
      this.drag = { from: t, to: t };
      const up = (ev: MouseEvent) => {
        window.removeEventListener('mouseup', up);
        const d = this.drag;
        this.drag = null;
        if (!d) return;
        d.to = timeAt(ev);
        const [a, b] = d.from < d.to ? [d.from, d.to] : [d.to, d.from];
        // a click is not a selection: at least 3 pixels of drag
        const r = this.canvas.getBoundingClientRect();
        if (((b - a) / (this.x1 - this.x0)) * r.width >= 3) this.onRangeSelect?.(a, b);
        this.draw();
      };
      window.addEventListener('mouseup', up);
    });
  }

  setColors(colors: { line: string; fill: string; text: string; background: string }): void {
    this.colors = colors;
    this.draw();
  }

  setSeries(series: MemorySeries | null): void {
    this.series = series;
    this.container.hidden = series === null;
    this.draw();
  }

  /** The selected time range (ms), shaded on the curve; null for none. */
  setRange(range: [number, number] | null): void {
    this.range = range;
    this.draw();
  }

  setViewport(x0: number, x1: number): void {
    this.x0 = x0;
    this.x1 = x1;
    this.draw();
  }

  /** The reading shown for a time (tests and the hover label use it). */
  valueAt(t: number): { time: number; value: number } | null {
    const s = this.series;
    if (!s || s.time.length === 0) return null;
    const i = readingAt(s.time, t);
    return { time: s.time[i], value: s.value[i] };
  }

  draw(): void {
    const s = this.series;
    if (!s) return;
    const rect = this.container.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(rect.width));
    const hgt = Math.max(1, Math.floor(rect.height));
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hgt * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${hgt}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.colors.background;
    ctx.fillRect(0, 0, w, hgt);
    let max = 0;
    for (let i = 0; i < s.value.length; i++) if (s.value[i] > max) max = s.value[i];
    if (max <= 0) return;
    const scale = w / (this.x1 - this.x0);
    const xOf = (t: number) => (t - this.x0) * scale;
    const top = 16;
    const y = (v: number) => hgt - 4 - (v / max) * (hgt - 4 - top);
    ctx.font = '11px system-ui, sans-serif';
    // GC phases behind the curve: major collections darker than minor ones
    if (s.gc) {
      for (let i = 0; i < s.gc.length; i += 3) {
        const a = xOf(s.gc[i]);
        const b = xOf(s.gc[i + 1]);
        if (b < 0 || a > w) continue;
        ctx.fillStyle = s.gc[i + 2] ? 'rgba(200,80,40,0.35)' : 'rgba(200,120,40,0.15)';
        ctx.fillRect(a, top, Math.max(1, b - a), hgt - top);
      }
    }
    const shade = this.drag ? [Math.min(this.drag.from, this.drag.to), Math.max(this.drag.from, this.drag.to)] : this.range;
    if (shade) {
      ctx.fillStyle = 'rgba(60,110,220,0.18)';
      ctx.fillRect(xOf(shade[0]), 0, xOf(shade[1]) - xOf(shade[0]), hgt);
    }
    // y-axis: grid lines at round values, labels at the left edge
    ctx.strokeStyle = 'rgba(128,128,128,0.3)';
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    for (const v of axisTicks(max, 2)) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(AXIS_WIDTH, yy);
      ctx.lineTo(w, yy);
      ctx.stroke();
      ctx.fillStyle = this.colors.text;
      ctx.fillText(formatBytes(v), 4, yy);
    }
    ctx.beginPath();
    let started = false;
    let lastX = -Infinity;
    for (let i = 0; i < s.time.length; i++) {
      const x = xOf(s.time[i]);
      if (x < -1 && i + 1 < s.time.length && xOf(s.time[i + 1]) < -1) continue;
      if (x - lastX < 0.5 && i + 1 < s.time.length) continue;
      lastX = x;
      if (!started) {
        ctx.moveTo(x, y(s.value[i]));
        started = true;
      } else ctx.lineTo(x, y(s.value[i]));
      if (x > w + 1) break;
    }
    ctx.strokeStyle = this.colors.line;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.lineTo(lastX, hgt);
    ctx.lineTo(xOf(s.time[0]), hgt);
    ctx.closePath();
    ctx.fillStyle = this.colors.fill;
    ctx.fill();
    ctx.fillStyle = this.colors.text;
    ctx.textBaseline = 'top';
    let label = `${s.label}: peak ${formatBytes(max)}`;
    if (s.gc) label += ' · GC phases shaded';
    // the value under the pointer: a vertical line and the reading at that time
    const at = this.pointer !== null ? this.valueAt(this.pointer) : null;
    if (at && this.pointer !== null) {
      const px = Math.round(xOf(this.pointer)) + 0.5;
      ctx.strokeStyle = this.colors.text;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, hgt);
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(xOf(at.time), y(at.value), 3, 0, Math.PI * 2);
      ctx.fillStyle = this.colors.line;
      ctx.fill();
      ctx.fillStyle = this.colors.text;
      label = `${formatBytes(at.value)} at ${formatMs(at.time)}  ·  ${label}`;
    }
    ctx.fillText(label, AXIS_WIDTH, 2);
  }
}
