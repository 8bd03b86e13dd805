/** What identifies austin's text output, apart from its reader (formats/catalog.ts). */
import { looksBinary, textLines } from '../text-lines.js';

export function sniffAustin(head: Uint8Array): boolean {
  if (head.length === 0 || looksBinary(head)) return false;
  let lines = 0;
  for (const { text } of textLines(head.subarray(0, 8192))) {
    if (text.startsWith('# austin:')) return true;
    if (text.trim() === '' || text.startsWith('#')) continue;
    return /^P\d+;T[^; ]+[; ]/.test(text) && ++lines > 0;
  }
  return false;
}

export const austinSignature = {
  name: 'austin',
  description: 'austin text output (wall, cpu, memory and full modes)',
  extensions: ['austin'],
  sniff: (head: Uint8Array) => sniffAustin(head),
};
