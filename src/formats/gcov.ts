/**
 * gcov's annotated source (`gcov file.c` writes `file.c.gcov`): per line
 * `count:line:source`, where count is `-` (not code), `#####`/`=====` (never
 * run) or a number (a `*` suffix marks a partly run line); `0:Source:path`
 * names the file. `function NAME called N ...` lines (gcov -b/-f) start a
 * function. Becomes line execution counts (see coverage.ts).
 */
import type { Profile } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import { coverageProfile, type CoverageFile } from './coverage.js';
import type { Format, ReadOptions } from './registry.js';
import { textLines } from './text-lines.js';
import { gcovSignature } from './signatures/gcov.js';
export { sniffGcov } from './signatures/gcov.js';

const FORMAT = 'gcov';
/**
 * `count: line:source` split on its first two colons: [whole, count, line, source], or null.
 * In code: `^\s*([^:]+):\s*(\d+):(.*)$` backtracked quadratically on a line of blanks.
 */
function countLine(text: string): [string, string, string, string] | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const rest = text.slice(colon + 1);
  const number = /^\s*(\d+):/.exec(rest);
  if (!number) return null;
  return [text, text.slice(0, colon), number[1], rest.slice(number[0].length)];
}
const FUNCTION = /^function (.+?) called (\d+)/;

export function readGcov(bytes: Uint8Array, options: ReadOptions = {}): Profile {
  const file: CoverageFile = { path: options.fileName?.replace(/\.gcov$/, '') ?? 'unknown', functions: [], lines: new Map() };
  let pendingFunction: string | null = null;
  let parsed = 0;
  let bad = 0;
  let firstBad = 0;
  for (const { text, lineNumber } of textLines(bytes)) {
    if (text.trim() === '') continue;
    const fn = FUNCTION.exec(text);
    if (fn) {
      pendingFunction = fn[1];
      continue;
    }
    // Branch, call and block detail lines of `gcov -b`: not line counts.
    if (/^(branch|call|unconditional)\s/.test(text)) continue;
    const m = countLine(text);
    if (!m) {
      if (bad++ === 0) firstBad = lineNumber;
      continue;
    }
    parsed++;
    const line = Number(m[2]);
    const count = m[1].trim();
    if (line === 0) {
      const meta = /^Source:(.*)$/.exec(m[3]);
      if (meta) file.path = meta[1];
      continue;
    }
    if (pendingFunction !== null) {
      file.functions.push({ name: pendingFunction, line });
      pendingFunction = null;
    }
    if (count === '-' || count.startsWith('#') || count.startsWith('=')) continue;
    const n = Number(count.replace(/\*$/, ''));
    if (!Number.isFinite(n)) {
      if (bad++ === 0) firstBad = lineNumber;
      continue;
    }
    file.lines.set(line, n);
  }
  if (parsed === 0) throw new ProfileFormatError(FORMAT, 'no "count: line: source" lines: not a gcov file', -1, bad ? firstBad : 1);
  const warnings =
    bad > 0 ? [`gcov: skipped ${bad} line${bad === 1 ? '' : 's'} that are not "count: line: source" (first at line ${firstBad})`] : [];
  return coverageProfile(FORMAT, [file], warnings);
}

export const gcovFormat: Format = {
  ...gcovSignature,
  read: readGcov,
};
