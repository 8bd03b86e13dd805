/**
 * The markers track: GC and JIT phases (markers from a PyPy log attached to the
 * profile) as bars under a one-line summary of the run's time in each category.
 * It shares the stack chart's time window like the memory curve, and draws on
 * its own canvas (labels via fillText, summary via textContent: names from a
 * log are never markup).
 */
import type { Profile } from '../../src/model/profile.js';
import type { PypyLogTiming } from '../../src/formats/pypylog/index.js';
import { h, replaceChildren } from './dom.js';
import { formatMs, formatPercent } from './format.js';
import { firstBoxEndingAfter, hitTestMarkers, layoutMarkers, markerTimeByCategory, type MarkerInput, type MarkerLayout } from './layout.js';

export interface MarkerItem extends MarkerInput {
  /** Wall-clock start and end (ms from the run's start) as the profile records them; start/end are on the chart's axis. */
  wallStart: number;
  wallEnd: number;
  name: string;
  thread: number;
  data: Record<string, unknown> | null;
}

/**
 * Where markers go on the stack chart's axis. Markers are wall-clock ms over the
 * run; samples normally are too (recorded, or spread over the recorded duration:
 * meta.sampleTimes), but a file with neither sample times nor a duration only has
 * evenly spaced sample times (index x period) that cover the run in a different span. Then the phases are placed proportionally on the samples'
 * span (both stretch over the same run), and `proportional` says so.
 */
export function markerAxis(profile: Profile, runMs: number): { offset: number; scale: number; proportional: boolean } {
  // samples at recorded times, or spread over the recorded duration, are on the markers' clock already
  if ((profile.meta.sampleTimes ?? 'recorded') !== 'order') return { offset: 0, scale: 1, proportional: false };
  let first = Infinity;
  let last = -Infinity;
  for (const t of profile.threads) {
    const n = t.samples.length;
    if (n === 0) continue;
    first = Math.min(first, t.samples.time[0]);
    last = Math.max(last, t.samples.time[n - 1] + (profile.meta.interval || 0));
  }
  const span = last - first;
  if (!(span > 0) || !(runMs > 0) || Math.abs(span - runMs) <= 0.1 * runMs) return { offset: 0, scale: 1, proportional: false };
  return { offset: first, scale: span / runMs, proportional: true };
}

/** The markers of the given threads (all threads when none are given), placed on the chart's axis. */
export function collectMarkers(
  profile: Profile,
  threads: number[],
  axis: { offset: number; scale: number } = { offset: 0, scale: 1 },
): MarkerItem[] {
  const chosen = threads.length > 0 ? threads.filter((t) => t < profile.threads.length) : profile.threads.map((_, i) => i);
  const out: MarkerItem[] = [];
  for (const t of chosen) {
    const m = profile.threads[t].markers;
    for (let i = 0; i < m.length; i++) {
      const wallEnd = Math.max(m.end[i], m.start[i]);
      out.push({
        name: profile.strings[m.name[i]] ?? '',
        category: profile.strings[m.category[i]] ?? '',
        start: axis.offset + m.start[i] * axis.scale,
        end: axis.offset + wallEnd * axis.scale,
        wallStart: m.start[i],
        wallEnd,
        depth: m.depth[i],
        thread: t,
        data: m.data[i] ?? null,
      });
    }
  }
  return out;
}

const RAW_KEYS = new Set(['startTick', 'endTick', 'lineCount', 'lines']);

function short(text: string, max = 100): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A few readable lines about a marker's data: its first log lines, then other fields (raw clock ticks left out). */
export function markerDataSummary(data: Record<string, unknown> | null, maxLines = 6): string[] {
  if (!data) return [];
  const out: string[] = [];
  const lines = Array.isArray(data.lines) ? data.lines.filter((l): l is string => typeof l === 'string') : [];
  for (const l of lines.slice(0, 3)) out.push(short(l));
  const lineCount = typeof data.lineCount === 'number' ? data.lineCount : lines.length;
  if (lineCount > Math.min(lines.length, 3)) out.push(`(${lineCount.toLocaleString('en-US')} log lines in all)`);
  for (const [key, value] of Object.entries(data)) {
    if (out.length >= maxLines) break;
    if (RAW_KEYS.has(key) || value === undefined) continue;
    if (Array.isArray(value) && value.every((v) => v && typeof v === 'object' && 'name' in v && 'count' in v)) {
      const top = [...(value as { name: string; count: number }[])].sort((a, b) => b.count - a.count)[0];
      out.push(short(`${key}: ${value.length} entries${top ? `, most ${String(top.name)} = ${String(top.count)}` : ''}`));
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (out.length >= maxLines) break;
        out.push(short(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`));
      }
    } else {
      out.push(short(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`));
    }
  }
  return out.slice(0, maxLines);
}

