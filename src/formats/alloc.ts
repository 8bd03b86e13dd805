/**
 * pyrometer's allocation side file (`record --alloc` writes OUT.alloc): allocation samples
 * taken by src/capture/agent/alloc/_pyrometer_alloc.py, read into an allocation profile
 * (src/model/allocations.ts).
 *
 * Layout: UTF-8 text, one record a line, fields split by tabs; `\\`, tab, CR and LF inside a
 * field are escaped as `\\\\`, `\\t`, `\\r`, `\\n`.
 *   `pyrometer-alloc 1`                                  first line (the version)
 *   `M key value`                                        a fact (source, unit, python, start_ms, end_ms, ...)
 *   `C id name file firstline`                           a code object, before its first sample
 *   `S time_ms objects bytes type thread frames`         a sample: Unix time in ms, what it stands for,
 *        the sampled object's type ('' unknown), the thread's name, frames `id:line` innermost first
 * A last line cut short (the program was killed mid-write) is dropped with a warning; any other
 * line that breaks the layout stops reading with its line number.
 */
import { ProfileBuilder } from '../model/builder.js';
import { ALLOCATION_FORMAT, type AllocationColumns, type AllocationMeasure } from '../model/allocations.js';
import type { FrameIndex, Profile } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format } from './registry.js';
import { textLines } from './text-lines.js';
import { allocSignature, SIGNATURE } from './signatures/alloc.js';

function unescape(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

export function readAllocations(bytes: Uint8Array): Profile {
  const builder = new ProfileBuilder(ALLOCATION_FORMAT, { weightUnit: 'events', interpreter: '' });
  const extra: Record<string, string> = {};
  const codes = new Map<number, number>(); // code id -> FuncIndex
  const frames: FrameIndex[] = [];
  const perThread: { objects: number[]; bytes: number[]; type: number[]; last: number }[] = [];
  const fail = (detail: string, line: { offset: number; lineNumber: number }) => {
    throw new ProfileFormatError(ALLOCATION_FORMAT, detail, line.offset, line.lineNumber);
  };
  let started = false;
  let startMs = Number.NaN;
  let last: { text: string; offset: number; lineNumber: number } | null = null;
  for (const line of textLines(bytes)) {
    if (last) handle(last);
    last = line;
  }
  if (last) {
    if (bytes[bytes.length - 1] === 0x0a) handle(last);
    else {
      // no newline at the end: the program was killed mid-write; a cut line is left out
      try {
        handle(last);
      } catch (err) {
        if (!(err instanceof ProfileFormatError) || !started) throw err;
        builder.warn(`the last line (${last.lineNumber}) was cut short and is left out`);
      }
    }
  }
  if (!started) throw new ProfileFormatError(ALLOCATION_FORMAT, 'empty file: expected "pyrometer-alloc 1"', 0, 1);

  function handle(line: { text: string; offset: number; lineNumber: number }): void {
    const text = line.text;
    if (!started) {
      if (!text.startsWith(SIGNATURE)) fail(`expected "pyrometer-alloc 1", found ${JSON.stringify(text.slice(0, 40))}`, line);
      if (text.slice(SIGNATURE.length) !== '1') fail(`version ${text.slice(SIGNATURE.length)} is newer than this reader (1)`, line);
      started = true;
      return;
    }
    if (text === '') return;
    const f = text.split('\t');
    switch (f[0]) {
      case 'M':
        if (f.length !== 3) fail('a fact line is "M key value"', line);
        extra[unescape(f[1])] = unescape(f[2]);
        if (f[1] === 'start_ms') startMs = Number(f[2]);
        return;
      case 'C': {
        const id = Number(f[1]);
        const first = Number(f[4]);
        if (f.length !== 5 || !Number.isInteger(id) || !Number.isInteger(first)) fail('a code line is "C id name file firstline"', line);
        codes.set(id, builder.func(unescape(f[2]), unescape(f[3]), first, 'python'));
        return;
      }
      case 'S': {
        const time = Number(f[1]);
        const objects = Number(f[2]);
        const nbytes = Number(f[3]);
        if (f.length !== 7 || !Number.isFinite(time) || !(objects >= 0) || !(nbytes >= 0))
          fail('a sample line is "S time_ms objects bytes type thread frames"', line);
        frames.length = 0;
        const parts = f[6] === '' ? [] : f[6].split(' ');
        for (let i = parts.length - 1; i >= 0; i--) {
          const colon = parts[i].indexOf(':');
          const func = codes.get(Number(parts[i].slice(0, colon)));
          const lineNo = Number(parts[i].slice(colon + 1));
          if (colon < 0 || func === undefined || !Number.isInteger(lineNo))
            fail(`frame ${JSON.stringify(parts[i])} names no code defined before it`, line);
          frames.push(builder.frame(func!, lineNo));
        }
        if (Number.isNaN(startMs)) startMs = time;
        const threadName = unescape(f[5]);
        const thread = builder.thread(threadName, threadName);
        const cols = (perThread[thread] ??= { objects: [], bytes: [], type: [], last: -Infinity });
        // times are the program's wall clock: one stepped back (NTP) is held at the last one
        const at = Math.max(cols.last, time - startMs);
        cols.last = at;
        const weight = extra.unit === 'bytes' ? nbytes : objects;
        builder.addSample(thread, builder.stackOf(frames), at, weight);
        cols.objects.push(objects);
        cols.bytes.push(nbytes);
        cols.type.push(f[4] === '' ? -1 : builder.string(unescape(f[4])));
        return;
      }
      default:
        fail(`unknown record ${JSON.stringify(f[0].slice(0, 10))} (expected M, C or S)`, line);
    }
  }

  const unit: AllocationMeasure = extra.unit === 'bytes' ? 'bytes' : 'objects';
  builder.meta.weightUnit = unit === 'bytes' ? 'bytes' : 'events';
  builder.meta.interpreter = extra.implementation ?? '';
  builder.meta.extra = extra;
  builder.meta.flags = ['allocations'];
  if (Number.isFinite(startMs)) builder.meta.startTime = startMs;
  const end = Number(extra.end_ms);
  if (Number.isFinite(end) && end >= startMs) builder.meta.endTime = end;
  const columns: AllocationColumns = {
    source: extra.source ?? '',
    unit,
    objects: perThread.map((c) => Float64Array.from(c.objects)),
    bytes: perThread.map((c) => Float64Array.from(c.bytes)),
    type: perThread.map((c) => Int32Array.from(c.type)),
  };
  builder.attachments.allocations = columns;
  return builder.build();
}

export const allocFormat: Format = {
  ...allocSignature,
  read: (bytes) => readAllocations(bytes),
};
