/**
 * The memory curve (RSS over time), drawn on its own canvas and sharing the
 * stack chart's time window so the two line up pixel for pixel.
 */
import type { Profile } from '../../src/model/profile.js';
import { formatBytes } from './format.js';

export interface MemorySeries {
  time: Float64Array;
  /** Bytes. */
  value: Float64Array;
  label: string;
}

/** RSS from a memory counter, else from the samples' RSS column of the chosen threads. */
export function memorySeries(profile: Profile, threads: number[]): MemorySeries | null {
  const counter = profile.counters.find((c) => /mem|rss/i.test(c.name) || /mem/i.test(c.category));
  if (counter && counter.time.length > 0) {
    const scale = /^kib?$|^kb$/i.test(counter.unit) ? 1024 : /^mib?$|^mb$/i.test(counter.unit) ? 1048576 : 1;
    return { time: counter.time, value: counter.value.map((v) => v * scale), label: counter.name };
  }
  const chosen = threads.length > 0 ? threads : profile.threads.map((_, i) => i);
  for (const t of chosen) {
    const s = profile.threads[t]?.samples;
    if (!s || !s.rss) continue;
    const time: number[] = [];
    const value: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const v = s.rss[i];
      if (Number.isFinite(v) && v > 0) {
        time.push(s.time[i]);
        value.push(v * 1024);
      }
    }
    if (time.length > 1)
      return {
        time: Float64Array.from(time),
        value: Float64Array.from(value),
        label: `RSS (${profile.threads[t].name || profile.threads[t].id})`,
      };
  }
  return null;
}

export class MemoryTrack {
  readonly canvas: HTMLCanvasElement;
  private series: MemorySeries | null = null;
  private x0 = 0;
  private x1 = 1;
  private colors = { line: '#2a7', fill: 'rgba(40,170,120,0.18)', text: '#333', background: '#fff' };

  constructor(readonly container: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'memory-canvas';
    container.appendChild(this.canvas);
    new ResizeObserver(() => this.draw()).observe(container);
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

  setViewport(x0: number, x1: number): void {
    this.x0 = x0;
    this.x1 = x1;
    this.draw();
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
    const y = (v: number) => hgt - 4 - (v / max) * (hgt - 18);
    ctx.beginPath();
    let started = false;
    let lastX = -Infinity;
    for (let i = 0; i < s.time.length; i++) {
      const x = (s.time[i] - this.x0) * scale;
      if (x < -1 && i + 1 < s.time.length && (s.time[i + 1] - this.x0) * scale < -1) continue;
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
    ctx.lineTo((s.time[0] - this.x0) * scale, hgt);
    ctx.closePath();
    ctx.fillStyle = this.colors.fill;
    ctx.fill();
    ctx.fillStyle = this.colors.text;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(`${s.label}: peak ${formatBytes(max)}`, 6, 3);
  }
}
