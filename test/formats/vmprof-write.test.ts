/**
 * The VMProf writer (`convert --to vmprof`): read a real file, write it, read it back.
 * vmprof-python's reader (git d30caa8) was also run by hand on these written files
 * (2026-11-22): it accepted all of them and gave the same sample counts, hottest functions,
 * JIT leaf counts and first RSS values as for the originals (the numbers in vmprof.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import { readVmprof, vmprofFormat } from '../../src/formats/vmprof/index.js';
import { writeVmprof } from '../../src/formats/vmprof/write.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { CATEGORIES, FUNCTION_KINDS, type Profile, totalSamples } from '../../src/model/profile.js';

/** (name, file, line, kind) -> self/total, plus per-category leaf weight: what a round trip must keep. */
function summary(p: Profile) {
  const t = functionTable(p, stackWeights(p));
  const funcs: Record<string, [number, number]> = {};
  for (let f = 0; f < p.funcs.length; f++) {
    if (t.total[f] === 0) continue;
    const file = p.funcs.file[f] < 0 ? '' : p.strings[p.funcs.file[f]];
    funcs[`${p.strings[p.funcs.name[f]]}|${file}|${p.funcs.line[f]}|${FUNCTION_KINDS[p.funcs.kind[f]]}`] = [t.self[f], t.total[f]];
  }
  const leafCategories: Record<string, number> = {};
  const lines = new Set<string>();
  for (const th of p.threads) {
    for (let i = 0; i < th.samples.length; i++) {
      const s = th.samples.stack[i];
      if (s < 0) continue;
      const fr = p.stacks.frame[s];
      const c = CATEGORIES[p.frames.category[fr]];
      leafCategories[c] = (leafCategories[c] ?? 0) + th.samples.weight[i];
      lines.add(`${p.frames.func[fr]}:${p.frames.line[fr]}`);
    }
  }
  return {
    samples: totalSamples(p),
    threads: p.threads.map((th) => [th.id, th.name]),
    funcs,
    leafCategories,
    lineCount: lines.size,
    rss: p.threads.map((th) => (th.samples.rss ? Array.from(th.samples.rss) : null)),
    interval: p.meta.interval,
    startTime: Math.round(p.meta.startTime),
    // 'rpython' may be added: legacy PyPy stacks are written as tagged PyPy stacks
    flags: p.meta.flags.filter((f) => f === 'memory' || f === 'lines'),
  };
}

for (const file of [
  'example.prof',
  'example_with_lines.prof',
  'pypy-primes-mem.prof',
  'pypy-wordcount.prof',
  'vmprof_cpuburn.prof',
  'simple_nested.pypy.prof',
]) {
  test(`vmprof writer: ${file} survives a write/read round trip`, () => {
    const original = readVmprof(fixtureBytes(`vmprof/${file}`));
    const written = vmprofFormat.write!(original) as Uint8Array;
    assert.ok(vmprofFormat.sniff!(written));
    const again = readVmprof(written);
    assert.equal(again.meta.formatVersion, 6);
    assert.deepEqual(again.meta.warnings, []);
    assert.deepEqual(summary(again), summary(original));
  });
}

test('vmprof writer: weights in ms become samples of the period; threads get ids and names', () => {
  const b = new ProfileBuilder('test', { interval: 2, weightUnit: 'ms', interpreter: 'cpython' });
  const main = b.frame(b.func('main', 'a.py', 1));
  const work = b.frame(b.func('work:odd', 'a.py', 5));
  const memcpy = b.frame(b.func('memcpy', '', 0, 'native'));
  const t = b.thread('worker-thread', 'worker');
  b.addSampleFrames(t, [main, work], 0, 6); // 6 ms = 3 samples of 2 ms
  b.addSampleFrames(t, [main, work, memcpy], 6, 2);
  b.addSampleFrames(t, [main], 8, 0.4); // rounds to no sample
  const p = readVmprof(writeVmprof(b.build()));
  assert.equal(totalSamples(p), 4);
  assert.deepEqual(
    p.threads.map((th) => [th.id, th.name]),
    [['0x1', 'worker']],
  );
  const t2 = functionTable(p, stackWeights(p));
  const byName = (n: string) => Array.from(p.funcs.name).findIndex((s) => p.strings[s] === n);
  assert.equal(t2.total[byName('main')], 4);
  assert.equal(t2.self[byName('work;odd')], 3, "':' in names is written as ';' (as PyPy does)");
  assert.equal(p.funcs.kind[byName('memcpy')], 1);
});

test('vmprof write: a stack deeper than readers take is cut to its innermost 65536 entries, with a warning; our reader reads it', () => {
  const b = new ProfileBuilder('test', { interpreter: 'cpython' });
  const thread = b.thread('1');
  const deep: number[] = [];
  for (let i = 0; i < 200_000; i++) deep.push(b.frame(b.func(`f${i % 7}`, 'deep.py', 1 + (i % 7))));
  b.addSampleFrames(thread, deep, 0);
  b.addSampleFrames(thread, [deep[0], deep[1]], 1);
  const profile = b.build();
  const warnings: string[] = [];
  const bytes = writeVmprof(profile, { warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, ["1 stack was deeper than VMProf's 65536 entries: only the innermost 65536 were written"]);
  const back = readVmprof(bytes);
  assert.equal(totalSamples(back), 2);
  const t = back.threads[0];
  let depth = 0;
  for (let s = t.samples.stack[0]; s >= 0; s = back.stacks.prefix[s]) depth++;
  // One word per frame (no line numbers): the innermost 65536 frames; the leaf is frame 199999, f(199999 % 7) = f2.
  assert.equal(depth, 65536);
  assert.equal(back.strings[back.funcs.name[back.frames.func[back.stacks.frame[t.samples.stack[0]]]]], 'f2');
});

test("vmprof write: thread names read from a VMProf file are written once (vmprof's reader refuses a duplicated meta key)", () => {
  const original = readVmprof(fixtureBytes('vmprof/pypy-threads-realtime.prof'));
  const b = new ProfileBuilder('test', { interpreter: 'cpython' });
  b.meta.extra['thread_name:0x10'] = 'worker';
  const t = b.thread('16', 'worker');
  b.addSampleFrames(t, [b.frame(b.func('f', 'a.py', 1))], 0);
  for (const profile of [b.build(), original]) {
    const text = Buffer.from(writeVmprof(profile)).toString('latin1');
    const keys = [...text.matchAll(/thread_name:(0x[0-9a-f]+|\d+)/g)].map((m) => m[0]);
    assert.equal(new Set(keys).size, keys.length, `duplicated: ${keys.join(' ')}`);
  }
});
