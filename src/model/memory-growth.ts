/**
 * Memory growth by function and by line, from profiles that recorded RSS with each sample
 * (`record --mem`): like memory_profiler's line report, but statistical. Between two
 * consecutive looks the resident set size changed by some amount; that change is charged to
 * the code the later look found running (the code that ran in between, as far as a sampler can
 * tell). Growth and shrink are kept apart, so code that allocates and frees shows both rather
 * than a net zero. The samples of all chosen threads are taken together (each thread's in its
 * record order, threads merged by time): RSS is the process's, and a look that sampled several
 * threads changes it once.
 *
 * Per function: `selfGrowth` where it was the innermost frame, `totalGrowth` where it was
 * anywhere on the stack (once per sample, however deep it recursed). Per line: the innermost
 * frame that has a line number (a recording with --lines), so a native frame on top still
 * charges its Python caller's line. Values are bytes.
 *
 * Gaps: a change across an interval much longer than the usual one between looks (more than
 * GAP_FACTOR times the median) is charged to no code and counted apart: looks were lost there
 * (the sampler fell behind on a loaded machine, or dropped a stack that changed while it was
 * read), and whatever grew memory meanwhile is not the code the next look happens to find — a
 * test saw 90 MiB of a list's growth charged to the loop that ran after it.
 */
import type { SampleFilter } from './analysis.js';
import type { FuncIndex, Profile } from './profile.js';

export interface FunctionGrowth {
  func: FuncIndex;
  selfGrowth: number;
  selfShrink: number;
  totalGrowth: number;
  totalShrink: number;
}

export interface LineGrowth {
  func: FuncIndex;
  line: number;
  growth: number;
  shrink: number;
}

/** An interval this many times the median one between looks is a gap (see above). */
export const GAP_FACTOR = 8;

export interface MemoryGrowth {
  /** Sum of all increases and of all decreases (a positive number), in bytes. */
  growth: number;
  shrink: number;
  /** Pairs of consecutive looks that had an RSS reading. */
  intervals: number;
  /** Intervals longer than GAP_FACTOR × the median, and the changes across them (charged to no code). */
  gaps: number;
  gapGrowth: number;
  gapShrink: number;
  /** Functions by net total growth (growth − shrink, memory_profiler's "increment"), largest first. */
  functions: FunctionGrowth[];
  /** Lines by net growth, largest first (ties: by growth). */
  lines: LineGrowth[];
}

/** True when some sample of the profile carries an RSS reading. */
export function hasMemoryReadings(profile: Profile): boolean {
  return profile.threads.some((t) => t.samples.rss !== null && t.samples.rss.some((v) => Number.isFinite(v) && v > 0));
}

export function memoryGrowth(profile: Profile, filter: Pick<SampleFilter, 'threads' | 'startTime' | 'endTime'> = {}): MemoryGrowth {
  const chosen = filter.threads && filter.threads.length > 0 ? filter.threads : profile.threads.map((_, i) => i);
  // the readings of the chosen threads: each thread's in its own record order (the order the
  // looks happened, whatever times a reader placed them at), threads merged by time
  const runs: { time: number[]; value: number[]; stack: number[] }[] = [];
  for (const t of chosen) {
    const s = profile.threads[t]?.samples;
    if (!s || !s.rss) continue;
    const run = { time: [] as number[], value: [] as number[], stack: [] as number[] };
    for (let i = 0; i < s.length; i++) {
      if (filter.startTime !== undefined && s.time[i] < filter.startTime) continue;
      if (filter.endTime !== undefined && s.time[i] >= filter.endTime) continue;
      const v = s.rss[i];
      if (!(Number.isFinite(v) && v > 0)) continue;
      run.time.push(s.time[i]);
      run.value.push(v * 1024);
      run.stack.push(s.stack[i]);
    }
    if (run.time.length > 0) runs.push(run);
  }
  const times: number[] = [];
  const values: number[] = [];
  const stacks: number[] = [];
  const cursor = runs.map(() => 0);
  for (;;) {
    let best = -1;
    for (let r = 0; r < runs.length; r++) {
      if (cursor[r] < runs[r].time.length && (best < 0 || runs[r].time[cursor[r]] < runs[best].time[cursor[best]])) best = r;
    }
    if (best < 0) break;
    const i = cursor[best]++;
    times.push(runs[best].time[i]);
    values.push(runs[best].value[i]);
    stacks.push(runs[best].stack[i]);
  }
  const order = times.map((_, i) => i);

  const { stacks: table, frames } = profile;
  const fnGrowth = new Map<FuncIndex, FunctionGrowth>();
  const lineGrowth = new Map<string, LineGrowth>();
  const seen = new Int32Array(profile.funcs.length).fill(-1);
  let growth = 0;
  let shrink = 0;
  let intervals = 0;
  let gaps = 0;
  let gapGrowth = 0;
  let gapShrink = 0;
  const steps: number[] = [];
  for (let k = 1; k < order.length; k++) steps.push(times[order[k]] - times[order[k - 1]]);
  const positive = steps.filter((d) => d > 0).sort((a, b) => a - b);
  const gapLimit = positive.length > 0 ? GAP_FACTOR * positive[positive.length >> 1] : Infinity;
  const fn = (f: FuncIndex) => {
    let row = fnGrowth.get(f);
    if (!row) fnGrowth.set(f, (row = { func: f, selfGrowth: 0, selfShrink: 0, totalGrowth: 0, totalShrink: 0 }));
    return row;
  };
  for (let k = 1; k < order.length; k++) {
    const delta = values[order[k]] - values[order[k - 1]];
    intervals++;
    if (delta === 0) continue;
    const up = delta > 0 ? delta : 0;
    const down = delta < 0 ? -delta : 0;
    growth += up;
    shrink += down;
    if (steps[k - 1] > gapLimit) {
      gaps++;
      gapGrowth += up;
      gapShrink += down;
      continue;
    }
    let s = stacks[order[k]];
    if (s < 0) continue;
    const leaf = fn(frames.func[table.frame[s]]);
    leaf.selfGrowth += up;
    leaf.selfShrink += down;
    let lineDone = false;
    for (; s >= 0; s = table.prefix[s]) {
      const frame = table.frame[s];
      const f = frames.func[frame];
      if (seen[f] !== k) {
        seen[f] = k;
        const row = fn(f);
        row.totalGrowth += up;
        row.totalShrink += down;
      }
      if (!lineDone && frames.line[frame] > 0) {
        lineDone = true;
        const key = `${f}:${frames.line[frame]}`;
        let row = lineGrowth.get(key);
        if (!row) lineGrowth.set(key, (row = { func: f, line: frames.line[frame], growth: 0, shrink: 0 }));
        row.growth += up;
        row.shrink += down;
      }
    }
  }
  return {
    growth,
    shrink,
    intervals,
    gaps,
    gapGrowth,
    gapShrink,
    // ranked by net growth: a reading that dips and recovers (seen on a loaded machine: -132 MiB then
    // +132 MiB within a loop that allocates nothing it keeps) adds to both sums, not to the net
    functions: [...fnGrowth.values()].sort(
      (a, b) =>
        b.totalGrowth - b.totalShrink - (a.totalGrowth - a.totalShrink) ||
        b.selfGrowth - b.selfShrink - (a.selfGrowth - a.selfShrink) ||
        a.func - b.func,
    ),
    lines: [...lineGrowth.values()].sort(
      (a, b) => b.growth - b.shrink - (a.growth - a.shrink) || b.growth - a.growth || a.func - b.func || a.line - b.line,
    ),
  };
}
