/** The sample header line of `perf script` output (and the frame line's shape): shared by the reader and the sniffer. */
/** An indented frame line: address, then symbol and dso. */
export const FRAME = /^\s+([0-9a-fA-F]+)\s+(.*)$/s; // `s`: else a line separator inside made `(.*)$` backtrack quadratically

export interface PerfHeader {
  comm: string;
  pid: string;
  tid: string;
  cpu: number | null;
  seconds: number;
  /** The timestamp as written, e.g. "894.876639". */
  secondsText: string;
  period: number | null;
  event: string;
  /** Whatever follows the event: `perf script -F ...,ip,sym,dso` prints the sampled frame here. */
  rest: string;
}

/** What `\s` matches in a JS regex: the separators between header fields. */
function isSpace(c: number): boolean {
  if (c > 32 && c < 160) return false; // the common case first: printable ASCII
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the digits starting at `i` (i itself when there are none). */
function digitsEnd(line: string, i: number, end: number): number {
  while (i < end && isDigit(line.charCodeAt(i))) i++;
  return i;
}

/** `-?\d+(\/-?\d+)?` filling [start, end) exactly. */
function isPidToken(line: string, start: number, end: number): boolean {
  let i = start;
  if (line.charCodeAt(i) === 45 /* - */) i++;
  const first = digitsEnd(line, i, end);
  if (first === i) return false;
  if (first === end) return true;
  if (line.charCodeAt(first) !== 47 /* / */) return false;
  i = first + 1;
  if (line.charCodeAt(i) === 45) i++;
  const second = digitsEnd(line, i, end);
  return second > i && second === end;
}

/** `[\d+]` filling [start, end) exactly. */
function isCpuToken(line: string, start: number, end: number): boolean {
  if (line.charCodeAt(start) !== 91 /* [ */ || line.charCodeAt(end - 1) !== 93 /* ] */ || end - start < 3) return false;
  return digitsEnd(line, start + 1, end - 1) === end - 1;
}

/** Length of `\d+\.\d+:` at the start of the token, or -1. */
function secondsLength(line: string, start: number, end: number): number {
  const whole = digitsEnd(line, start, end);
  if (whole === start || line.charCodeAt(whole) !== 46 /* . */) return -1;
  const fraction = digitsEnd(line, whole + 1, end);
  if (fraction === whole + 1 || fraction >= end || line.charCodeAt(fraction) !== 58 /* : */) return -1;
  return fraction + 1 - start;
}

/** A header whose comm is one word: comm, pid, tid, cpu, seconds, period, event, modifiers, rest. */
const SIMPLE_HEADER = /^(\S+)\s+(-?\d+)(?:\/(-?\d+))?\s+(?:\[(\d+)\]\s+)?(\d+\.\d+):\s*(?:(\d+)\s+)?([^\s:]+)(\S*)\s*(.*)$/s;

/** Whitespace-separated tokens of a line as [start, end) offsets, into `spans` (reused between lines). */
const spans: number[] = [];
function tokenize(line: string): number {
  spans.length = 0;
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i === n) break;
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    spans.push(start, i);
  }
  return spans.length / 2;
}

/**
 * A sample header, or null. Hand-written rather than one regex: with a comm
 * that may contain spaces, a single pattern backtracks quadratically (or worse)
 * on lines like "x" + 60 KB of spaces. Here each token is looked at a bounded
 * number of times, so the work is linear in the line. The leftmost reading
 * wins: the comm is the shortest prefix after which "pid [cpu] seconds:" follows.
 */
export function parsePerfHeader(line: string): PerfHeader | null {
  // Fast path, and what nearly every header is: a comm without spaces. Anchored with disjoint
  // classes (no lazy comm), this regex cannot backtrack super-linearly (test/formats/redos.test.ts).
  const m = SIMPLE_HEADER.exec(line);
  if (m) {
    return {
      comm: m[1],
      pid: m[2],
      tid: m[3] ?? m[2],
      cpu: m[4] !== undefined ? Number(m[4]) : null,
      seconds: Number(m[5]),
      secondsText: m[5],
      period: m[6] !== undefined ? Number(m[6]) : null,
      event: m[7],
      rest: m[9],
    };
  }
  const count = tokenize(line);
  if (count < 3 || spans[0] !== 0) return null;
  for (let p = 1; p + 1 < count; p++) {
    if (!isPidToken(line, spans[2 * p], spans[2 * p + 1])) continue;
    let s = p + 1;
    let cpu: number | null = null;
    if (s + 1 < count && isCpuToken(line, spans[2 * s], spans[2 * s + 1])) {
      cpu = Number(line.slice(spans[2 * s] + 1, spans[2 * s + 1] - 1));
      s++;
    }
    const stampLength = secondsLength(line, spans[2 * s], spans[2 * s + 1]);
    if (stampLength < 0) continue;
    const tail = headerTail(line, count, s, stampLength);
    if (!tail) continue;
    const pidText = line.slice(spans[2 * p], spans[2 * p + 1]);
    const slash = pidText.indexOf('/');
    const secondsText = line.slice(spans[2 * s], spans[2 * s] + stampLength - 1);
    return {
      comm: line.slice(0, spans[2 * p - 1]),
      pid: slash < 0 ? pidText : pidText.slice(0, slash),
      tid: slash < 0 ? pidText : pidText.slice(slash + 1),
      cpu,
      seconds: Number(secondsText),
      secondsText,
      ...tail,
    };
  }
  return null;
}

/** After "seconds:": an optional period, the event (up to a ':' or space), its modifiers, and the rest of the line. */
function headerTail(
  line: string,
  count: number,
  stampToken: number,
  stampLength: number,
): { period: number | null; event: string; rest: string } | null {
  // The event may follow the colon directly ("1.5:cycles:") or be the next token.
  let t = stampToken;
  let at = spans[2 * t] + stampLength;
  if (at === spans[2 * t + 1]) {
    t++;
    if (t >= count) return null;
    at = spans[2 * t];
  }
  let period: number | null = null;
  const end = spans[2 * t + 1];
  if (digitsEnd(line, at, end) === end && t + 1 < count && line.charCodeAt(spans[2 * t + 2]) !== 58 /* : */) {
    period = Number(line.slice(at, end));
    t++;
    at = spans[2 * t];
  }
  const wordEnd = spans[2 * t + 1];
  let colon = at;
  while (colon < wordEnd && line.charCodeAt(colon) !== 58) colon++;
  if (colon === at) return null;
  return { period, event: line.slice(at, colon), rest: t + 1 < count ? line.slice(spans[2 * t + 2]) : '' };
}
