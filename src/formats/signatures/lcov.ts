/** What identifies an lcov tracefile, apart from its reader (formats/catalog.ts). */
import { headLines, looksBinary } from '../text-lines.js';

export const RECORD = /^(TN|SF|FN|FNDA|FNF|FNH|DA|BRDA|BRF|BRH|LF|LH|VER|FNL|FNA):/;

export function sniffLcov(head: Uint8Array): boolean {
  if (head.length === 0 || looksBinary(head)) return false;
  const lines = headLines(head, 8).filter((l) => l.trim() !== '');
  return lines.length > 0 && /^(TN|SF):/.test(lines[0]) && lines.slice(0, 4).every((l) => RECORD.test(l) || l === 'end_of_record');
}

export const lcovSignature = {
  name: 'lcov',
  description: 'lcov tracefile (.info): line execution counts (lcov, geninfo, coverage.py)',
  extensions: ['info', 'lcov'],
  sniff: sniffLcov,
};
