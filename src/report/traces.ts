/**
 * `pyrometer show FILE.jit` / `show FILE --traces`: PyPy's JIT traces, most profile time first.
 *
 *    time  samples  entries  trace             source
 *   55.7%       39       55  loop 10           <module>  wordcount.py:3-4 (+5 inlined)
 *    4.3%        3  1596131    bridge 5 ← 4    _count_elements  collections/__init__.py:523
 *
 * "time" is the share of all samples whose JIT address lies in the trace's machine code;
 * a bare jitlog has no samples, so its traces are sorted by entry count and the time columns
 * are left out. `--json` gives the same rows (tracesJson).
 */
import type { JitLog } from '../formats/jitlog/index.js';
import { jitlogOf, opSources, summarizeTraces, traceTitle, type TraceSummary } from '../formats/jitlog/traces.js';
import { jitSamplesOf } from '../model/jit-samples.js';
import type { Profile } from '../model/profile.js';
import { totalSamples } from '../model/profile.js';
import { caveatLines, headerLine, select } from './common.js';
import {
  ellipsize,
  ellipsizePath,
  formatNumber,
  formatPercent,
  heat,
  padEnd,
  padStart,
  sanitize,
  shortenPath,
  commonDirectory,
  type Style,
} from './text.js';

export interface TracesOptions {
  /** How many traces to list (default 20). */
  top?: number;
}

export interface TraceJson {
  trace: Omit<TraceSummary, 'opCounts'> & { ops: TraceSummary['opCounts'] };
  /** Every stage the log has, each operation with the source line it came from and, for a guard, its bridge. */
  stages: Partial<
    Record<
      'noopt' | 'opt' | 'asm',
      {
        index: number;
        op: string;
        result: string;
        args: string[];
        descr?: string;
        file?: string;
        line?: number;
        scope?: string;
        bridge?: number;
        asm?: { offset: number; hex: string };
      }[]
    >
  >;
}

/** `show --trace ID --json`: one trace with its operations per stage; null when there is no such trace. */
export function traceJson(profile: Profile, id: number): TraceJson | null {
  const log = jitlogOf(profile.attachments);
  const summary = log ? rows(profile, log).find((t) => t.id === id) : undefined;
  const trace = log?.traces.find((t) => t.id === id);
  if (!summary || !trace) return null;
  const bridgeByDescr = new Map(summary.bridges.map((b) => [b.descrId, b.bridge]));
  const { opCounts, ...rest } = summary;
  const stages: TraceJson['stages'] = {};
  for (const kind of ['noopt', 'opt', 'asm'] as const) {
    const stage = trace.stages[kind];
    if (!stage) continue;
    const sources = opSources(trace, kind);
    stages[kind] = stage.ops.map((op, index) => {
      const mp = sources[index];
      const bridge = op.descrId !== undefined ? bridgeByDescr.get(op.descrId) : undefined;
      return {
        index,
        op: op.name,
        result: op.result,
        args: op.args,
        ...(op.descr !== undefined ? { descr: op.descr } : {}),
        ...(mp ? { file: mp.file, line: mp.line, scope: mp.scope } : {}),
        ...(bridge !== undefined ? { bridge } : {}),
        ...(op.asm ? { asm: { offset: op.asm.offset, hex: op.asm.hex } } : {}),
      };
    });
  }
  return { trace: { ...rest, ops: opCounts }, stages };
}

/**
 * One trace's operations (`show --traces --trace ID`): its optimised stage (the recorded one when the
 * log has no other) under the source line each came from, guards with their bridges marked `→ bridge N`.
 * Null when the profile has no jitlog or no such trace.
 */
