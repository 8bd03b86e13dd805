/**
 * Comparing profiles: function matching by name and file name (lines and
 * directories may differ), both normalisations, and the call-path matching
 * behind the differential flame graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';
import { compareFunctions, compareTrees, CompareError, transformsForOther } from '../../src/model/compare.js';
import { funcName } from '../../src/model/profile.js';

/** A profile of `main -> name` stacks: [name, file, line, samples] per leaf, at `interval` ms per sample. */
function profile(
  leaves: [string, string, number, number][],
  options: { interval?: number; unit?: 'samples' | 'ms' | 'events'; dir?: string } = {},
): Profile {
  const b = new ProfileBuilder('test', { interval: options.interval ?? 1, weightUnit: options.unit ?? 'samples' });
  const dir = options.dir ?? '/home/me/app';
  const thread = b.thread('1', 'MainThread');
  const main = b.frame(b.func('main', `${dir}/main.py`, 1));
  let t = 0;
  for (const [name, file, line, n] of leaves) {
    const leaf = b.frame(b.func(name, `${dir}/${file}`, line), line + 1);
    const stack = b.stackOf([main, leaf]);
    for (let i = 0; i < n; i++) b.addSample(thread, stack, t++);
  }
  return b.build();
}

test('a function made 2x slower ranks first with ratio 2 in time; shares are stated per profile', () => {
  const before = profile([
    ['parse', 'io.py', 10, 100],
    ['compute', 'calc.py', 20, 100],
    ['report', 'out.py', 5, 50],
  ]);
  const after = profile([
    ['parse', 'io.py', 10, 100],
    ['compute', 'calc.py', 20, 200],
    ['report', 'out.py', 5, 50],
  ]);
  const time = compareFunctions(before, after, { normalization: 'time' });
  assert.equal(time.unit, 'ms');
  assert.equal(time.functions[0].name, 'compute');
  assert.equal(time.functions[0].ratio, 2);
  assert.equal(time.functions[0].delta, 100);
  assert.equal(time.functions[0].beforeTotal, 100);
  const main = time.functions.find((f) => f.name === 'main')!;
  assert.equal(main.beforeTotal, 250);
  assert.equal(main.afterTotal, 350);
  const share = compareFunctions(before, after, { normalization: 'share' });
  assert.equal(share.unit, '%');
  assert.equal(share.functions[0].name, 'compute');
  assert.equal(share.functions[0].beforeSelf, 40); // 100 of 250
  assert.equal(share.functions[0].afterSelf, (200 / 350) * 100);
  // The others shrank as shares though their time did not change: that is what "share" states.
  assert.ok(share.functions.find((f) => f.name === 'parse')!.delta < 0);
});

test('matching survives moved lines and different directories; same name in another file stays apart', () => {
  const before = profile(
    [
      ['compute', 'calc.py', 20, 10],
      ['helper', 'a.py', 3, 10],
    ],
    { dir: '/home/me/app' },
  );
  const after = profile(
    [
      ['compute', 'calc.py', 57, 10],
      ['helper', 'b.py', 3, 10],
    ],
    { dir: '/srv/deploy/app' },
  );
  const cmp = compareFunctions(before, after);
  const compute = cmp.functions.filter((f) => f.name === 'compute');
  assert.equal(compute.length, 1);
  assert.equal(compute[0].ratio, 1);
  assert.equal(compute[0].file, 'calc.py');
  const helpers = cmp.functions.filter((f) => f.name === 'helper');
  assert.deepEqual(helpers.map((f) => [f.file, f.ratio]).sort(), [
    ['a.py', 0],
    ['b.py', Infinity],
  ]);
  // Windows paths match POSIX ones by file name too.
  const win = profile(
    [
      ['compute', 'calc.py', 1, 10],
      ['helper', 'a.py', 3, 10],
    ],
    { dir: 'C:\\work\\app' },
  );
  const cross = compareFunctions(before, win);
  assert.equal(cross.functions.find((f) => f.name === 'compute')!.ratio, 1);
});

test("time normalisation converts each profile's unit; a profile without time is refused with advice", () => {
  const samples = profile([['compute', 'calc.py', 1, 100]], { interval: 2 }); // 200 ms
  const b = new ProfileBuilder('pstats-like', { weightUnit: 'ms' });
  const t = b.thread('1');
  b.addSampleFrames(t, [b.frame(b.func('main', 'main.py', 1)), b.frame(b.func('compute', 'calc.py', 9))], 0, 400);
  const cmp = compareFunctions(samples, b.build(), { normalization: 'time' });
  const compute = cmp.functions.find((f) => f.name === 'compute')!;
  assert.equal(compute.beforeSelf, 200);
  assert.equal(compute.afterSelf, 400);
  assert.equal(compute.ratio, 2);
  assert.equal(cmp.before.ms, 200);
  const events = profile([['compute', 'calc.py', 1, 5]], { unit: 'events' });
  assert.throws(
    () => compareFunctions(samples, events, { normalization: 'time' }),
    (e: Error) => e instanceof CompareError && /--normalize share/.test(e.message),
  );
});

