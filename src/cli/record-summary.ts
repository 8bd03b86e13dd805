/**
 * The few lines `record` prints when the program has finished: how many samples, over how
 * long, at what rate the sampler really ran, the five hottest functions, and what to run next.
 * It reads the profile back with the project's one VMProf reader, so what it says is what
 * `show` and `view` will say.
 */
import { relative } from 'node:path';
import { createReadStream } from 'node:fs';
// the VMProf reader alone: formats/load.js loads every format's reader (~0.1 s CPU at start-up)
import { readVmprofStream } from '../formats/vmprof/index.js';
import { formatNumber, sanitize } from '../report/text.js';
import { functionTable, stackWeights, totalWeight } from '../model/analysis.js';
import { funcFile, funcName, profileDuration, type Profile } from '../model/profile.js';
import type { RecordResult } from '../capture/recorder.js';

export interface RecordSummary {
  /** Weighted samples: periods of the sampled clock. */
  samples: number;
  /** Stack records in the file: one per stack a look saw (each weighted), or one per sample (PyPy's _vmprof). */
  looks: number;
  /** Milliseconds per sample (the period). */
  periodMs: number;
  idleSamples: number;
  durationMs: number;
  threads: number;
  /** Stack snapshots per second of the sampled clock, as measured by the agent (null on PyPy's _vmprof). */
  snapshotRate: number | null;
  /** Samples per second of the sampled clock. */
  sampleRate: number;
  hottest: { name: string; where: string; percent: number }[];
  warnings: string[];
}

export function summarize(profile: Profile, result: Pick<RecordResult, 'wallMs'>): RecordSummary {
  // the reader gives the sampler's <idle> frames category idle (vmprof/pyrometer-meta.ts)
  const total = totalWeight(stackWeights(profile));
  const busyWeights = stackWeights(profile, { hideIdle: true });
  const table = functionTable(profile, busyWeights);
  const busy = totalWeight(busyWeights);
  const idle = total - busy;
  const order: number[] = [];
  for (let f = 0; f < profile.funcs.length; f++) if (table.self[f] > 0) order.push(f);
  order.sort((a, b) => table.self[b] - table.self[a]);
  const hottest = order.slice(0, 5).map((f) => {
    const file = funcFile(profile, f);
    const line = profile.funcs.line[f];
    let shown = file;
    if (file.startsWith('/')) {
      const rel = relative(process.cwd(), file);
      if (rel && !rel.startsWith('..')) shown = rel;
    }
    const where = file ? `${shown}${line > 0 ? `:${line}` : ''}` : '';
    return { name: sanitize(funcName(profile, f)), where: sanitize(where), percent: busy > 0 ? (100 * table.self[f]) / busy : 0 };
  });
  const extra = profile.meta.extra;
  const durationS = Number(extra.duration_s);
  const durationMs = Number.isFinite(durationS) && durationS > 0 ? durationS * 1000 : profileDuration(profile) || result.wallMs;
  const clockS = extra.mode === 'cpu' && Number(extra.cpu_s) > 0 ? Number(extra.cpu_s) : durationMs / 1000;
  const snapshotRate = extra.rate_hz_actual !== undefined ? Number(extra.rate_hz_actual) : null;
  let looks = 0;
  for (const t of profile.threads) looks += t.samples.length;
  return {
    samples: total,
    looks,
    periodMs: profile.meta.interval,
    idleSamples: idle,
    durationMs,
    threads: profile.threads.length,
    snapshotRate,
    // the program's own process: children (--subprocesses) have their own clocks
    sampleRate: clockS > 0 ? (Number(extra.samples) >= 0 && extra.samples !== undefined ? Number(extra.samples) : total) / clockS : 0,
    hottest,
    // the program took SIGPROF for itself, or exec'd: the agent wrote when and why sampling stopped
    // the agent's notes: sampling stopped early (exec, the program's own SIGPROF), what PyPy cannot do
    warnings: [
      ...profile.meta.warnings,
      ...['sampling_stopped', 'sampling_note'].flatMap((k) => (profile.meta.extra[k] ? [profile.meta.extra[k]] : [])),
    ],
  };
}

function quoteArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Whole numbers with thousands separators (report/text's formatter: Intl's first use costs ~15 ms). */
const fmt = (n: number) => formatNumber(Math.round(n));