export function renderTrace(profile: Profile, id: number, style: Style): string | null {
  const log = jitlogOf(profile.attachments);
  const summary = log ? rows(profile, log).find((t) => t.id === id) : undefined;
  const trace = log?.traces.find((t) => t.id === id);
  if (!log || !summary || !trace) return null;
  const kind = trace.stages.opt ? 'opt' : trace.stages.noopt ? 'noopt' : null;
  const out = [style.bold(sanitize(traceTitle(summary)))];
  out.push(
    style.dim(
      `entered ${formatNumber(summary.entryCount)} times · ${formatNumber(summary.samples)} samples` +
        (summary.parent ? ` · bridge from trace ${summary.parent.trace}, guard #${summary.parent.opIndex}` : ''),
    ),
  );
  if (!kind) return out.concat('', 'The log has no operations for this trace.').join('\n') + '\n';
  // Guards carry their descr in every stage: the bridges found in the assembled stage mark these operations too.
  const bridgeByDescr = new Map(summary.bridges.map((b) => [b.descrId, b.bridge]));
  const sources = opSources(trace, kind);
  out.push(
    style.dim(
      `${kind === 'opt' ? 'optimized' : 'recorded'} operations (${trace.stages[kind]!.ops.length}), under the source line each came from:`,
    ),
    '',
  );
  let previous: unknown = null;
  trace.stages[kind]!.ops.forEach((op, i) => {
    const mp = sources[i];
    if (mp && mp !== previous)
      out.push(style.cyan(sanitize(`  ${mp.scope ?? '?'}  ${mp.file ?? '?'}:${mp.line ?? 0}${mp.opcode ? `  ${mp.opcode}` : ''}`)));
    previous = mp;
    const lhs = op.result && op.result !== '?' && op.result !== 'None' ? `${op.result} = ` : '';
    const bridge = op.descrId !== undefined ? bridgeByDescr.get(op.descrId) : undefined;
    const text = ellipsize(sanitize(`${lhs}${op.name}(${op.args.join(', ')})`), Math.max(20, style.width - 18));
    out.push(`${padStart(String(i), 6)}  ${text}${bridge !== undefined ? style.yellow(`  → bridge ${bridge}`) : ''}`);
  });
  return out.join('\n') + '\n';
}

export interface TracesJson {
  machine: string;
  jitlogVersion: number;
  /** Samples of the whole profile, and those that ran JIT code (0 for a bare jitlog). */
  samples: number;
  jitSamples: number;
  intervalMs: number;
  traces: (Omit<TraceSummary, 'opCounts'> & { percent: number; ms: number; ops: TraceSummary['opCounts'] })[];
  moreTraces: number;
}

/** The message for a profile that carries no jitlog (what to do about it). */
export const NO_JITLOG =
  'This profile has no JIT log: record one with `pyrometer record --jitlog -- pypy3 prog.py` (it writes OUT.jit beside OUT), or put the jitlog beside the profile as <profile>.jit.';

export function hasTraces(profile: Profile): boolean {
  return jitlogOf(profile.attachments) !== null;
}

function rows(profile: Profile, log: JitLog): TraceSummary[] {
  return summarizeTraces(log, jitSamplesOf(profile.attachments));
}

export function tracesJson(profile: Profile, options: TracesOptions = {}): TracesJson | null {
  const log = jitlogOf(profile.attachments);
  if (!log) return null;
  const all = rows(profile, log);
  const total = select(profile).total;
  const top = Math.max(1, options.top ?? 20);
  const interval = profile.meta.interval || 0;
  const jit = jitSamplesOf(profile.attachments);
  return {
    machine: log.machine,
    jitlogVersion: log.version,
    samples: total,
    jitSamples: jit ? jit.weight.reduce((a, b) => a + b, 0) : 0,
    intervalMs: interval,
    traces: all.slice(0, top).map(({ opCounts, ...t }) => ({
      ...t,
      percent: total > 0 ? Math.round((1e5 * t.samples) / total) / 1e3 : 0,
      ms: Math.round(t.samples * interval * 1e3) / 1e3,
      ops: opCounts,
    })),
    moreTraces: Math.max(0, all.length - top),
  };
}

const GAP = '  ';

