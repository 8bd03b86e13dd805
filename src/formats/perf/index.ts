/**
 * `perf script` text output (Linux perf: `perf record -g` then `perf script`).
 *
 * Layout: one block per sample, blank line between blocks.
 *   header  `comm pid[/tid] [cpu] seconds.micros: [period] event[:modifiers]:`
 *           (the cpu and period fields depend on the recording; comm may contain spaces)
 *   frames  one indented line each, innermost first: `hexaddr symbol[+0xoff] (dso)`;
 *           unknown symbols and dsos print as `[unknown]`; kernel frames live in
 *           `[kernel.kallsyms]` (or other `[kernel...]` dsos) at addresses 0xffff....
 *   Lines starting with `#` are perf's optional header comments. Without `-g`,
 *   `perf script -F ...,ip,sym,dso` prints the one sampled frame on the header line.
 *
 * What the reader makes of it: one thread per (pid, tid) named after its comm;
 * samples weigh 1 at their time (ms from the first sample); functions are the
 * symbol without its offset, with the dso as the function's file. Kernel frames
 * get the category `kernel`. CPython 3.12+ perf trampolines (`py::name:file`)
 * become Python functions.
 *
 * The file is scanned line by line over one decoded string (no split into an
 * array of lines), and frames are cached by their text, so multi-megabyte files
 * stay fast.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { FrameIndex, Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { StringLines } from '../text-lines.js';
import { withFormatErrors } from '../reader-guard.js';
import type { Format } from '../registry.js';

const FORMAT = 'perf';

/** An indented frame line: address, then symbol and dso. */
const FRAME = /^\s+([0-9a-fA-F]+)\s+(.*)$/s; // `s`: else a line separator inside made `(.*)$` backtrack quadratically

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

function isKernel(address: string, dso: string): boolean {
  if (dso === '[vdso]') return false;
  if (dso.startsWith('[kernel') || dso.startsWith('[guest.kernel')) return true;
  // Kernel modules show as [module]; their addresses are in the top half.
  return address.length === 16 && (address.startsWith('ffff') || address.startsWith('FFFF'));
}

