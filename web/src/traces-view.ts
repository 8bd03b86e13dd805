/**
 * The JIT traces view (PyPy): the jitlog's loops, entry bridges and bridges, most profile time
 * first (samples whose JIT address lies in the trace's machine code), and the selected trace's
 * operations per stage with the source line each came from, its guards with their bridges, the
 * guard a bridge hangs from, and its machine code as bytes.
 *
 * Links: a selected function (flame graph, table) narrows the list to the traces that ran its
 * code; a merge point's line opens the source view at that line (which links back here); a
 * guard's bridge and a bridge's parent select that trace. All of it is in the URL (tr=, ln=, f=).
 *
 * Machine code is shown as bytes, not disassembled: the one well-kept x86-64 disassembler on
 * npm (iced-x86 1.21, WebAssembly) would add 381 KB gzipped to a 134 KB viewer (measured,
 * docs/performance.md).
 */
import type { JitMergePoint, JitOp, JitStageKind, JitTrace } from '../../src/formats/jitlog/index.js';
import {
  guardStage,
  jitlogOf,
  opSources,
  summarizeTraces,
  tracesOfFunction,
  traceTitle,
  type TraceSummary,
} from '../../src/formats/jitlog/traces.js';
import { jitSamplesOf } from '../../src/model/jit-samples.js';
import { funcFile, funcName, type Profile } from '../../src/model/profile.js';
import { h, replaceChildren } from './dom.js';
import { formatCount, formatPercent } from './format.js';
import type { AppHost, View } from './registry.js';
import type { ViewState } from './state.js';
import type { ViewModel } from './viewmodel.js';

const STAGES: { kind: JitStageKind; label: string }[] = [
  { kind: 'noopt', label: 'Recorded (before optimization)' },
  { kind: 'opt', label: 'Optimized' },
  { kind: 'asm', label: 'Assembled (machine code)' },
];

/** Per base profile: the summaries, computed once. */
const summaryCache = new WeakMap<Profile, TraceSummary[]>();

export function profileTraces(profile: Profile): TraceSummary[] | null {
  const log = jitlogOf(profile.attachments);
  if (!log) return null;
  let s = summaryCache.get(profile);
  if (!s) summaryCache.set(profile, (s = summarizeTraces(log, jitSamplesOf(profile.attachments))));
  return s;
}

/** The function of the profile a merge point names: same name and file, the nearest first line at or before the line. */
export function functionAt(profile: Profile, scope: string, file: string, line: number): number {
  let best = -1;
  for (let f = 0; f < profile.funcs.length; f++) {
    if (funcName(profile, f) !== scope || funcFile(profile, f) !== file) continue;
    const first = profile.funcs.line[f];
    if (best < 0 || (first <= line && first > profile.funcs.line[best])) best = f;
  }
  return best;
}

/** Source file -> line -> the traces whose merge points name it (most profile time first). */
export function traceLines(profile: Profile): Map<string, Map<number, number[]>> {
  const out = new Map<string, Map<number, number[]>>();
  for (const t of profileTraces(profile) ?? []) {
    for (const l of t.lines) {
      let lines = out.get(l.file);
      if (!lines) out.set(l.file, (lines = new Map()));
      const ids = lines.get(l.line) ?? [];
      if (!ids.includes(t.id)) ids.push(t.id);
      lines.set(l.line, ids);
    }
  }
  return out;
}

/**
 * Source text the jitlog carries (SOURCE_CODE records: the vmprof client appends the lines its
 * merge points name before uploading), as file -> line -> text. The server has no source files,
 * so this is all the source it can show.
 */
const sourceCache = new WeakMap<Profile, Map<string, Map<number, string>>>();

export function jitlogSource(profile: Profile): Map<string, Map<number, string>> {
  let out = sourceCache.get(profile);
  if (out) return out;
  out = new Map();
  for (const s of jitlogOf(profile.attachments)?.sourceCode ?? []) {
    let lines = out.get(s.file);
    if (!lines) out.set(s.file, (lines = new Map()));
    for (const l of s.lines) lines.set(l.line, ' '.repeat(Math.min(l.indent, 80)) + l.text);
  }
  sourceCache.set(profile, out);
  return out;
}