export function renderTraces(profile: Profile, options: TracesOptions, style: Style): string {
  const log = jitlogOf(profile.attachments);
  const selected = select(profile);
  const out: string[] = [];
  const sampled = totalSamples(profile) > 0;
  if (!log) {
    out.push(headerLine(profile, selected, style), ...caveatLines(profile, style), '', NO_JITLOG);
    return out.join('\n') + '\n';
  }
  const all = rows(profile, log);
  const counts = { loop: 0, 'entry bridge': 0, bridge: 0 };
  for (const t of all) counts[t.kind]++;
  const kinds = `${formatNumber(all.length)} traces (${counts.loop} loops, ${counts['entry bridge']} entry bridges, ${counts.bridge} bridges)`;
  if (sampled) {
    const jit = jitSamplesOf(profile.attachments);
    const inJit = jit ? jit.weight.reduce((a, b) => a + b, 0) : 0;
    out.push(headerLine(profile, selected, style, [kinds, `${formatPercent(inJit, selected.total)} of samples in JIT code`]));
  } else {
    out.push(wrapHeader(style, [style.bold('jitlog'), `PyPy JIT log version ${log.version}`, sanitize(log.machine), kinds]));
  }
  out.push(...caveatLines(profile, style));
  if (!sampled) out.push(style.dim('no profile samples: traces sorted by entry count (record with `pyrometer record --jitlog` for both)'));
  if (all.length === 0) {
    out.push('', 'The JIT log has no traces (the program ran too briefly for the JIT to compile a loop).');
    return out.join('\n') + '\n';
  }
  const top = Math.max(1, options.top ?? 20);
  const shown = all.slice(0, top);
  const common = commonDirectory(shown.flatMap((t) => (t.source?.file ? [t.source.file] : [])));
  const cells = shown.map((t) => ({
    time: sampled ? formatPercent(t.samples, selected.total) : '',
    percent: selected.total > 0 ? (100 * t.samples) / selected.total : 0,
    samples: sampled ? formatNumber(t.samples) : '',
    entries: formatNumber(t.entryCount),
    trace: `${t.kind === 'bridge' ? '  ' : ''}${t.kind} ${t.id}${t.parent ? ` ← ${t.parent.trace}` : ''}${t.aborted ? ' (aborted)' : ''}`,
    source: t.source ? sourceText(t, common, style) : '(no source)',
  }));
  const w = (key: keyof (typeof cells)[number], title: string) => Math.max(title.length, ...cells.map((c) => String(c[key]).length));
  const timeW = w('time', 'time');
  const samplesW = w('samples', 'samples');
  const entriesW = w('entries', 'entries');
  const traceW = w('trace', 'trace');
  const fixed = (sampled ? timeW + samplesW + 2 * GAP.length : 0) + entriesW + traceW + 2 * GAP.length;
  const sourceW = Math.max(12, style.width - fixed);
  if (common) out.push(style.dim(`paths relative to ${sanitize(shortenPath(common, '', style.home))}`));
  const head =
    (sampled ? padStart('time', timeW) + GAP + padStart('samples', samplesW) + GAP : '') +
    padStart('entries', entriesW) +
    GAP +
    padEnd('trace', traceW) +
    GAP +
    'source';
  out.push('', style.bold(head));
  for (const c of cells) {
    const left = sampled ? heat(style, padStart(c.time, timeW), c.percent) + GAP + padStart(c.samples, samplesW) + GAP : '';
    out.push(left + padStart(c.entries, entriesW) + GAP + padEnd(c.trace, traceW) + GAP + ellipsize(c.source, sourceW));
  }
  if (all.length > shown.length) out.push(style.dim(`… ${all.length - shown.length} more (--top ${all.length} shows all)`));
  out.push(
    '',
    style.dim('open them with: pyrometer view FILE  (the "JIT traces" tab: operations, source lines, guards and bridges, machine code)'),
  );
  return out.join('\n') + '\n';
}

function sourceText(t: TraceSummary, common: string, style: Style): string {
  const s = t.source!;
  const file = shortenPath(s.file, common, style.home, style.cwd);
  const own = t.lines.filter((l) => l.scope === s.scope && l.file === s.file).map((l) => l.line);
  const lo = Math.min(...own);
  const hi = Math.max(...own);
  const range = own.length === 0 || lo === hi ? `${s.line}` : `${lo}-${hi}`;
  const inlined = new Set(t.lines.filter((l) => l.scope !== s.scope || l.file !== s.file).map((l) => `${l.file}\0${l.scope}`)).size;
  return `${sanitize(s.scope || '?')}  ${sanitize(ellipsizePath(file, 60))}:${range}${inlined > 0 ? ` (+${inlined} inlined)` : ''}`;
}

function wrapHeader(style: Style, parts: string[]): string {
  return parts.join(style.dim(' · '));
}