test('a recursive function and two same-named functions of one file count once per sample', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const f1 = b.frame(b.func('walk', '/x/tree.py', 10), 11);
  const f2 = b.frame(b.func('walk', '/x/tree.py', 30), 31); // the same name further down the file
  b.addSampleFrames(t, [f1, f2, f1], 0);
  const p = b.build();
  const cmp = compareFunctions(p, p);
  assert.equal(cmp.functions.length, 1);
  assert.equal(cmp.functions[0].beforeTotal, 100);
  assert.equal(cmp.functions[0].beforeSelf, 100);
});

test('call-path matching: each node of "after" gets the same path\'s total in "before"; new paths get 0', () => {
  const before = profile(
    [
      ['parse', 'io.py', 10, 30],
      ['compute', 'calc.py', 20, 70],
    ],
    { dir: '/a' },
  );
  const after = profile(
    [
      ['parse', 'io.py', 12, 30],
      ['compute', 'calc.py', 25, 140],
      ['cache', 'calc.py', 40, 10],
    ],
    { dir: '/b' },
  );
  const diff = compareTrees(before, after, { normalization: 'time' });
  const byName = new Map<string, [number, number]>();
  for (let n = 0; n < diff.tree.length; n++) byName.set(funcName(after, diff.tree.func[n]), [diff.shown[n], diff.other[n]]);
  assert.deepEqual(byName.get('main'), [180, 100]);
  assert.deepEqual(byName.get('compute'), [140, 70]);
  assert.deepEqual(byName.get('parse'), [30, 30]);
  assert.deepEqual(byName.get('cache'), [10, 0]);
});

test('transforms apply to both sides: written against "after", carried to "before" by function matching', () => {
  // Different directories and a moved line: the functions still match by name and file name.
  const before = profile([
    ['parse', 'io.py', 10, 100],
    ['compute', 'calc.py', 20, 100],
  ]);
  const after = profile(
    [
      ['parse', 'io.py', 14, 100],
      ['compute', 'calc.py', 20, 300],
      ['fresh', 'new.py', 1, 50],
    ],
    { dir: '/srv/app' },
  );
  const afterFunc = (name: string) => [...Array(after.funcs.length).keys()].find((f) => funcName(after, f) === name)!;
  const beforeFunc = (name: string) => [...Array(before.funcs.length).keys()].find((f) => funcName(before, f) === name)!;
  const row = (c: ReturnType<typeof compareFunctions>, name: string) => c.functions.find((f) => f.name === name);

  // Without transforms compute grows from 50% to 66.7%; with parse and fresh dropped on both sides it is all of each.
  const dropped = compareFunctions(before, after, {
    transforms: [
      { type: 'drop-function', func: afterFunc('parse') },
      { type: 'drop-function', func: afterFunc('fresh') },
    ],
  });
  assert.equal(row(dropped, 'parse'), undefined);
  assert.deepEqual(
    [row(dropped, 'compute')!.beforeSelf, row(dropped, 'compute')!.afterSelf, row(dropped, 'compute')!.delta],
    [100, 100, 0],
  );

  // Focus on compute: main is cut from both, time compares compute alone.
  const focused = compareFunctions(before, after, {
    normalization: 'time',
    transforms: [{ type: 'focus-function', func: afterFunc('compute') }],
  });
  assert.equal(row(focused, 'main'), undefined);
  assert.deepEqual([focused.before.total, focused.after.total], [100, 300]);

  // A function "before" never had: focusing on it leaves "before" empty, not whole.
  const onlyAfter = compareFunctions(before, after, { transforms: [{ type: 'focus-function', func: afterFunc('fresh') }] });
  assert.equal(onlyAfter.before.total, 0);
  assert.equal(onlyAfter.after.total, 50);

  // The rewritten transforms name "before"'s own functions and files.
  const file = after.funcs.file[afterFunc('compute')];
  assert.deepEqual(
    transformsForOther(
      [
        { type: 'merge-function', func: afterFunc('parse') },
        { type: 'merge-function', func: afterFunc('fresh') },
        { type: 'collapse-module', file },
        { type: 'merge-call-node', path: [afterFunc('main'), afterFunc('fresh')] },
        { type: 'focus-category', category: 2 },
      ],
      after,
      before,
    ),
    [
      { type: 'merge-function', func: beforeFunc('parse') },
      { type: 'collapse-module', file: before.funcs.file[beforeFunc('compute')] },
      { type: 'merge-call-node', path: [beforeFunc('main'), -1] },
      { type: 'focus-category', category: 2 },
    ],
  );

  // The differential tree gets the same treatment.
  const tree = compareTrees(before, after, { transforms: [{ type: 'drop-function', func: afterFunc('parse') }] });
  const computeNode = [...Array(tree.tree.length).keys()].find((n) => funcName(after, tree.tree.func[n]) === 'compute')!;
  assert.equal(tree.other[computeNode], 100, 'before: compute is all that is left');
});
