/**
 * austin's text output (austin 3.x, or `mojo2austin` of a binary MOJO file).
 *
 * Layout: text lines.
 *   `# key: value`   metadata, at the top (`austin`, `interval` in us, `mode`:
 *                    wall | cpu | memory | full, `multiprocess`, ...) and at the
 *                    bottom (`duration`, `sampling`, `saturation`, `errors`, ...)
 *   sample           `P<pid>;T<iid>:<tid>;<file>:<function>:<line>;... <metric>`
 *                    frames root first; austin 3.0-3.3 wrote `T<tid>` without the
 *                    interpreter id. A thread seen with no Python frame has no frames
 *                    (read as one `[no Python frame]` frame, so its time still counts).
 *   metric           wall/cpu: microseconds; memory: bytes allocated (+) or
 *                    released (-) since the previous sample of the thread; full:
 *                    `<us>,<idle 0|1>,<memory delta>`.
 *   special frames   `:GC:` on top while the garbage collector runs (austin -g),
 *                    `:INVALID:` for a frame austin could not read.
 * Function names are qualified names and may contain `:` (`<lambda>`, `Class.method`),
 * file names may contain `:` (Windows drives), so a frame is split at its LAST two colons.
 *
 * What the reader makes of it:
 * - a thread per (pid, iid:tid); samples in file order, times accumulated per
 *   thread from the time metric (memory mode: one sample period each);
 * - time modes weigh samples in us; memory mode weighs by bytes allocated (negative
 *   deltas are releases: they are not weights, they go to the memory counter);
 * - full mode weighs by time, marks idle samples with the idle category on their
 *   innermost frame (so "hide idle" works), and adds a per-process memory counter
 *   (running sum of the deltas in sample-time order, bytes; memory mode too);
 * - `# key: value` lines go to meta.extra; `interval` also sets meta.interval.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { FrameIndex, Profile, StackIndex } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format } from './registry.js';
import { textLines } from './text-lines.js';
import { austinSignature } from './signatures/austin.js';
export { sniffAustin } from './signatures/austin.js';

const FORMAT = 'austin';

const SAMPLE = /^P(\d+);T([^; ]+)(?:;(.*))? (-?\d+(?:,-?\d+)*)$/;
// One colon split, trimmed in code: `#\s*([^:]+?)\s*:` backtracked polynomially on runs of blanks.
const META = /^#([^:]*):(.*)$/s;
/** Stands for a sample of a thread that had no Python frame (austin writes no frames at all). */
const NO_PYTHON_FRAME = '\u0000none';
const NATIVE_FILE = /\.so(\.|$)|\.dylib$|\.dll$/i;

type Mode = 'wall' | 'cpu' | 'memory' | 'full';

/** Memory deltas of one process, with the sample times of the threads that reported them. */
interface MemoryTrack {
  time: number[];
  delta: number[];
}

