/**
 * The JIT traces of a jitlog as a user reads them (pure; CLI, server and viewer share it):
 * each loop, entry bridge and bridge with its entry count, the function and source lines it
 * came from, the guards that have bridges attached, and the profile time that landed in its
 * machine code (samples whose ASSEMBLER address falls in the trace's address range; see
 * model/jit-samples.ts).
 *
 * Source lines of an operation: the merge point in effect before it (the jitlog writes a
 * MERGE_POINT record where the tracer passed a bytecode). The assembled stage has no merge
 * points of its own; its operations are the optimised ones, renamed by the backend, so they
 * take the lines of the optimised operation with the same descr or result variable.
 */
import type { JitSamples } from '../../model/jit-samples.js';
import type { JitLog, JitMergePoint, JitStage, JitStageKind, JitTrace } from './index.js';

export type TraceKind = 'loop' | 'entry bridge' | 'bridge';

/** Loops written with entry_bridge=True carry 1 where a bridge has its guard's descr (rjitlog.start_new_trace). */
export function traceKind(trace: JitTrace): TraceKind {
  if (trace.type === 'bridge') return 'bridge';
  return trace.descr === 1 ? 'entry bridge' : 'loop';
}

export interface TraceSource {
  /** The function (code object name) of the trace's first merge point. */
  scope: string;
  file: string;
  /** The first line the trace starts at. */
  line: number;
}

export interface GuardBridge {
  /** The guard's index in the stage's operations. */
  opIndex: number;
  descrId: number;
  /** The bridge trace attached to the guard. */
  bridge: number;
}

export interface TraceSummary {
  id: number;
  kind: TraceKind;
  source: TraceSource | null;
  /** Every (file, line) the trace's merge points name, in first-seen order. */
  lines: { file: string; line: number; scope: string }[];
  entryCount: number;
  address: { start: number; end: number } | null;
  /** Sample weight whose JIT address falls in this trace's machine code. */
  samples: number;
  /** Bridges: the trace and guard they hang from, when the log has it. */
  parent: { trace: number; opIndex: number } | null;
  /** Guards of this trace with a bridge attached (in the assembled stage, else the optimised one). */
  bridges: GuardBridge[];
  aborted: boolean;
  /** Operations per stage. */
  opCounts: Partial<Record<JitStageKind, number>>;
}

/** The stage whose operations carry descr ids that bridges and counters refer to. */
export function guardStage(trace: JitTrace): JitStageKind | null {
  return trace.stages.asm ? 'asm' : trace.stages.opt ? 'opt' : trace.stages.noopt ? 'noopt' : null;
}

/** The merge point (source position) of every operation of a stage; null before the first one. */
export function opSources(trace: JitTrace, kind: JitStageKind): (JitMergePoint | null)[] {
  const stage = trace.stages[kind];
  if (!stage) return [];
  if (stage.mergePoints.length > 0 || kind !== 'asm' || !trace.stages.opt) return byMergePoints(stage);
  // The assembled stage: the backend renames operations (getfield_gc_r -> gc_load_r) but keeps
  // descrs (guards, labels, jumps) and result variables, so those find the optimised operation.
  const opt = trace.stages.opt;
  const optSources = byMergePoints(opt);
  const byDescr = new Map<number, number>();
  const byResult = new Map<string, number>();
  opt.ops.forEach((op, i) => {
    if (op.descrId !== undefined && !byDescr.has(op.descrId)) byDescr.set(op.descrId, i);
    if (/^[ifpv]\d+$/.test(op.result) && !byResult.has(op.result)) byResult.set(op.result, i);
  });
  let last: JitMergePoint | null = null;
  return stage.ops.map((op) => {
    const i = (op.descrId !== undefined ? byDescr.get(op.descrId) : undefined) ?? byResult.get(op.result);
    if (i !== undefined) last = optSources[i];
    return last;
  });
}

function byMergePoints(stage: JitStage): (JitMergePoint | null)[] {
  const out: (JitMergePoint | null)[] = new Array(stage.ops.length).fill(null);
  let m = 0;
  let current: JitMergePoint | null = null;
  for (let i = 0; i < stage.ops.length; i++) {
    while (m < stage.mergePoints.length && stage.mergePoints[m].opIndex <= i) current = stage.mergePoints[m++];
    out[i] = current;
  }
  return out;
}

