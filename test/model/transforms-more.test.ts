/** The transforms beyond focus/merge/recursion: drop function, focus on category, collapse module, merge call node. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import { CATEGORY_NATIVE } from '../../src/model/profile.js';
import { collapsedStacks, funcNamed, profileFromText } from './profile-text.js';

test('drop function removes every sample that has it on the stack', () => {
  const p = profileFromText(`
    main;a;noise;x 2
    main;noise 1
    main;b 5
  `);
  const dropped = applyTransforms(p, [{ type: 'drop-function', func: funcNamed(p, 'noise') }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(dropped)), { 'main;b': 5 });
  assert.equal(totalWeight(stackWeights(dropped)), 5);
});

test('focus on a category keeps only its frames; samples without any drop', () => {
  const p = profileFromText(`
    main;n!read;parse;n!decode 2
    main;compute 3
  `);
  const native = applyTransforms(p, [{ type: 'focus-category', category: CATEGORY_NATIVE }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(native)), { 'n!read;n!decode': 2 });
});

test('collapse module folds calls inside one file into the frame that entered it', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const f = (name: string, file: string) => b.frame(b.func(name, file, 1));
  const [main, load, scan, token, user] = [
    f('main', 'app.py'),
    f('load', '/lib/json/decoder.py'),
    f('scan', '/lib/json/decoder.py'),
    f('token', '/lib/json/decoder.py'),
    f('hook', 'app.py'),
  ];
  b.addSampleFrames(t, [main, load, scan, token], 0);
  b.addSampleFrames(t, [main, load, scan, user, load, token], 1);
  const p = b.build();
  const file = p.funcs.file[funcNamed(p, 'load')];
  const collapsed = applyTransforms(p, [{ type: 'collapse-module', file }]);
  // The callback into app.py stays, and the library entered again from it is a new entry.
  assert.deepEqual(Object.fromEntries(collapsedStacks(collapsed)), { 'main;load': 1, 'main;load;hook;load': 1 });
});

test("merge call node removes one call path's frames only", () => {
  const p = profileFromText(`
    main;a;wrap;work 2
    main;b;wrap;work 3
    main;a;wrap 1
  `);
  const path = ['main', 'a', 'wrap'].map((n) => funcNamed(p, n));
  const merged = applyTransforms(p, [{ type: 'merge-call-node', path }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(merged)), { 'main;a;work': 2, 'main;b;wrap;work': 3, 'main;a': 1 });
});