/** The printed summary (plain text; the CLI writes it to stderr so the program's stdout stays its own). */
export function formatSummary(summary: RecordSummary, result: RecordResult, requestedRate: number, mode: { wall?: boolean }): string {
  const lines: string[] = [];
  const out = relative(process.cwd(), result.profilePath) || result.profilePath;
  const interp = `${result.interpreter.implementation === 'pypy' ? 'PyPy' : 'CPython'} ${result.interpreter.version}`;
  const how =
    result.exitCode === 0
      ? ''
      : result.signal
        ? ` (the program was ended by ${result.signal})`
        : ` (the program exited with code ${result.exitCode})`;
  const duration =
    summary.durationMs < 1000
      ? `${summary.durationMs.toFixed(summary.durationMs < 10 ? 1 : 0)} ms`
      : `${(summary.durationMs / 1000).toFixed(2)} s`;
  const clock = mode.wall ? 'wall-clock' : 'CPU';
  // each look is one record weighted by the time it stands for: never call the looks "samples"
  const weighted = summary.looks !== summary.samples;
  const threads = summary.threads > 1 ? ` over ${summary.threads} threads` : '';
  const seconds = (periods: number) => `${((periods * summary.periodMs) / 1000).toFixed(2)} s`;
  if (weighted) {
    lines.push(
      `pyrometer: recorded ${seconds(summary.samples)} of ${clock} time${threads} in ${fmt(summary.looks)} looks at the stacks during ${duration}, ${interp}${how}`,
    );
  } else {
    lines.push(`pyrometer: recorded ${fmt(summary.samples)} samples in ${duration}${threads}, ${interp}${how}`);
  }
  let rate =
    `  rate: ${fmt(requestedRate)} Hz requested (${clock} time)` + (weighted ? '' : `, ${fmt(summary.sampleRate)} samples/s recorded`);
  if (weighted && summary.snapshotRate !== null && result.engine === 'outside') {
    rate += `; ${fmt(summary.snapshotRate)} looks/s from outside the process (nothing was loaded into the program)`;
    // the outside sampler runs on its own timer: fewer looks mean it got too little CPU
    if (summary.snapshotRate < requestedRate * 0.9) {
      rate += `, fewer than asked (a busy machine), each weighted by the ${mode.wall ? 'elapsed' : "threads' measured CPU"} time`;
    }
  } else if (weighted && summary.snapshotRate !== null) {
    rate += `; ${fmt(summary.snapshotRate)} looks/s actually taken`;
    if (summary.snapshotRate < requestedRate * 0.9) {
      rate += mode.wall
        ? ' (the sampler thread waits for the GIL), each weighted by elapsed time'
        : ' (CPU timers fire at most once per kernel tick), each weighted by measured thread CPU time';
    }
  } else if (summary.snapshotRate !== null && result.engine === 'outside') {
    rate += `; ${fmt(summary.snapshotRate)} looks/s from outside the process (nothing was loaded into the program)`;
  } else if (summary.snapshotRate !== null) {
    rate += `; ${fmt(summary.snapshotRate)} stack snapshots/s actually taken`;
    if (summary.snapshotRate < requestedRate * 0.9) {
      rate += mode.wall
        ? ' (the sampler thread waits for the GIL), each weighted by elapsed time'
        : ' (CPU timers fire at most once per kernel tick), each weighted by measured thread CPU time';
    }
  } else {
    rate += ` (${result.engine === 'vmprof' ? "PyPy's _vmprof" : 'sampler'})`;
  }
  lines.push(rate);
  if (summary.idleSamples > 0) {
    lines.push(
      `  idle: ${weighted ? seconds(summary.idleSamples) : `${fmt(summary.idleSamples)} samples`} of threads waiting (hidden below)`,
    );
  }
  if (summary.hottest.length > 0) {
    lines.push('  hottest functions (self time):');
    for (const h of summary.hottest) {
      lines.push(`    ${h.percent.toFixed(1).padStart(5)}%  ${h.name}${h.where ? `  ${h.where}` : ''}`);
    }
  } else {
    lines.push('  no samples: the program ended before the first one (try a higher --rate or a longer run)');
  }
  if (result.subprocesses > 0)
    lines.push(
      `  subprocesses: ${result.subprocesses} Python child process${result.subprocesses === 1 ? '' : 'es'} merged into the profile`,
    );
  for (const w of [...summary.warnings, ...result.notes]) lines.push(`  note: ${w}`);
  lines.push(`  profile: ${out}`);
  if (result.jitlogPath) lines.push(`  JIT log: ${relative(process.cwd(), result.jitlogPath) || result.jitlogPath}`);
  if (result.allocPath) lines.push(`  allocations: ${relative(process.cwd(), result.allocPath) || result.allocPath}`);
  if (result.pypylogPath) lines.push(`  PyPy log: ${relative(process.cwd(), result.pypylogPath) || result.pypylogPath}`);
  lines.push(`  next: pyrometer show ${quoteArg(out)}`);
  lines.push(`        pyrometer view ${quoteArg(out)}`);
  if (result.jitlogPath) lines.push(`        pyrometer show ${quoteArg(out)} --traces   (the JIT traces, by time in them)`);
  return lines.join('\n') + '\n';
}

/** Reads the recorded profile back and formats the summary; a profile that fails to read is reported, not thrown. */
export async function recordSummary(result: RecordResult, requestedRate: number, mode: { wall?: boolean }): Promise<string> {
  let profile: Profile;
  try {
    profile = await readVmprofStream(createReadStream(result.profilePath));
  } catch (err) {
    return `pyrometer: wrote ${result.profilePath}, but could not read it back: ${(err as Error).message}\n`;
  }
  return formatSummary(summarize(profile, result), result, requestedRate, mode);
}
