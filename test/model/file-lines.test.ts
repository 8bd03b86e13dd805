/** Source heat: a line two functions share (a comprehension and its function) counts once per sample, never over 100%. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { fileLineCosts, stackWeights, totalWeight } from '../../src/model/analysis.js';

test('a list comprehension line shared with its caller stays within 100%', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const main = b.func('main', '/app/run.py', 20);
  const listcomp = b.func('<listcomp>', '/app/run.py', 23);
  const score = b.func('score', '/app/run.py', 10);
  // main at line 23 calls the comprehension (also "at" line 23), which calls score at line 12.
  const stack = [b.frame(main, 23), b.frame(listcomp, 23), b.frame(score, 12)];
  for (let i = 0; i < 8; i++) b.addSampleFrames(t, stack, i);
  b.addSampleFrames(t, [b.frame(main, 25)], 8);
  b.addSampleFrames(t, [b.frame(main, 25)], 9);
  const p = b.build();
  const w = stackWeights(p);
  const lines = fileLineCosts(p, w, p.funcs.file[main]);
  assert.deepEqual(lines.get(23), { self: 0, total: 8 });
  assert.deepEqual(lines.get(12), { self: 8, total: 8 });
  assert.deepEqual(lines.get(25), { self: 2, total: 2 });
  for (const c of lines.values()) assert.ok(c.total <= totalWeight(w));
});
