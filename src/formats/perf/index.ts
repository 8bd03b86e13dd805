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
import { FRAME, parsePerfHeader } from './header.js';
import { perfSignature } from './signature.js';
export { parsePerfHeader, type PerfHeader } from './header.js';
export { sniffPerfScript } from './signature.js';

const FORMAT = 'perf';

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

export const perfFormat: Format = {
  ...perfSignature,
  read: (bytes) => withFormatErrors(FORMAT, () => readPerfScript(bytes)),
};
