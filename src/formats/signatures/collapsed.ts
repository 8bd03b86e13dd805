/** What identifies collapsed stacks, apart from their reader (formats/catalog.ts). */
import { looksBinary, textLines } from '../text-lines.js';

/** `stack count`: the count is the last space-separated field (flamegraph.pl accepts decimals). */
export const SAMPLE_LINE = /^(.*\S) +(\d+(?:\.\d+)?)$/s; // `s`: names may hold U+2028 and other line separators

export const AUSTIN_LINE = /^P\d+;T/;

/** The start of a very long stack line: many `;`-separated frames, none empty, not another format's text. */
export function looksLikeCutStack(text: string): boolean {
  const line = text.trimStart();
  if (/^[{[<#]/.test(line) || AUSTIN_LINE.test(line)) return false;
  const frames = line.split(';');
  return frames.length >= 16 && frames.slice(0, -1).every((f) => f.trim() !== '');
}

export function sniffCollapsed(head: Uint8Array): boolean {
  if (head.length === 0 || looksBinary(head)) return false;
  // A first line longer than the head (a deep stack): judged by its frames, its count being out of sight.
  if (head.length >= 64 * 1024 && head.indexOf(0x0a) < 0) return looksLikeCutStack(new TextDecoder('utf-8').decode(head));
  let checked = 0;
  let valid = 0;
  for (const { text, offset } of textLines(head)) {
    // The last line of a truncated head may be cut in the middle.
    if (offset > 0 && head.indexOf(0x0a, offset) < 0 && head.length >= 64 * 1024) break;
    const line = text.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) continue;
    if (AUSTIN_LINE.test(line)) return false;
    checked++;
    if (SAMPLE_LINE.test(line) && !line.endsWith(':')) valid++;
    if (checked >= 20) break;
  }
  // Most lines must be samples; a stray invalid line (speedscope's sample has one) is tolerated.
  return valid > 0 && valid * 3 >= checked * 2;
}

export const collapsedSignature = {
  name: 'collapsed',
  description: 'Collapsed stacks (flamegraph.pl, py-spy --format raw): "a;b;c 12" lines',
  extensions: ['collapsed', 'folded', 'txt'],
  sniff: (head: Uint8Array) => sniffCollapsed(head),
};
