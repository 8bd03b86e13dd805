/**
 * Memory growth (a recording made with `record --mem`, by line with `--lines`): where the
 * resident set size grew and shrank, by function and by line with its source text. The
 * analysis is the model's (src/model/memory-growth.ts, shared with `show --memory`); the chosen
 * threads and the selected time range apply.
 */
import { hasMemoryReadings, memoryGrowth, type MemoryGrowth } from '../../src/model/memory-growth.js';
import type { Profile } from '../../src/model/profile.js';
import { isSourceFileName } from '../../src/model/source-files.js';
import { h, replaceChildren } from './dom.js';
import { formatBytes, formatMs } from './format.js';
import { Memo } from './memo.js';
import type { AppHost, View } from './registry.js';
import type { ViewState } from './state.js';
import type { ViewModel } from './viewmodel.js';

const MAX_ROWS = 100;
const signed = (bytes: number) => (bytes < 0 ? `−${formatBytes(-bytes)}` : `+${formatBytes(bytes)}`);

export class MemoryGrowthView implements View {
  readonly element: HTMLElement;
  private readonly note = h('div', { class: 'compare-note memory-growth-note' });
  private readonly body = h('div', { class: 'memory-growth', style: 'display:flex;flex-direction:column;gap:12px;padding:4px 8px' });
  private readonly growth = new Memo<MemoryGrowth>();
  private request = 0;

  constructor(private readonly host: AppHost) {
    this.element = h('div', { class: 'panel-fill memory-growth-view' }, this.note, this.body);
  }

  async show(vm: ViewModel, state: ViewState): Promise<void> {
    const request = ++this.request;
    const p = vm.profile;
    if (!hasMemoryReadings(p)) {
      this.note.textContent = 'This profile has no memory readings. Record them with: pyrometer record --mem --lines -- python3 app.py';
      replaceChildren(this.body);
      return;
    }
    const g = this.growth.get([p, state.threads.join(','), state.range?.[0], state.range?.[1]], () =>
      memoryGrowth(p, { threads: state.threads, startTime: state.range?.[0], endTime: state.range?.[1] }),
    );
    this.note.textContent =
      `RSS grew ${formatBytes(g.growth)} and shrank ${formatBytes(g.shrink)} over ${g.intervals.toLocaleString('en-US')} intervals between looks` +
      `${state.range ? ` (range ${formatMs(state.range[0])} – ${formatMs(state.range[1])})` : ''}. ` +
      'Each change is charged to the code the later look found running: a statistical line report, growth and shrink kept apart, ranked by net growth.' +
      (g.gapGrowth > 0 || g.gapShrink > 0
        ? ` ${formatBytes(g.gapGrowth)} of the growth and ${formatBytes(g.gapShrink)} of the shrink happened across ${g.gaps} gaps between looks (looks lost) and are charged to no code.`
        : '');
    const cell = (text: string, num = true) =>
      h('td', { style: num ? 'text-align:right;padding:1px 8px' : 'padding:1px 8px;white-space:pre' }, text);
    const head = (...labels: string[]) =>
      h(
        'tr',
        null,
        ...labels.map((l, i) => h('th', { style: `text-align:${i < labels.length - 1 ? 'right' : 'left'};padding:1px 8px` }, l)),
      );
    const where = (f: number, line: number) => {
      const file = p.funcs.file[f] >= 0 ? p.strings[p.funcs.file[f]] : '';
      return `${p.strings[p.funcs.name[f]]}  ${file.split('/').pop()}${line > 0 ? `:${line}` : ''}`;
    };
    const functions = h(
      'table',
      { class: 'growth-functions' },
      h('caption', { style: 'text-align:left;font-weight:600' }, 'By function'),
      head('Grew (self)', 'Shrank (self)', 'Grew (total)', 'Shrank (total)', 'Net (total)', 'Function'),
      ...g.functions
        .slice(0, MAX_ROWS)
        .map((f) =>
          h(
            'tr',
            null,
            cell(formatBytes(f.selfGrowth)),
            cell(formatBytes(f.selfShrink)),
            cell(formatBytes(f.totalGrowth)),
            cell(formatBytes(f.totalShrink)),
            cell(signed(f.totalGrowth - f.totalShrink)),
            cell(where(f.func, p.funcs.line[f.func]), false),
          ),
        ),
    );
    const lineRows = g.lines.slice(0, MAX_ROWS);
    const sources = await this.sourceLines(
      p,
      lineRows.map((l) => l.func),
    );
    if (request !== this.request) return;
    const lines = h(
      'table',
      { class: 'growth-lines' },
      h('caption', { style: 'text-align:left;font-weight:600' }, 'By line'),
      head('Grew', 'Shrank', 'Net', 'Line', 'Source'),
      ...lineRows.map((l) => {
        const file = p.funcs.file[l.func] >= 0 ? p.strings[p.funcs.file[l.func]] : '';
        return h(
          'tr',
          null,
          cell(formatBytes(l.growth)),
          cell(formatBytes(l.shrink)),
          cell(signed(l.growth - l.shrink)),
          cell(where(l.func, l.line), false),
          cell((sources.get(file)?.[l.line - 1] ?? '').trim(), false),
        );
      }),
    );
    replaceChildren(
      this.body,
      functions,
      lineRows.length > 0 ? lines : h('div', { class: 'muted' }, 'No line numbers: record with --lines to see growth by line.'),
    );
  }

  /** The source files of these functions, split in lines; a file that cannot be read is left out. */
  private async sourceLines(p: Profile, funcs: number[]): Promise<Map<string, string[]>> {
    const files = new Set(funcs.map((f) => (p.funcs.file[f] >= 0 ? p.strings[p.funcs.file[f]] : '')).filter(isSourceFileName));
    const out = new Map<string, string[]>();
    await Promise.all(
      [...files].map(async (file) => {
        try {
          out.set(file, (await this.host.readSource(file)).split(/\r?\n/));
        } catch {
          // not readable here (profiles travel): numbers without the text
        }
      }),
    );
    return out;
  }
}
