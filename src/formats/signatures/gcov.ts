/** What identifies gcov annotated source, apart from its reader (formats/catalog.ts). */
import { headLines, looksBinary } from '../text-lines.js';

export function sniffGcov(head: Uint8Array): boolean {
  if (head.length === 0 || looksBinary(head)) return false;
  return /^\s*-:\s*0:Source:/.test(headLines(head, 1)[0] ?? '');
}

export const gcovSignature = {
  name: 'gcov',
  description: 'gcov annotated source (.gcov): line execution counts from gcc --coverage',
  extensions: ['gcov'],
  sniff: sniffGcov,
};