/** A source file rebuilt from the jitlog's lines (the others left blank), or null when it has none of the file. */
export function sourceFromJitlog(profile: Profile, file: string): string | null {
  const lines = jitlogSource(profile).get(file);
  if (!lines || lines.size === 0) return null;
  const last = Math.max(...lines.keys());
  return Array.from({ length: last }, (_, i) => lines.get(i + 1) ?? '').join('\n');
}

export class TracesView implements View {
  readonly element: HTMLDivElement;
  private readonly list = h('div', { class: 'traces-list' });
  private readonly detail = h('div', { class: 'trace-detail' });
  private stage: JitStageKind | null = null;
  private showAll = false;
  private shownKey: unknown[] = [];

  constructor(private readonly host: AppHost) {
    this.element = h('div', { class: 'panel-fill traces' }, this.list, this.detail);
  }

  show(vm: ViewModel, state: ViewState): void {
    const key = [vm.base, state.func, state.trace, state.line, this.stage, this.showAll];
    if (key.every((k, i) => k === this.shownKey[i])) return;
    this.shownKey = key;
    const profile = vm.base;
    const log = jitlogOf(profile.attachments);
    const all = profileTraces(profile);
    if (!log || !all) {
      replaceChildren(this.list, h('p', { class: 'empty' }, 'This profile has no JIT log.'));
      replaceChildren(this.detail);
      return;
    }
    const totalSamples = profile.threads.reduce((n, t) => n + t.samples.weight.reduce((a, b) => a + b, 0), 0);
    let shown = all;
    let filterNote: HTMLElement | null = null;
    if (state.func >= 0 && state.func < profile.funcs.length && !this.showAll) {
      const name = funcName(profile, state.func);
      const mine = tracesOfFunction(all, name, funcFile(profile, state.func));
      filterNote = h(
        'div',
        { class: 'traces-filter' },
        mine.length > 0 ? `Traces that ran ${name} (${mine.length} of ${all.length}) ` : `No trace ran ${name}; all ${all.length} traces: `,
        mine.length > 0 ? h('button', { type: 'button', class: 'link', onclick: () => this.setShowAll(true) }, 'show all') : null,
      );
      if (mine.length > 0) shown = mine;
    }
    // No trace chosen (or an id this log lacks): the hottest of the list.
    const selected = all.find((t) => t.id === state.trace) ?? shown[0] ?? null;
    this.renderList(shown, all.length, totalSamples, selected?.id ?? -1, filterNote, log.machine);
    const trace = selected ? (log.traces.find((t) => t.id === selected.id) ?? null) : null;
    if (!selected || !trace) {
      replaceChildren(this.detail, h('p', { class: 'empty' }, 'The JIT log has no traces.'));
      return;
    }
    this.renderDetail(profile, all, selected, trace, totalSamples, state);
  }

  private setShowAll(on: boolean): void {
    this.showAll = on;
    this.shownKey = [];
    this.host.update({});
  }

