/**
 * Line-by-line reading of text profiles, the one line loop of the text readers. textLines reads
 * bytes (collapsed stacks, austin, gcov, lcov): big inputs are never decoded into one giant
 * string, only one line at a time. StringLines reads a decoded string (callgrind, perf script,
 * PyPy logs). Both accept LF and CRLF endings; a final line without a newline counts.
 */

export interface TextLine {
  /** The line without its ending (CR stripped). */
  text: string;
  /** 1-based line number. */
  lineNumber: number;
  /** Byte offset of the line's first byte. */
  offset: number;
}

const decoder = new TextDecoder('utf-8');

export function* textLines(bytes: Uint8Array): Generator<TextLine> {
  let start = 0;
  let lineNumber = 0;
  // Skip a UTF-8 byte order mark.
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    lineNumber++;
    yield { text: decoder.decode(bytes.subarray(start, stop)), lineNumber, offset: start };
    start = next;
  }
}

/**
 * The lines of an already decoded text, for readers whose loop is hot (callgrind, perf script,
 * PyPy logs): a plain object, not a generator. `next()` gives the next line without its ending
 * (LF or CRLF), or null at the end; `number` is that line's 1-based number and `last` says it had
 * no newline (a file cut short).
 */
export class StringLines {
  number = 0;
  last = false;
  private pos = 0;

  constructor(private readonly text: string) {}

  next(): string | null {
    const text = this.text;
    if (this.pos >= text.length) return null;
    let end = text.indexOf('\n', this.pos);
    this.last = end < 0;
    if (end < 0) end = text.length;
    const stop = end > this.pos && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    const line = text.slice(this.pos, stop);
    this.pos = end + 1;
    this.number++;
    return line;
  }
}

/** The first `maxLines` complete-or-final lines of a sniffing head, as strings. */
export function headLines(head: Uint8Array, maxLines: number): string[] {
  const out: string[] = [];
  for (const line of textLines(head)) {
    out.push(line.text);
    if (out.length >= maxLines) break;
  }
  return out;
}

/** True when the bytes contain a NUL or other binary control bytes in the first 4 KiB. */
export function looksBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c)) return true;
  }
  return false;
}
