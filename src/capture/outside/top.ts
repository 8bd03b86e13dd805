/**
 * `pyrometer top`: the hottest functions of a running process over the last second, from the
 * outside sampler through a sink that only counts (nothing is written to disk).
 */
import type { RunTotals, Sample, SampleSink } from './sink.js';

export interface TopRow {
  name: string;
  where: string;
  self: number;
  total: number;
}

export class CountingSink implements SampleSink {
  private self = new Map<string, number>();
  private total = new Map<string, number>();
  private rows = new Map<string, { name: string; where: string }>();
  samples = 0;
  idle = 0;
  threads = new Set<number>();

  begin(): void {}
  thread(): void {}
  meta(): void {}
  end(_t: RunTotals): void {}

  sample(s: Sample): void {
    this.threads.add(s.tid);
    this.samples += s.count;
    if (s.idle) {
      this.idle += s.count;
      return;
    }
    const seen = new Set<string>();
    s.frames.forEach((f, i) => {
      // co_name, as the profiles `record` writes name functions (vmprof-sink.ts)
      const key = `${f.code.name}\0${f.code.file}\0${f.code.firstLine}`;
      if (!this.rows.has(key)) this.rows.set(key, { name: f.code.name, where: `${f.code.file}:${f.code.firstLine}` });
      if (i === 0) this.self.set(key, (this.self.get(key) ?? 0) + s.count);
      if (!seen.has(key)) {
        seen.add(key);
        this.total.set(key, (this.total.get(key) ?? 0) + s.count);
      }
    });
  }

  /** The rows since the last call, hottest first, and a fresh start. */
  take(limit: number): { rows: TopRow[]; samples: number; idle: number; threads: number } {
    const rows = [...this.total.keys()]
      .map((k) => ({ ...this.rows.get(k)!, self: this.self.get(k) ?? 0, total: this.total.get(k) ?? 0 }))
      .sort((a, b) => b.self - a.self || b.total - a.total)
      .slice(0, limit);
    const out = { rows, samples: this.samples, idle: this.idle, threads: this.threads.size };
    this.self = new Map();
    this.total = new Map();
    this.samples = 0;
    this.idle = 0;
    this.threads = new Set();
    return out;
  }
}