export function readPerfScript(bytes: Uint8Array): Profile {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new ProfileFormatError(FORMAT, 'empty input', 0);
  const builder = new ProfileBuilder(FORMAT, { interpreter: '' });
  const frameCache = new Map<string, FrameIndex>();
  const events = new Map<string, number>();
  const stackBuffer: number[] = [];
  let firstSeconds = NaN;
  let firstWhole = 0;
  let firstNanos = 0;
  let clockPeriod: number | null = null;
  let skippedLines = 0;
  let sideBand = 0;

  let thread = -1;
  let sampleTime = 0;
  let inSample = false;

  let headerFrame = -1;
  const flush = () => {
    if (!inSample) return;
    // Without a call chain, the header itself may name the sampled frame.
    if (stackBuffer.length === 0 && headerFrame >= 0) stackBuffer.push(headerFrame);
    // Frames were collected innermost first.
    let stack = -1;
    for (let i = stackBuffer.length - 1; i >= 0; i--) stack = builder.stack(stack, stackBuffer[i]);
    builder.addSample(thread, stack, sampleTime, 1);
    stackBuffer.length = 0;
    inSample = false;
  };

  const frameOf = (address: string, rest: string): FrameIndex => {
    const cached = frameCache.get(rest);
    if (cached !== undefined) return cached;
    let symbol = rest;
    let dso = '';
    if (rest.endsWith(')')) {
      // The dso is the last balanced parenthesised group: "(/bin/prog (deleted))" nests.
      let depth = 0;
      let open = -1;
      for (let i = rest.length - 1; i >= 0; i--) {
        const ch = rest.charCodeAt(i);
        if (ch === 41 /* ) */) depth++;
        else if (ch === 40 /* ( */ && --depth === 0) {
          open = i;
          break;
        }
      }
      if (open >= 0) {
        dso = rest.slice(open + 1, -1);
        symbol = rest.slice(0, open);
      }
    }
    symbol = symbol.trim().replace(/\+0x[0-9a-fA-F]+$/, '');
    if (symbol === '') symbol = '[unknown]';
    const file = dso === '[unknown]' ? '' : dso;
    let frame: FrameIndex;
    if (symbol.startsWith('py::')) {
      // CPython's perf trampoline: py::<qualname>:<filename>
      const body = symbol.slice(4);
      const colon = body.indexOf(':');
      const name = colon >= 0 ? body.slice(0, colon) : body;
      const pyFile = colon >= 0 ? body.slice(colon + 1) : '';
      frame = builder.frame(builder.func(name, pyFile, 0, 'python'));
    } else if (isKernel(address, dso)) {
      frame = builder.frame(builder.func(symbol, file, 0, 'native'), 0, 'kernel');
    } else {
      frame = builder.frame(builder.func(symbol, file, 0, 'native'));
    }
    // Kernel-ness can depend on the address when the dso is unknown: cache by both.
    if (dso !== '[unknown]' && dso !== '') frameCache.set(rest, frame);
    return frame;
  };

  let lineNo = 0;
  const lines = new StringLines(text);
  for (let line = lines.next(); line !== null; line = lines.next()) {
    lineNo = lines.number;
    const lastLine = lines.last;
    if (line.trim() === '') {
      flush();
      continue;
    }
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) {
      if (!inSample) {
        throw new ProfileFormatError(FORMAT, 'stack frame line before any sample header', -1, lineNo);
      }
      const m = FRAME.exec(line);
      if (m) {
        stackBuffer.push(frameOf(m[1], m[2]));
      } else {
        skippedLines++;
      }
      continue;
    }
    if (c === 35 /* # */ && !inSample) continue;
    const header = parsePerfHeader(line);
    if (!header) {
      if (lastLine && !Number.isNaN(firstSeconds)) {
        builder.warn(`the last line (${lineNo}) is cut short: the file looks truncated`);
        break;
      }
      const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
      throw new ProfileFormatError(FORMAT, `expected a sample header "comm pid time: event:", found ${JSON.stringify(shown)}`, -1, lineNo);
    }
    flush();
    // Side-band records (perf script --show-mmap-events, --show-task-events, ...) are not samples.
    if (header.event.startsWith('PERF_RECORD_')) {
      sideBand++;
      continue;
    }
    // Times relative to the first sample from the integer parts of "seconds.fraction",
    // so that 1.002000 - 1.000000 is exactly 2 ms.
    const dot = header.secondsText.indexOf('.');
    const whole = Number(header.secondsText.slice(0, dot));
    const nanos = Number(header.secondsText.slice(dot + 1, dot + 10).padEnd(9, '0'));
    if (Number.isNaN(firstSeconds)) {
      firstSeconds = header.seconds;
      firstWhole = whole;
      firstNanos = nanos;
    }
    thread = builder.thread(header.tid, header.comm, header.pid);
    sampleTime = (whole - firstWhole) * 1000 + (nanos - firstNanos) / 1e6;
    events.set(header.event, (events.get(header.event) ?? 0) + 1);
    if (clockPeriod === null && header.period !== null && /^(cpu|task)-clock$/.test(header.event)) clockPeriod = header.period;
    const inline = /^([0-9a-fA-F]+)\s+(\S.*)$/.exec(header.rest);
    headerFrame = inline ? frameOf(inline[1], inline[2]) : -1;
    inSample = true;
  }
  flush();
  if (Number.isNaN(firstSeconds)) throw new ProfileFormatError(FORMAT, 'no sample headers found', -1, Math.max(1, lineNo));

  builder.meta.extra.events = [...events].map(([e, n]) => `${e}=${n}`).join(' ');
  builder.meta.extra.firstSampleSeconds = String(firstSeconds);
  // cpu-clock / task-clock periods are nanoseconds: the sampling interval.
  if (clockPeriod !== null) builder.meta.interval = clockPeriod / 1e6;
  if (events.size > 1) builder.warn(`samples of ${events.size} different events are mixed in one profile`);
  if (sideBand > 0) builder.meta.extra.sideBandRecords = String(sideBand);
  if (skippedLines > 0) builder.warn(`${skippedLines} indented lines were not stack frames and were skipped`);
  return builder.build();
}

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

export const perfFormat: Format = {
  name: FORMAT,
  description: 'Linux perf script text output (perf record -g; perf script)',
  extensions: ['perf', 'perf.txt', 'perf-script'],
  sniff: (head) => sniffPerfScript(head),
  read: (bytes) => withFormatErrors(FORMAT, () => readPerfScript(bytes)),
};