  private renderList(
    shown: TraceSummary[],
    count: number,
    totalSamples: number,
    selectedId: number,
    note: HTMLElement | null,
    machine: string,
  ): void {
    const sampled = totalSamples > 0;
    const header = h(
      'div',
      { class: 'trace-row trace-cols list-header' },
      h('span', { class: 'num' }, sampled ? 'Time' : ''),
      h('span', { class: 'num' }, sampled ? 'Samples' : ''),
      h('span', { class: 'num' }, 'Entries'),
      h('span', null, 'Trace'),
      h('span', null, 'Source'),
    );
    const rows = shown.map((t) =>
      h(
        'div',
        {
          class: `trace-row trace-cols${t.id === selectedId ? ' selected' : ''}`,
          'data-trace': t.id,
          role: 'button',
          tabindex: 0,
          title: traceTitle(t),
          onclick: () => this.host.update({ trace: t.id, line: 0 }, 'push'),
        },
        h('span', { class: 'num' }, sampled ? formatPercent(t.samples, totalSamples) : ''),
        h('span', { class: 'num' }, sampled ? formatCount(t.samples) : ''),
        h('span', { class: 'num' }, formatCount(t.entryCount)),
        h('span', { class: `kind ${t.kind.replace(' ', '-')}` }, `${t.kind} ${t.id}${t.parent ? ` ← ${t.parent.trace}` : ''}`),
        h('span', { class: 'loc' }, t.source ? `${t.source.scope} ${t.source.file}:${t.source.line}` : '(no source)'),
      ),
    );
    replaceChildren(
      this.list,
      h(
        'div',
        { class: 'traces-head' },
        h('strong', null, `${count} JIT traces`),
        ` · ${machine} · ${sampled ? 'by profile time in their machine code' : 'no samples: by entry count'}`,
      ),
      note,
      header,
      ...rows,
    );
  }