/** Finds the trace whose machine code holds an address (binary search over the assembled traces). */
export function traceFinder(log: JitLog): (address: number) => JitTrace | null {
  const assembled = log.traces.filter((t) => t.address !== null && t.address.end > t.address.start);
  assembled.sort((a, b) => a.address!.start - b.address!.start);
  return (address) => {
    let lo = 0;
    let hi = assembled.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = assembled[mid].address!;
      if (address < r.start) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else return assembled[mid];
    }
    return null;
  };
}

/** Sample weight per trace id, from the samples' JIT addresses. */
export function samplesPerTrace(log: JitLog, jitSamples: JitSamples | null): Map<number, number> {
  const out = new Map<number, number>();
  if (!jitSamples) return out;
  const find = traceFinder(log);
  for (let i = 0; i < jitSamples.address.length; i++) {
    const t = find(jitSamples.address[i]);
    if (t) out.set(t.id, (out.get(t.id) ?? 0) + jitSamples.weight[i]);
  }
  return out;
}

/**
 * Every trace, most profile time first, then most entries, then log order. Aborted traces
 * (never compiled) are kept: their operations still show what the tracer tried.
 */
export function summarizeTraces(log: JitLog, jitSamples: JitSamples | null = null): TraceSummary[] {
  const perTrace = samplesPerTrace(log, jitSamples);
  const bridgeByDescr = new Map<number, number>();
  for (const t of log.traces) if (t.type === 'bridge') bridgeByDescr.set(t.descr, t.id);
  const guardOwner = new Map<number, { trace: number; opIndex: number }>();
  const summaries = log.traces.map((t, order) => {
    const kind = guardStage(t);
    const bridges: GuardBridge[] = [];
    (kind ? t.stages[kind]!.ops : []).forEach((op, opIndex) => {
      if (op.descrId === undefined || !op.name.startsWith('guard_')) return;
      const bridge = bridgeByDescr.get(op.descrId);
      if (bridge !== undefined) bridges.push({ opIndex, descrId: op.descrId, bridge });
      if (!guardOwner.has(op.descrId)) guardOwner.set(op.descrId, { trace: t.id, opIndex });
    });
    const seen = new Set<string>();
    const lines: TraceSummary['lines'] = [];
    for (const mp of (t.stages.opt ?? t.stages.noopt)?.mergePoints ?? []) {
      if (mp.file === undefined || mp.line === undefined) continue;
      const key = `${mp.file}:${mp.line}:${mp.scope ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        lines.push({ file: mp.file, line: mp.line, scope: mp.scope ?? '' });
      }
    }
    const first = (t.stages.opt ?? t.stages.noopt)?.mergePoints[0];
    const summary: TraceSummary = {
      id: t.id,
      kind: traceKind(t),
      source: first ? { scope: first.scope ?? '', file: first.file ?? '', line: first.line ?? 0 } : null,
      lines,
      entryCount: t.entryCount,
      address: t.address,
      samples: perTrace.get(t.id) ?? 0,
      parent: null,
      bridges,
      aborted: t.aborted,
      opCounts: Object.fromEntries(Object.entries(t.stages).map(([k, s]) => [k, s!.ops.length])),
    };
    return { summary, order, descr: t.type === 'bridge' ? t.descr : null };
  });
  for (const s of summaries) if (s.descr !== null) s.summary.parent = guardOwner.get(s.descr) ?? null;
  summaries.sort((a, b) => b.summary.samples - a.summary.samples || b.summary.entryCount - a.summary.entryCount || a.order - b.order);
  return summaries.map((s) => s.summary);
}

/** A short name for a trace: "loop 4: _count_elements (collections/__init__.py:503)". */
export function traceTitle(t: Pick<TraceSummary, 'id' | 'kind' | 'source'>): string {
  const where = t.source ? `${t.source.scope || '?'} (${t.source.file || '?'}:${t.source.line})` : '(no source)';
  return `${t.kind} ${t.id}: ${where}`;
}

/** Traces that run code of a function: a merge point names its name and file (inlined callees count). */
export function tracesOfFunction(summaries: readonly TraceSummary[], name: string, file: string): TraceSummary[] {
  const sameFile = (a: string) => a === file || (file !== '' && (a.endsWith(`/${file}`) || file.endsWith(`/${a}`)));
  return summaries.filter((s) => s.lines.some((l) => l.scope === name && sameFile(l.file)));
}

/** The jitlog a profile carries (a `.jit` file read alone, or attached from beside a profile). */
export function jitlogOf(attachments: Record<string, unknown>): JitLog | null {
  const log = attachments.jitlog as JitLog | undefined;
  return log && Array.isArray(log.traces) ? log : null;
}
