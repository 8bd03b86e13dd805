/**
 * `node --prof-process --preprocess isolate-*.log` output (`.v8log.json`): V8's tick processor's
 * resolved ticks, the form speedscope imports.
 *
 * Layout: { code: [{ name, type: JS | CODE | CPP | SHARED_LIB, kind?, func?, tm?, source? }],
 *           functions: [{ name, codes }], ticks: [{ tm (µs), vm (V8 state), s }], scripts? }
 * where a tick's `s` is (code index, offset) pairs, the leaf first; index -1 is an address the
 * processor could not resolve. JS code names read "fn script:line:col" (see v8log.ts).
 *
 * Model: like the raw log (v8log.ts): JS functions `other`, optimised code (Sparkplug, Maglev,
 * TurboFan: kinds Sparkplug, Maglev, Opt, Turbofan) in the `jit` category, V8's and the native
 * code `native`, GC ticks under `(garbage collector)`. The file keeps no sampling interval, so
 * each tick weighs the time since the one before (µs; the first: since the start), as speedscope
 * weighs them. An index past the code table stands for a raw address, as speedscope reads it.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Category, FrameIndex, Profile } from '../model/profile.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile, withShapeErrors } from './json-input.js';
import type { Format } from './registry.js';
import { jsName } from './v8log.js';
import { v8LogJsonSignature } from './signatures/v8log-json.js';
export { sniffV8LogJson } from './signatures/v8log-json.js';

const FORMAT = 'v8log-json';
const OPTIMISED = new Set(['Opt', 'Sparkplug', 'Maglev', 'Turbofan', 'Baseline']);
const VM_GC = 1;

export function readV8LogJson(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    const o = asObject(root, '$');
    const code = asArray(o.code, '$.code');
    const ticks = asArray(o.ticks, '$.ticks').map((t, i) => {
      const tick = asObject(t, `$.ticks[${i}]`);
      const s = asArray(tick.s, `$.ticks[${i}].s`);
      return { tm: asNumber(tick.tm, `$.ticks[${i}].tm`), vm: typeof tick.vm === 'number' ? tick.vm : 0, s, path: `$.ticks[${i}].s` };
    });
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'us', interpreter: 'v8' });
    const thread = builder.thread('main', 'main');
    const frames = new Map<number, FrameIndex>();
    const frameOf = (index: number): FrameIndex => {
      let frame = frames.get(index);
      if (frame !== undefined) return frame;
      if (index >= code.length) {
        frame = builder.frame(builder.func(`0x${index.toString(16)}`, '', 0, 'native'), 0);
      } else {
        const c = asObject(code[index], `$.code[${index}]`);
        const name = typeof c.name === 'string' ? c.name : '';
        let category: Category | undefined;
        if (c.type === 'JS') {
          const parsed = jsName(name);
          if (typeof c.kind === 'string' && OPTIMISED.has(c.kind)) category = 'jit';
          frame = builder.frame(builder.func(parsed.name, parsed.file, parsed.line, 'other'), parsed.line, category);
        } else {
          const path = c.type === 'SHARED_LIB' ? name : '';
          const label = c.type === 'SHARED_LIB' ? name.slice(name.lastIndexOf('/') + 1) || name : name || `(${String(c.type)})`;
          frame = builder.frame(builder.func(label, path, 0, 'native'), 0);
        }
      }
      frames.set(index, frame);
      return frame;
    };
    let gcFrame = -1;
    // speedscope orders ticks by time and weighs each by the time since the previous one.
    ticks.sort((a, b) => a.tm - b.tm);
    let last = 0;
    const stack: FrameIndex[] = [];
    for (const tick of ticks) {
      stack.length = 0;
      for (let i = tick.s.length - 2; i >= 0; i -= 2) {
        const index = asNumber(tick.s[i], tick.path);
        if (index === -1) continue;
        if (!Number.isInteger(index) || index < 0) throw new JsonShapeError(`${tick.path}: code index ${index} is not an index`);
        stack.push(frameOf(index));
      }
      let s = builder.stackOf(stack);
      if (tick.vm === VM_GC) {
        if (gcFrame < 0) gcFrame = builder.frame(builder.func('(garbage collector)', '', 0, 'gc'), 0);
        s = builder.stack(s, gcFrame);
      }
      builder.addSample(thread, s, tick.tm / 1000, tick.tm - last);
      last = tick.tm;
    }
    return builder.build();
  });
}

export const v8LogJsonFormat: Format = {
  ...v8LogJsonSignature,
  read: (bytes) => readV8LogJson(bytes),
};
