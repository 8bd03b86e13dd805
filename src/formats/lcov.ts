/**
 * lcov tracefiles (`lcov --capture`, `geninfo`, coverage.py's `coverage lcov`):
 * records `SF:path` … `end_of_record`, with `FN:line,name` (function start),
 * `DA:line,count[,checksum]` (line executions); other records (TN, FNDA, BRDA,
 * LF, LH…) are not needed for line heat. Becomes line execution counts (see
 * coverage.ts).
 */
import type { Profile } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import { coverageProfile, type CoverageFile } from './coverage.js';
import type { Format, ReadOptions } from './registry.js';
import { textLines } from './text-lines.js';
import { lcovSignature, RECORD } from './signatures/lcov.js';
export { sniffLcov } from './signatures/lcov.js';

const FORMAT = 'lcov';

export function readLcov(bytes: Uint8Array, _options: ReadOptions = {}): Profile {
  const files: CoverageFile[] = [];
  let current: CoverageFile | null = null;
  let bad = 0;
  let firstBad = 0;
  const skip = (lineNumber: number) => {
    if (bad++ === 0) firstBad = lineNumber;
  };
  for (const { text, lineNumber } of textLines(bytes)) {
    const line = text.trim();
    if (line === '') continue;
    if (line === 'end_of_record') {
      current = null;
      continue;
    }
    const colon = line.indexOf(':');
    const tag = colon < 0 ? '' : line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (tag === 'SF') {
      current = { path: value, functions: [], lines: new Map() };
      files.push(current);
      continue;
    }
    if (!RECORD.test(line)) {
      skip(lineNumber);
      continue;
    }
    if (!current) continue; // TN and records outside a file say nothing about lines
    if (tag === 'DA') {
      const [l, c] = value.split(',');
      const n = Number(l);
      const count = Number(c);
      if (!Number.isInteger(n) || n <= 0 || !Number.isFinite(count)) {
        skip(lineNumber);
        continue;
      }
      // The same line listed twice (merged tracefiles) adds up.
      current.lines.set(n, (current.lines.get(n) ?? 0) + count);
    } else if (tag === 'FN') {
      const comma = value.indexOf(',');
      const n = Number(value.slice(0, comma));
      if (comma < 0 || !Number.isInteger(n)) {
        skip(lineNumber);
        continue;
      }
      current.functions.push({ name: value.slice(comma + 1), line: n });
    }
  }
  if (files.length === 0)
    throw new ProfileFormatError(FORMAT, 'no SF: (source file) record: not an lcov tracefile', -1, bad ? firstBad : 1);
  const warnings =
    bad > 0 ? [`lcov: skipped ${bad} line${bad === 1 ? '' : 's'} that are not lcov records (first at line ${firstBad})`] : [];
  return coverageProfile(FORMAT, files, warnings);
}

export const lcovFormat: Format = {
  ...lcovSignature,
  read: readLcov,
};
