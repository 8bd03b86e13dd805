/**
 * assertModelInvariants: every promise src/model/profile.ts makes about a Profile, checked on a
 * reader's output. The format tests run it on what each reader returns (test/formats/
 * invariants.test.ts sweeps every fixture through every reader; reader tests call it on their
 * synthesized cases), so a reader that breaks one fails where it is tested, not in an analysis.
 */
import assert from 'node:assert/strict';
import { CATEGORIES, FUNCTION_KINDS, type Profile } from '../../src/model/profile.js';

export function assertModelInvariants(p: Profile, what = p.meta.format): void {
  const fail = (message: string): never => assert.fail(`${what}: ${message}`);
  const { strings, funcs, frames, stacks } = p;
  const stringOk = (s: number) => Number.isInteger(s) && s >= 0 && s < strings.length;
  for (const [name, table, columns] of [
    ['funcs', funcs, [funcs.name, funcs.file, funcs.line, funcs.kind]],
    ['frames', frames, [frames.func, frames.line, frames.category]],
    ['stacks', stacks, [stacks.frame, stacks.prefix, stacks.depth]],
  ] as const) {
    for (const c of columns)
      if (c.length < table.length) fail(`a ${name} column is shorter (${c.length}) than the table (${table.length})`);
  }
  const funcKeys = new Set<string>();
  for (let f = 0; f < funcs.length; f++) {
    if (!stringOk(funcs.name[f])) fail(`func ${f} has name string ${funcs.name[f]}`);
    if (funcs.file[f] !== -1 && !stringOk(funcs.file[f])) fail(`func ${f} has file string ${funcs.file[f]}`);
    if (funcs.kind[f] >= FUNCTION_KINDS.length) fail(`func ${f} has kind ${funcs.kind[f]}`);
    const key = `${strings[funcs.name[f]]}\0${funcs.file[f] < 0 ? '' : strings[funcs.file[f]]}\0${funcs.line[f]}\0${funcs.kind[f]}`;
    if (funcKeys.has(key)) fail(`function (name, file, line, kind) ${JSON.stringify(key)} twice`);
    funcKeys.add(key);
  }
  const frameKeys = new Set<string>();
  for (let f = 0; f < frames.length; f++) {
    if (!(frames.func[f] >= 0 && frames.func[f] < funcs.length)) fail(`frame ${f} has func ${frames.func[f]}`);
    if (frames.category[f] >= CATEGORIES.length) fail(`frame ${f} has category ${frames.category[f]}`);
    const key = `${frames.func[f]}/${frames.line[f]}/${frames.category[f]}`;
    if (frameKeys.has(key)) fail(`frame (func, line, category) ${key} twice`);
    frameKeys.add(key);
  }
  const stackKeys = new Set<string>();
  for (let s = 0; s < stacks.length; s++) {
    const prefix = stacks.prefix[s];
    if (!(prefix >= -1 && prefix < s)) fail(`stack ${s} has prefix ${prefix} (parents come first)`);
    if (!(stacks.frame[s] >= 0 && stacks.frame[s] < frames.length)) fail(`stack ${s} has frame ${stacks.frame[s]}`);
    if (stacks.depth[s] !== (prefix < 0 ? 1 : stacks.depth[prefix] + 1)) fail(`stack ${s} has depth ${stacks.depth[s]}`);
    const key = `${prefix}/${stacks.frame[s]}`;
    if (stackKeys.has(key)) fail(`stack (prefix, frame) ${key} twice`);
    stackKeys.add(key);
  }
  p.threads.forEach((t, ti) => {
    const { samples, markers } = t;
    const where = `thread ${ti} (${t.id})`;
    if (typeof t.id !== 'string' || typeof t.name !== 'string') fail(`${where} has a non-string id or name`);
    for (const c of [samples.stack, samples.time, samples.weight, ...(samples.rss ? [samples.rss] : [])]) {
      if (c.length < samples.length) fail(`${where}: a sample column is shorter than ${samples.length}`);
    }
    for (let i = 0; i < samples.length; i++) {
      const s = samples.stack[i];
      if (!(s >= -1 && s < stacks.length)) fail(`${where}: sample ${i} has stack ${s}`);
      if (!Number.isFinite(samples.time[i])) fail(`${where}: sample ${i} has time ${samples.time[i]}`);
      if (i > 0 && samples.time[i] < samples.time[i - 1]) fail(`${where}: sample times go back at ${i}`);
      if (!(samples.weight[i] >= 0) || !Number.isFinite(samples.weight[i])) fail(`${where}: sample ${i} has weight ${samples.weight[i]}`);
    }
    for (let m = 0; m < markers.length; m++) {
      if (!stringOk(markers.name[m])) fail(`${where}: marker ${m} has name string ${markers.name[m]}`);
      if (!stringOk(markers.category[m])) fail(`${where}: marker ${m} has category string ${markers.category[m]}`);
      if (!(markers.end[m] >= markers.start[m]))
        fail(`${where}: marker ${m} ends (${markers.end[m]}) before it starts (${markers.start[m]})`);
    }
  });
  for (const c of p.counters) {
    if (c.time.length !== c.value.length) fail(`counter ${c.name}: ${c.time.length} times, ${c.value.length} values`);
    if (!(c.thread >= -1 && c.thread < p.threads.length)) fail(`counter ${c.name} names thread ${c.thread}`);
    for (let i = 1; i < c.time.length; i++) if (c.time[i] < c.time[i - 1]) fail(`counter ${c.name}: times go back at ${i}`);
  }
}
