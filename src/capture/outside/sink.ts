/**
 * Where the outside sampler's samples go. The sampler calls, in order: `begin` once, then
 * `thread` before a thread's first sample, `sample` for each weighted stack, `meta` for facts,
 * and `end` once with the run's totals. Frames come innermost first and carry code objects
 * whose `id` is stable for the run (the VMProf sink uses it as the address).
 * vmprof-sink.ts writes VMProf files; a streaming sink can send the same calls elsewhere.
 */
import type { PyFrame } from './python.js';

export interface RunInfo {
  pid: number;
  ppid: number;
  python: string;
  mode: 'cpu' | 'wall';
  rateHz: number;
  lines: boolean;
  memory: boolean;
  gil: boolean;
  /** Date.now() at the start. */
  startMs: number;
}

export interface ThreadInfo {
  pid: number;
  tid: number;
  name: string;
}

export interface Sample {
  pid: number;
  tid: number;
  /** Innermost first. */
  frames: PyFrame[];
  /** How many sampling periods this stack stands for (≥ 1). */
  count: number;
  /** The thread was not running (wall mode). */
  idle: boolean;
  /** Resident set size of the process in KiB (0 without --mem). */
  rssKb: number;
  /** Milliseconds since the start of the run. */
  timeMs: number;
}

export interface RunTotals {
  samples: number;
  idleSamples: number;
  looks: number;
  /** Stacks read whole; reads that met a stack changing under them; samples dropped for that (after a second read). */
  stackReads: number;
  tornReads: number;
  tornStacks: number;
  durationS: number;
  /** CPU time the sampled threads used while sampled. */
  cpuS: number;
  /** CPU time pyrometer spent sampling. */
  samplerCpuS: number;
  processes: number;
}

export interface SampleSink {
  begin(run: RunInfo): void;
  thread(thread: ThreadInfo): void;
  sample(sample: Sample): void;
  meta(key: string, value: string): void;
  end(totals: RunTotals): void;
}
