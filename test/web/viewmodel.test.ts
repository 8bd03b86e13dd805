import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { funcName } from '../../src/model/profile.js';
import { defaultState } from '../../web/src/state.js';
import { compileSearch, ViewModel } from '../../web/src/viewmodel.js';
import { STDLIB_PATTERN } from '../../src/model/view-transforms.js';
import { busyProfile } from './synthetic.js';

test('search by substring and by regex reports the matched share of the total', () => {
  const p = busyProfile();
  const sub = new ViewModel(p, { ...defaultState(), hideIdle: false, search: 'SCORE' });
  assert.equal(sub.total, 1000);
  assert.equal(sub.matchWeight, 500);
  const re = new ViewModel(p, { ...defaultState(), hideIdle: false, search: '^(parse|report)$', regex: true });
  assert.equal(re.matchWeight, 400);
  const names = [...re.match!.entries()]
    .filter(([, m]) => m)
    .map(([f]) => funcName(p, f))
    .sort();
  assert.deepEqual(names, ['parse', 'report']);
});

test('an invalid regex matches nothing instead of throwing', () => {
  assert.equal(compileSearch('(unclosed', true), null);
  assert.equal(compileSearch('', false), null);
  assert.equal(compileSearch('a(', false), 'a(');
});

test('thread, range and idle selection change the totals', () => {
  const p = busyProfile();
  assert.equal(new ViewModel(p, { ...defaultState(), threads: [1], hideIdle: false }).total, 100);
  assert.equal(new ViewModel(p, { ...defaultState(), threads: [1], hideIdle: true }).total, 40);
  assert.equal(new ViewModel(p, { ...defaultState(), threads: [0], range: [0, 1000], hideIdle: false }).total, 100);
});

test('transforms from the URL state reach the model: focus keeps only samples containing the function', () => {
  const p = busyProfile();
  const score = [...Array(p.funcs.length).keys()].find((f) => funcName(p, f) === 'score')!;
  const vm = new ViewModel(p, { ...defaultState(), transforms: [{ type: 'focus-function', func: score }] });
  assert.equal(vm.total, 500);
  assert.equal(funcName(vm.profile, vm.topDown().func[vm.topDown().roots[0]]), 'score');
});

test('hide-stdlib merges standard-library frames of CPython and PyPy, not site-packages', () => {
  const re = new RegExp(STDLIB_PATTERN);
  assert.ok(re.test('/usr/lib/python3.11/threading.py'));
  assert.ok(re.test('/opt/pypy3.9/lib/pypy3.9/json/decoder.py'));
  assert.ok(re.test('/opt/pypy/lib-python/3/json/decoder.py'));
  assert.ok(re.test('<frozen importlib._bootstrap>'));
  assert.ok(!re.test('/usr/lib/python3/dist-packages/requests/api.py'));
  assert.ok(!re.test('/home/me/.venv/lib/python3.11/site-packages/numpy/core.py'));
  assert.ok(!re.test('/home/me/app/main.py'));
  const b = new ProfileBuilder('test');
  const t = b.thread('1');
  const main = b.frame(b.func('main', '/home/me/app/main.py', 1));
  const lib = b.frame(b.func('loads', '/usr/lib/python3.11/json/__init__.py', 299));
  const mine = b.frame(b.func('hook', '/home/me/app/main.py', 9));
  b.addSampleFrames(t, [main, lib, mine], 0);
  const vm = new ViewModel(b.build(), { ...defaultState(), transforms: [{ type: 'hide-stdlib' }] });
  const tree = vm.topDown();
  assert.deepEqual(
    Array.from(tree.func, (f) => funcName(vm.profile, f)),
    ['main', 'hook'],
  );
});

test('JIT share counts self time in JIT frames per function', () => {
  const b = new ProfileBuilder('test');
  const t = b.thread('1');
  const f = b.func('loop', 'x.py', 1);
  b.addSampleFrames(t, [b.frame(f, 2, 'jit')], 0);
  b.addSampleFrames(t, [b.frame(f, 2, 'jit')], 1);
  b.addSampleFrames(t, [b.frame(f, 2)], 2);
  const vm = new ViewModel(b.build(), defaultState());
  assert.ok(vm.hasJit());
  assert.equal(vm.jitSelf()[f], 2);
  assert.equal(vm.functions().self[f], 3);
});

test('collapse recursion from the URL state folds direct self-calls', () => {
  const b = new ProfileBuilder('test');
  const t = b.thread('1');
  const main = b.frame(b.func('main', 'm.py', 1));
  const rec = b.func('walk', 'm.py', 5);
  b.addSampleFrames(t, [main, b.frame(rec), b.frame(rec), b.frame(rec)], 0);
  const p = b.build();
  const before = new ViewModel(p, defaultState());
  assert.equal(before.flameLayout().rows, 4);
  const after = new ViewModel(p, { ...defaultState(), transforms: [{ type: 'collapse-recursion', func: rec }] });
  assert.equal(after.flameLayout().rows, 2);
  assert.equal(after.total, 1);
});