export function readAustin(bytes: Uint8Array): Profile {
  const builder = new ProfileBuilder(FORMAT, { weightUnit: 'us' });
  const meta = builder.meta;
  let mode: Mode | null = null;
  const frameCache = new Map<string, { frame: FrameIndex; func: number; line: number; idle: FrameIndex }>();
  const stackCache = new Map<string, StackIndex>();
  const threadTime: number[] = [];
  const memory = new Map<string, MemoryTrack>();
  let samples = 0;
  let freed = 0;

  interface AustinFrame {
    frame: FrameIndex;
    func: number;
    line: number;
    idle: FrameIndex;
  }
  const frameOf = (text: string, lineNumber: number, offset: number): AustinFrame => {
    let entry = frameCache.get(text);
    if (entry !== undefined) return entry;
    let func: number;
    let line = 0;
    if (text === NO_PYTHON_FRAME) {
      func = builder.func('[no Python frame]', '', 0, 'other');
    } else if (text === ':GC:') {
      func = builder.func('[GC]', '', 0, 'gc');
    } else if (text === ':INVALID:') {
      func = builder.func('[invalid frame]', '', 0, 'other');
    } else {
      const last = text.lastIndexOf(':');
      const middle = last > 0 ? text.lastIndexOf(':', last - 1) : -1;
      const lineText = text.slice(last + 1);
      if (middle < 0 || !/^\d+$/.test(lineText)) {
        throw new ProfileFormatError(
          FORMAT,
          `expected a frame "<file>:<function>:<line>", found ${JSON.stringify(text.slice(0, 80))}`,
          offset,
          lineNumber,
        );
      }
      line = Number(lineText);
      const file = text.slice(0, middle);
      const name = text.slice(middle + 1, last) || '[unknown]';
      // Native frames (austin -n) come from shared objects, not Python files.
      func = builder.func(name, file, 0, NATIVE_FILE.test(file) ? 'native' : 'python');
    }
    entry = { frame: builder.frame(func, line), func, line, idle: -1 };
    frameCache.set(text, entry);
    return entry;
  };
  /** The same frame in the idle category (the innermost frame of an idle sample). */
  const idleFrame = (entry: AustinFrame): FrameIndex => {
    if (entry.idle < 0) entry.idle = builder.frame(entry.func, entry.line, 'idle');
    return entry.idle;
  };

  for (const { text, lineNumber, offset } of textLines(bytes)) {
    const line = text.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = META.exec(line);
      if (m && m[1].trim() !== '') {
        const key = m[1].trim();
        const value = m[2].trim();
        meta.extra[key] = value;
        if (key === 'mode') {
          if (value !== 'wall' && value !== 'cpu' && value !== 'memory' && value !== 'full') {
            throw new ProfileFormatError(
              FORMAT,
              `unknown mode ${JSON.stringify(value.slice(0, 40))} (expected wall, cpu, memory or full)`,
              offset,
              lineNumber,
            );
          }
          mode = value;
          if (mode === 'memory') meta.weightUnit = 'bytes';
          if (!meta.flags.includes(mode)) meta.flags.push(mode === 'memory' ? 'memory' : mode);
        } else if (key === 'interval' && /^\d+(\.\d+)?$/.test(value)) {
          meta.interval = Number(value) / 1000;
        } else if (key === 'austin') {
          meta.formatVersion = Number.parseFloat(value) || null;
        }
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) {
      throw new ProfileFormatError(
        FORMAT,
        `expected "P<pid>;T<iid>:<tid>;<frames> <metric>", found ${JSON.stringify(line.slice(0, 80))}`,
        offset,
        lineNumber,
      );
    }
    const [, pid, tid, framesText, metricText] = m;
    const metrics = metricText.split(',').map(Number);
    const full = metrics.length === 3;
    if (metrics.length !== 1 && !full) {
      throw new ProfileFormatError(FORMAT, `expected 1 or 3 metrics, found ${metrics.length}`, offset, lineNumber);
    }
    if (mode === null) mode = full ? 'full' : 'wall';
    if ((mode === 'full') !== full) {
      throw new ProfileFormatError(FORMAT, `${metrics.length} metric${full ? 's' : ''} in ${mode} mode`, offset, lineNumber);
    }
    if (metrics.some((x) => !Number.isSafeInteger(x))) {
      throw new ProfileFormatError(FORMAT, `metric out of range: ${metricText.slice(0, 40)}`, offset, lineNumber);
    }
    const thread = builder.thread(tid, '', pid);
    const idle = full && metrics[1] === 1;
    if (full && metrics[1] !== 0 && metrics[1] !== 1) {
      throw new ProfileFormatError(FORMAT, `idle flag must be 0 or 1, found ${metrics[1]}`, offset, lineNumber);
    }

    // The stack: cached by its text, then swapped to the idle variant of the innermost frame.
    const key = framesText || NO_PYTHON_FRAME;
    let stack = stackCache.get(key);
    if (stack === undefined) {
      stack = -1;
      for (const part of key.split(';')) stack = builder.stack(stack, frameOf(part, lineNumber, offset).frame);
      stackCache.set(key, stack);
    }
    if (idle) {
      const idleKey = `\u0000idle\u0000${key}`;
      let idleStack = stackCache.get(idleKey);
      if (idleStack === undefined) {
        const parts = key.split(';');
        idleStack = -1;
        for (let i = 0; i < parts.length; i++) {
          const entry = frameCache.get(parts[i])!;
          idleStack = builder.stack(idleStack, i === parts.length - 1 ? idleFrame(entry) : entry.frame);
        }
        stackCache.set(idleKey, idleStack);
      }
      stack = idleStack;
    }

    samples++;
    const time = threadTime[thread] ?? 0;
    if (mode === 'memory') {
      const delta = metrics[0];
      if (delta > 0) builder.addSample(thread, stack, time, delta);
      else freed -= delta;
      trackMemory(memory, pid, time, delta);
      threadTime[thread] = time + (meta.interval || 0.1);
    } else {
      const us = metrics[0];
      if (us < 0) throw new ProfileFormatError(FORMAT, `negative time ${us}`, offset, lineNumber);
      builder.addSample(thread, stack, time, us);
      threadTime[thread] = time + us / 1000;
      if (full) trackMemory(memory, pid, time, metrics[2]);
    }
  }

  if (samples === 0 && Object.keys(meta.extra).length === 0) {
    throw new ProfileFormatError(FORMAT, 'no austin samples or metadata in the input', 0, 1);
  }
  if (samples === 0) builder.warn('no samples');
  if (freed > 0) meta.extra.bytesReleased = String(freed);
  for (const [pid, track] of memory) {
    // Deltas of all threads of the process, in time order, summed into a running total.
    const order = track.time.map((_, i) => i).sort((a, b) => track.time[a] - track.time[b] || a - b);
    let current = 0;
    builder.addCounter({
      name: memory.size > 1 ? `memory (pid ${pid})` : 'memory',
      category: 'memory',
      unit: 'bytes',
      thread: -1,
      time: Float64Array.from(order, (i) => track.time[i]),
      value: Float64Array.from(order, (i) => (current += track.delta[i])),
    });
  }
  return builder.build();
}

function trackMemory(memory: Map<string, MemoryTrack>, pid: string, time: number, delta: number): void {
  let track = memory.get(pid);
  if (!track) {
    track = { time: [], delta: [] };
    memory.set(pid, track);
  }
  track.time.push(time);
  track.delta.push(delta);
}

export const austinFormat: Format = {
  ...austinSignature,
  read: (bytes) => readAustin(bytes),
};
