/** What identifies a V8 tick log, apart from its reader (formats/catalog.ts). */
import { headLines, looksBinary } from '../text-lines.js';

export const RECORD = /^(v8-version|shared-library|code-creation|profiler|tick|new|heap-capacity),/;

export function sniffV8Log(head: Uint8Array): boolean {
  if (head.length === 0 || looksBinary(head)) return false;
  const lines = headLines(head, 3);
  if (lines.length === 0 || !RECORD.test(lines[0])) return false;
  // One record kind at the start is not enough for a file that merely begins with "tick,".
  return lines[0].startsWith('v8-version,') || lines.slice(1).some((l) => RECORD.test(l));
}

export const v8LogSignature = {
  name: 'v8log',
  description: 'V8 tick log (node --prof isolate-*.log): JS and native stacks through the code map',
  extensions: ['v8.log', 'log'],
  sniff: (head: Uint8Array) => sniffV8Log(head),
};