/** Colours by category: GC in the flame graph's GC hue, JIT in its JIT hue, anything else grey-violet. */
export function categoryColor(category: string, dark: boolean): string {
  const c = category.toLowerCase();
  const light = dark ? 42 : 62;
  if (c.startsWith('gc')) return `hsl(0 ${dark ? 50 : 65}% ${light}%)`;
  // PyPy log jit-* sections are the JIT compiling (tracing, optimizing, backend): the compiling
  // colour of the time split, not the green of JIT code running (model/time-split.ts, colors.ts)
  if (c.startsWith('jit')) return `hsl(300 ${dark ? 40 : 55}% ${light - 4}%)`;
  return `hsl(270 ${dark ? 20 : 25}% ${light}%)`;
}

export function categoryLabel(category: string): string {
  const c = category.toLowerCase();
  return c === 'gc' ? 'GC' : c === 'jit' ? 'JIT compiling' : category || 'other';
}

const ROW = 12;
const MAX_ROWS = 8;

export class MarkerTrack {
  readonly canvas: HTMLCanvasElement;
  readonly summary = h('div', { class: 'markers-summary' });
  private items: MarkerItem[] = [];
  private layout: MarkerLayout | null = null;
  private x0 = 0;
  private x1 = 1;
  private width = 1;
  private dark = false;
  private summaryDark: boolean | null = null;
  private colors = { text: '#333', background: '#fff', outline: '#000' };
  private hovered: { row: number; box: number } | null = null;
  private pending = false;
  /** Boxes painted in the last frame, per category (tests read it). */
  painted: Record<string, number> = {};

