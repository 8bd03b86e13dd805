/**
 * A profile reduced to what a stored model must keep: counts, every function and frame, the
 * stack table and each thread's samples, hashed. Stored beside a model an earlier version wrote
 * (test/data/model/), it is what that version read back; serialize.test.ts checks today's reader
 * (with its upgraders) gives the same.
 */
import { createHash } from 'node:crypto';
import { CATEGORIES, FUNCTION_KINDS, type Profile } from '../../src/model/profile.js';

const digest = (...columns: ArrayBufferView[]): string => {
  const h = createHash('sha256');
  for (const c of columns) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return h.digest('hex').slice(0, 32);
};

export function storedSummary(p: Profile) {
  const fname = (f: number) => p.strings[p.funcs.name[f]];
  const ffile = (f: number) => (p.funcs.file[f] < 0 ? '' : p.strings[p.funcs.file[f]]);
  return {
    meta: p.meta,
    funcs: Array.from(
      { length: p.funcs.length },
      (_, f) => `${FUNCTION_KINDS[p.funcs.kind[f]]} ${fname(f)} ${ffile(f)}:${p.funcs.line[f]}`,
    ),
    frames: Array.from(
      { length: p.frames.length },
      (_, f) => `${p.frames.func[f]}:${p.frames.line[f]} ${CATEGORIES[p.frames.category[f]]}`,
    ),
    stacks: {
      length: p.stacks.length,
      digest: digest(p.stacks.frame.subarray(0, p.stacks.length), p.stacks.prefix.subarray(0, p.stacks.length)),
    },
    threads: p.threads.map((t) => ({
      id: t.id,
      name: t.name,
      processId: t.processId,
      samples: t.samples.length,
      digest: digest(
        t.samples.stack.subarray(0, t.samples.length),
        t.samples.time.subarray(0, t.samples.length),
        t.samples.weight.subarray(0, t.samples.length),
        ...(t.samples.rss ? [t.samples.rss.subarray(0, t.samples.length)] : []),
      ),
      markers: t.markers.length,
    })),
    counters: p.counters.map((c) => ({
      name: c.name,
      unit: c.unit,
      thread: c.thread,
      points: c.time.length,
      digest: digest(c.time, c.value),
    })),
    attachments: Object.keys(p.attachments).sort(),
  };
}
