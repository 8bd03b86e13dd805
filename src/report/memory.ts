/**
 * `pyrometer show --memory`: where the resident set size grew and shrank (a recording made
 * with --mem), by function and by line with its source text; src/model/memory-growth.ts says
 * how a change between two looks is charged.
 *
 *   memory (RSS) grew 165 MiB and shrank 31.6 MiB over 1,003 intervals between looks
 *         grew      shrank   net (total)  function  location
 *      128 MiB    31.6 MiB       +96 MiB  grow  grow_list.py:8
 *   line               grew      shrank         net  source
 *   grow_list.py:10 128 MiB    31.6 MiB     +96 MiB  data.append([i] * 100)
 * Both tables are ranked by net growth (growth − shrink, memory_profiler's "increment").
 */
import { hasMemoryReadings, memoryGrowth } from '../model/memory-growth.js';
import type { Profile } from '../model/profile.js';
import { PathShortener, displayName, select, type Selection } from './common.js';
import { displayWidth, ellipsize, ellipsizePath, formatKiB, padEnd, padStart, sanitize, type Style } from './text.js';

export interface MemoryReportOptions extends Selection {
  /** Rows in each table (default 10). */
  top?: number;
  readSource?: (file: string) => string[] | null;
}

export const NO_MEMORY_READINGS =
  'This profile has no memory readings, so there is no growth to charge to code.\n' +
  'Record one with them:  pyrometer record --mem --lines -o out.prof -- python3 your_program.py';

const size = (bytes: number) => formatKiB(bytes / 1024);
const signed = (bytes: number) => (bytes < 0 ? `-${size(-bytes)}` : `+${size(bytes)}`);

export function renderMemory(profile: Profile, options: MemoryReportOptions, style: Style): string {
  if (!hasMemoryReadings(profile)) return `${NO_MEMORY_READINGS}\n`;
  const { threads } = select(profile, options);
  const g = memoryGrowth(profile, { threads });
  const top = options.top ?? 10;
  const functions = g.functions.slice(0, top);
  const lines = g.lines.filter((l) => l.growth > 0 || l.shrink > 0).slice(0, top);
  const paths = new PathShortener(profile, [...functions.map((f) => f.func), ...lines.map((l) => l.func)], style.home, style.cwd);
  const out: string[] = [
    style.bold(
      `memory (RSS) grew ${size(g.growth)} and shrank ${size(g.shrink)} over ${g.intervals.toLocaleString('en-US')} intervals between looks`,
    ),
  ];
  if (g.gapGrowth > 0 || g.gapShrink > 0)
    out.push(
      style.yellow(
        `note: ${size(g.gapGrowth)} of the growth and ${size(g.gapShrink)} of the shrink happened across ${g.gaps} gap${g.gaps === 1 ? '' : 's'} between looks (looks lost: a busy machine, torn stacks) and are charged to no code`,
      ),
    );
  const note = paths.note(style);
  if (note) out.push(note);
  out.push('', style.bold(`${padStart('grew', 10)}  ${padStart('shrank', 10)}  ${padStart('net (total)', 12)}  function  location`));
  for (const f of functions) {
    out.push(
      `${padStart(size(f.selfGrowth), 10)}  ${padStart(size(f.selfShrink), 10)}  ${padStart(signed(f.totalGrowth - f.totalShrink), 12)}  ${displayName(profile, f.func)}  ${style.dim(paths.location(f.func))}`,
    );
  }
  if (lines.length === 0) {
    out.push('', style.dim('no line numbers: record with --lines to see growth by line'));
    return `${out.join('\n')}\n`;
  }
  // long paths (files with no common directory) give way to the source text: at most 40 columns
  const where = lines.map((l) => ellipsizePath(paths.location(l.func, l.line), 40));
  const width = Math.max(4, ...where.map((w) => displayWidth(w)));
  out.push('', style.bold(`${padEnd('line', width)}  ${padStart('grew', 10)}  ${padStart('shrank', 10)}  ${padStart('net', 10)}  source`));
  lines.forEach((l, i) => {
    const file = profile.funcs.file[l.func] >= 0 ? profile.strings[profile.funcs.file[l.func]] : '';
    const text = file ? (options.readSource?.(file)?.[l.line - 1] ?? '') : '';
    const head = `${padEnd(where[i], width)}  ${padStart(size(l.growth), 10)}  ${padStart(size(l.shrink), 10)}  ${padStart(signed(l.growth - l.shrink), 10)}  `;
    out.push(head + ellipsize(sanitize(text.trim()), Math.max(10, style.width - displayWidth(head)), 0));
  });
  return `${out.join('\n')}\n`;
}