  constructor(
    readonly container: HTMLElement,
    private readonly onHover: (item: MarkerItem | null, clientX: number, clientY: number) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'markers-canvas';
    container.append(this.summary, this.canvas);
    new ResizeObserver(() => this.requestDraw()).observe(container);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.hovered = null;
      this.requestDraw();
      this.onHover(null, 0, 0);
    });
  }

  setColors(colors: { text: string; background: string; outline: string }, dark: boolean): void {
    this.colors = colors;
    this.dark = dark;
    this.requestDraw();
  }

  /**
   * Shows markers (null or none hides the track); `duration` is the run's wall-clock length for
   * the shares, `proportional` when markers were placed proportionally (see markerAxis),
   * `timing` how a PyPy log's ticks were put on the profile's clock (attachPypyLog).
   */
  setMarkers(items: MarkerItem[] | null, duration: number, proportional = false, timing: PypyLogTiming['source'] | null = null): void {
    if (!items || items.length === 0) {
      this.items = [];
      this.layout = null;
      this.container.hidden = true;
      return;
    }
    if (items !== this.items || this.dark !== this.summaryDark) {
      this.summaryDark = this.dark;
      this.items = items;
      this.layout = layoutMarkers(items);
      this.hovered = null;
      const totals = markerTimeByCategory(items.map((m) => ({ start: m.wallStart, end: m.wallEnd, depth: m.depth, category: m.category })));
      const parts: HTMLElement[] = [];
      for (const category of this.layout.categories) {
        const ms = totals.get(category) ?? 0;
        const label = categoryLabel(category);
        parts.push(
          h(
            'span',
            { class: 'markers-share', 'data-category': category },
            h('i', { style: `background:${categoryColor(category, this.dark)}` }),
            `${label} ${formatMs(ms)} (${formatPercent(ms, duration)} of the run)`,
          ),
        );
      }
      replaceChildren(
        this.summary,
        h('strong', null, 'PyPy phases'),
        ...parts,
        h('span', { class: 'muted' }, `${items.length.toLocaleString('en-US')} sections`),
        proportional
          ? h(
              'span',
              {
                class: 'muted',
                title:
                  'The samples carry no wall-clock times (evenly spaced by the sampling period), so the phases are placed in proportion over the same run.',
              },
              '· placed in proportion to the samples',
            )
          : null,
        timing === 'clock'
          ? h(
              'span',
              {
                class: 'muted markers-timing',
                title: "The log's tick counter and the wall clock were read together at the recording's start and stop.",
              },
              '· at their real times (clocks recorded with the profile)',
            )
          : timing === 'span'
            ? h(
                'span',
                {
                  class: 'muted markers-timing',
                  title:
                    "This profile carries no clock marks for the log (recorded elsewhere or by an older pyrometer): the log's first to last timestamp is stretched over the profile's run. The log also covers start-up and exit, so times are approximate.",
                },
                "· approximate times (the log's span stretched over the run)",
              )
            : null,
      );
    }
    this.container.hidden = false;
    this.canvas.style.height = `${Math.min(MAX_ROWS, this.layout!.rows.length) * ROW + 2}px`;
    this.requestDraw();
  }

  setViewport(x0: number, x1: number): void {
    this.x0 = x0;
    this.x1 = x1;
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

  private hitAt(clientX: number, clientY: number): { row: number; box: number } | null {
    if (!this.layout) return null;
    const rect = this.canvas.getBoundingClientRect();
    const perPx = (this.x1 - this.x0) / this.width;
    const time = this.x0 + (clientX - rect.left) * perPx;
    const row = Math.floor((clientY - rect.top - 1) / ROW);
    // Two pixels of slack: sections of a few microseconds are still hoverable.
    const box = hitTestMarkers(this.layout, time, row, 2 * perPx);
    return box < 0 ? null : { row, box };
  }

  private hover(e: MouseEvent): void {
    const hit = this.hitAt(e.clientX, e.clientY);
    if (hit?.row !== this.hovered?.row || hit?.box !== this.hovered?.box) {
      this.hovered = hit;
      this.requestDraw();
    }
    this.onHover(hit ? this.items[this.layout!.rows[hit.row].marker[hit.box]] : null, e.clientX, e.clientY);
  }

  /** Where the widest marker of a category is on screen (CSS px relative to the canvas), for tests. */
  widestBox(category: string): { x: number; y: number; w: number; name: string } | null {
    const layout = this.layout;
    if (!layout) return null;
    const scale = this.width / (this.x1 - this.x0);
    let best: { x: number; y: number; w: number; name: string } | null = null;
    for (let r = 0; r < Math.min(MAX_ROWS, layout.rows.length); r++) {
      const row = layout.rows[r];
      for (let i = 0; i < row.length; i++) {
        const item = this.items[row.marker[i]];
        if (item.category !== category) continue;
        const w = (row.end[i] - row.start[i]) * scale;
        if (!best || w > best.w) best = { x: (row.start[i] - this.x0) * scale, y: 1 + r * ROW, w, name: item.name };
      }
    }
    return best;
  }

  draw(): void {
    const layout = this.layout;
    if (!layout || this.container.hidden) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(this.canvas.parentElement!.getBoundingClientRect().width));
    const rows = Math.min(MAX_ROWS, layout.rows.length);
    const hgt = rows * ROW + 2;
    this.width = w;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hgt * dpr);
    this.canvas.style.width = `${w}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.colors.background;
    ctx.fillRect(0, 0, w, hgt);
    const scale = w / (this.x1 - this.x0);
    const fills = layout.categories.map((c) => categoryColor(c, this.dark));
    const painted: Record<string, number> = {};
    ctx.font = '10px ui-monospace, "DejaVu Sans Mono", monospace';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < rows; r++) {
      const row = layout.rows[r];
      const y = 1 + r * ROW;
      let lastPixel = -Infinity;
      for (let i = firstBoxEndingAfter(row, this.x0); i < row.length; i++) {
        const start = row.start[i];
        if (start > this.x1) break;
        const px = (start - this.x0) * scale;
        const pxEnd = (row.end[i] - this.x0) * scale;
        // Culled like the stack chart: at most one sub-pixel box per pixel column.
        if (pxEnd - px < 1 && Math.floor(px) <= lastPixel) continue;
        lastPixel = Math.floor(Math.max(px + 1, pxEnd));
        const x = Math.max(px, -2);
        const bw = Math.max(1, Math.min(pxEnd, w + 2) - x);
        const item = this.items[row.marker[i]];
        ctx.fillStyle = fills[layout.categoryOf[row.marker[i]]];
        ctx.fillRect(x, y, bw > 3 ? bw - 1 : bw, ROW - 1);
        const category = layout.categories[layout.categoryOf[row.marker[i]]];
        painted[category] = (painted[category] ?? 0) + 1;
        if (bw > 40) {
          ctx.fillStyle = this.colors.text;
          const label = item.name;
          const room = Math.floor((bw - 6) / 6);
          if (room >= 3) ctx.fillText(label.length > room ? `${label.slice(0, room - 1)}…` : label, Math.max(x, 0) + 3, y + ROW / 2);
        }
      }
    }
    const hov = this.hovered;
    if (hov && hov.row < rows) {
      const row = layout.rows[hov.row];
      const x = (row.start[hov.box] - this.x0) * scale;
      const bw = Math.max(1, (row.end[hov.box] - row.start[hov.box]) * scale);
      ctx.strokeStyle = this.colors.outline;
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, 1 + hov.row * ROW + 0.5, Math.max(1, bw - 1), ROW - 2);
    }
    this.painted = painted;
  }
}
