/** What identifies `perf script` output, apart from its reader (formats/catalog.ts). */
import { FRAME, parsePerfHeader } from './header.js';

export function sniffPerfScript(head: Uint8Array): boolean {
  const text = new TextDecoder('utf-8').decode(head.subarray(0, 4096));
  const lines = text.split('\n', 40);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!parsePerfHeader(line)) return false;
    // The next line is a frame (or the head ends, or the sample has no stack).
    const next = lines[i + 1];
    return next === undefined || next.trim() === '' || FRAME.test(next) || parsePerfHeader(next) !== null;
  }
  return false;
}

export const perfSignature = {
  name: 'perf',
  description: 'Linux perf script text output (perf record -g; perf script)',
  extensions: ['perf', 'perf.txt', 'perf-script'],
  sniff: (head: Uint8Array) => sniffPerfScript(head),
};