  private renderDetail(
    profile: Profile,
    all: TraceSummary[],
    t: TraceSummary,
    trace: JitTrace,
    totalSamples: number,
    state: ViewState,
  ): void {
    const stages = STAGES.filter((s) => trace.stages[s.kind]);
    const stage = stages.find((s) => s.kind === this.stage)?.kind ?? (trace.stages.opt ? 'opt' : (stages[0]?.kind ?? null));
    const select = (id: number) => this.host.update({ trace: id, line: 0 }, 'push');
    const facts: (string | HTMLElement)[] = [
      `entered ${formatCount(t.entryCount)} times`,
      totalSamples > 0 ? `${formatCount(t.samples)} samples (${formatPercent(t.samples, totalSamples)})` : '',
      t.address
        ? `machine code 0x${t.address.start.toString(16)}–0x${t.address.end.toString(16)} (${formatCount(t.address.end - t.address.start)} bytes)`
        : 'not assembled',
      t.aborted ? 'aborted' : '',
    ].filter((x) => x !== '');
    const parent = t.parent ? all.find((p) => p.id === t.parent!.trace) : null;
    const parentTrace = parent ? jitlogOf(profile.attachments)?.traces.find((x) => x.id === parent.id) : undefined;
    const parentStage = parentTrace ? guardStage(parentTrace) : null;
    const parentOp = parentTrace && parentStage && t.parent ? (parentTrace.stages[parentStage]!.ops[t.parent.opIndex]?.name ?? null) : null;
    const header = h(
      'div',
      { class: 'trace-header' },
      h('strong', null, traceTitle(t)),
      h('div', { class: 'muted' }, facts.join(' · ')),
      t.parent && parent
        ? h(
            'div',
            null,
            'Bridge from ',
            h(
              'button',
              { type: 'button', class: 'link', 'data-parent': parent.id, onclick: () => select(parent.id) },
              `${parent.kind} ${parent.id}`,
            ),
            `, guard #${t.parent.opIndex}${parentOp ? ` (${parentOp})` : ''}`,
          )
        : null,
      t.bridges.length > 0
        ? h(
            'div',
            { class: 'trace-bridges' },
            'Guards with bridges: ',
            ...t.bridges.flatMap((b, i) => [
              i > 0 ? ', ' : '',
              h(
                'button',
                { type: 'button', class: 'link', 'data-bridge': b.bridge, onclick: () => select(b.bridge) },
                `#${b.opIndex} → bridge ${b.bridge}`,
              ),
            ]),
          )
        : null,
      h(
        'div',
        { class: 'stage-tabs', role: 'tablist' },
        ...stages.map((s) =>
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              class: `tab${s.kind === stage ? ' active' : ''}`,
              'data-stage': s.kind,
              onclick: () => {
                this.stage = s.kind;
                this.host.update({});
              },
            },
            `${s.label} · ${trace.stages[s.kind]!.ops.length}`,
          ),
        ),
      ),
    );
    if (!stage) {
      replaceChildren(this.detail, header, h('p', { class: 'empty' }, 'The log has no operations for this trace.'));
      return;
    }
    const ops = trace.stages[stage]!.ops;
    const sources = opSources(trace, stage);
    const bridgeAt = new Map(t.bridges.map((b) => [b.descrId, b.bridge]));
    const rows: HTMLElement[] = [];
    let mark: HTMLElement | null = null;
    let previous: JitMergePoint | null = null;
    ops.forEach((op, i) => {
      const mp = sources[i];
      if (mp && mp !== previous) rows.push(this.mergePointRow(profile, mp, t, state));
      previous = mp;
      const bridge = op.descrId !== undefined && op.name.startsWith('guard_') ? bridgeAt.get(op.descrId) : undefined;
      const atLine = state.line > 0 && mp?.line === state.line;
      const row = h(
        'div',
        { class: `op-row${atLine ? ' at-line' : ''}${op.name.startsWith('guard_') ? ' guard' : ''}`, 'data-op': i },
        h('span', { class: 'num' }, String(i)),
        h('span', { class: 'lineno' }, mp?.line ? String(mp.line) : ''),
        h('code', null, opText(op)),
        bridge !== undefined
          ? h('button', { type: 'button', class: 'link', 'data-bridge': bridge, onclick: () => select(bridge) }, `→ bridge ${bridge}`)
          : h('span', null, op.count !== undefined ? `${formatCount(op.count)}×` : ''),
        stage === 'asm'
          ? h('code', { class: 'asm' }, op.asm ? `+${op.asm.offset.toString(16).padStart(4, '0')}  ${spaced(op.asm.hex)}` : '')
          : null,
      );
      if (atLine && !mark) mark = row;
      rows.push(row);
    });
    const note =
      stage === 'asm'
        ? h(
            'p',
            { class: 'muted asm-note' },
            'Machine code as bytes (offset from the trace start), not disassembled: an x86-64 disassembler would make the viewer’s download 3.8 times larger.',
          )
        : null;
    replaceChildren(this.detail, header, note, h('div', { class: `ops${stage === 'asm' ? ' with-asm' : ''}` }, ...rows));
    if (mark) (mark as HTMLElement).scrollIntoView({ block: 'center' });
  }

  private mergePointRow(profile: Profile, mp: JitMergePoint, t: TraceSummary, state: ViewState): HTMLElement {
    const where = `${mp.scope ?? '?'}  ${mp.file ?? '?'}:${mp.line ?? 0}${mp.opcode ? `  ${mp.opcode}` : ''}`;
    const func = mp.scope && mp.file ? functionAt(profile, mp.scope, mp.file, mp.line ?? 0) : -1;
    const text = mp.file && mp.line ? jitlogSource(profile).get(mp.file)?.get(mp.line) : undefined;
    return h(
      'div',
      { class: `mp-row${state.line > 0 && mp.line === state.line ? ' at-line' : ''}` },
      func >= 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'link',
              title: 'Show this line in the source view',
              'data-line': mp.line ?? 0,
              onclick: () => this.host.update({ view: 'source', func, line: mp.line ?? 0, trace: t.id }, 'push'),
            },
            where,
          )
        : h('span', { title: 'The profile has no samples in this function, so the source view cannot open it' }, where),
      text !== undefined ? h('code', { class: 'mp-source' }, text.trim()) : null,
    );
  }
}

function opText(op: JitOp): string {
  const call = `${op.name}(${op.args.join(', ')})`;
  const lhs = op.result && op.result !== '?' && op.result !== 'None' ? `${op.result} = ` : '';
  const descr = op.descr ? `  ${op.descr}` : '';
  const fail = op.failArgs ? `  [${op.failArgs.join(', ')}]` : '';
  return lhs + call + descr + fail;
}

function spaced(hex: string): string {
  return hex.replace(/(..)(?=.)/g, '$1 ');
}
