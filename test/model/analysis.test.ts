import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import {
  callTreeBottomUp,
  callTreeTopDown,
  callersAndCallees,
  functionTable,
  lineCosts,
  matchedWeight,
  matchingFunctions,
  stackWeights,
  totalWeight,
  type CallTree,
} from '../../src/model/analysis.js';
import { applyTransforms } from '../../src/model/transforms.js';
import type { Profile } from '../../src/model/profile.js';
import { collapsedStacks, funcNamed, profileFromText } from './profile-text.js';

/** A call tree drawn as indented "name total/self" lines, for readable assertions. */
function drawTree(profile: Profile, tree: CallTree): string {
  const lines: string[] = [];
  for (let n = 0; n < tree.length; n++) {
    const name = profile.strings[profile.funcs.name[tree.func[n]]];
    lines.push(`${'  '.repeat(tree.depth[n])}${name} ${tree.total[n]}/${tree.self[n]}`);
  }
  return lines.join('\n');
}

const sample = `
  main;parse;read 3
  main;parse 1
  main;compute;mul 4
  main;compute;add 2
  main;compute 1
  other 1
`;

test('top-down tree: totals, selfs, heaviest child first, pre-order numbering', () => {
  const p = profileFromText(sample);
  const tree = callTreeTopDown(p, stackWeights(p));
  assert.equal(
    drawTree(p, tree),
    ['main 11/0', '  compute 7/1', '    mul 4/4', '    add 2/2', '  parse 4/1', '    read 3/3', 'other 1/1'].join('\n'),
  );
  assert.equal(tree.rootTotal, 12);
  for (let n = 0; n < tree.length; n++) if (tree.parent[n] >= 0) assert.ok(tree.parent[n] < n);
  // children lists agree with parents
  for (let n = 0; n < tree.length; n++) {
    for (let k = 0; k < tree.childCount[n]; k++) assert.equal(tree.parent[tree.children[tree.childStart[n] + k]], n);
  }
});

test('bottom-up tree: roots are leaf functions with their self time', () => {
  const p = profileFromText(sample);
  const tree = callTreeBottomUp(p, stackWeights(p));
  assert.equal(
    drawTree(p, tree),
    [
      'mul 4/4',
      '  compute 4/0',
      '    main 4/0',
      'read 3/3',
      '  parse 3/0',
      '    main 3/0',
      'add 2/2',
      '  compute 2/0',
      '    main 2/0',
      // equal totals keep the order in which the functions were first seen
      'parse 1/1',
      '  main 1/0',
      'compute 1/1',
      '  main 1/0',
      'other 1/1',
    ].join('\n'),
  );
});

test('function table counts a recursive function once per sample', () => {
  const p = profileFromText(`
    main;fib;fib;fib 5
    main;fib 1
    main 2
  `);
  const table = functionTable(p, stackWeights(p));
  const fib = funcNamed(p, 'fib');
  const main = funcNamed(p, 'main');
  assert.equal(table.total[fib], 6);
  assert.equal(table.self[fib], 6);
  assert.equal(table.total[main], 8);
  assert.equal(table.self[main], 2);
});

test('10,000-deep recursion does not overflow any analysis or transform', () => {
  const b = new ProfileBuilder('test');
  const f = b.func('recurse', 'deep.py', 1);
  const frames = new Array(10_000).fill(b.frame(f, 3));
  const t = b.thread('1');
  b.addSample(t, b.stackOf(frames), 0);
  b.addSample(t, b.stackOf(frames.slice(0, 5000)), 1);
  const p = b.build();
  const w = stackWeights(p);
  const top = callTreeTopDown(p, w);
  assert.equal(top.length, 10_000);
  assert.equal(top.depth[top.length - 1], 9999);
  assert.equal(callTreeBottomUp(p, w).rootTotal, 2);
  assert.equal(functionTable(p, w).total[f], 2);
  assert.equal(lineCosts(p, w).get(f)!.get(3)!.total, 2);
  const collapsed = applyTransforms(p, [{ type: 'collapse-recursion', func: -1 }]);
  assert.deepEqual([...collapsedStacks(collapsed)], [['recurse', 2]]);
});

test('thread, time-range and idle selection', () => {
  const p = profileFromText(`
    main;a 2
    w@T2: main;b 3
    main;idle!wait 4
  `);
  // samples: a at t=0,1; b at t=2,3,4 on T2; wait at t=5..8
  const all = stackWeights(p);
  assert.equal(totalWeight(all), 9);
  const mainThread = p.threads.findIndex((t) => t.name === 'main');
  assert.equal(totalWeight(stackWeights(p, { threads: [mainThread] })), 6);
  assert.equal(totalWeight(stackWeights(p, { startTime: 1, endTime: 4 })), 3);
  assert.equal(totalWeight(stackWeights(p, { hideIdle: true })), 5);
});

test('per-line costs: self at the innermost line, total once per sample', () => {
  const p = profileFromText(`
    main:10;work:3 2
    main:10;work:4 1
    main:11 5
  `);
  const lines = lineCosts(p, stackWeights(p));
  const work = lines.get(funcNamed(p, 'work'))!;
  assert.deepEqual(work.get(3), { self: 2, total: 2 });
  assert.deepEqual(work.get(4), { self: 1, total: 1 });
  const main = lines.get(funcNamed(p, 'main'))!;
  assert.deepEqual(main.get(10), { self: 0, total: 3 });
  assert.deepEqual(main.get(11), { self: 5, total: 5 });
});

test('callers and callees of a function', () => {
  const p = profileFromText(`
    main;a;helper;leaf 3
    main;b;helper 2
    main;helper;helper 1
  `);
  const r = callersAndCallees(p, stackWeights(p), funcNamed(p, 'helper'));
  assert.equal(r.total, 6);
  assert.equal(r.self, 3);
  const names = (xs: { func: number; weight: number }[]) => xs.map((x) => `${p.strings[p.funcs.name[x.func]]}=${x.weight}`);
  assert.deepEqual(names(r.callers), ['a=3', 'b=2', 'main=1', 'helper=1']);
  assert.deepEqual(names(r.callees), ['leaf=3', 'helper=1']);
});

test('focus on a function re-roots at its outermost call and drops other samples', () => {
  const p = profileFromText(`
    main;a;f;g 2
    main;f;f;h 1
    main;b 5
  `);
  const focused = applyTransforms(p, [{ type: 'focus-function', func: funcNamed(p, 'f') }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(focused)), { 'f;g': 2, 'f;f;h': 1 });
  assert.equal(totalWeight(stackWeights(focused)), 3);
});

test('focus on a subtree keeps only samples under that call path', () => {
  const p = profileFromText(`
    main;a;f 2
    main;b;f 1
    main;a 4
  `);
  const path = [funcNamed(p, 'main'), funcNamed(p, 'a')];
  const focused = applyTransforms(p, [{ type: 'focus-subtree', path }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(focused)), { 'a;f': 2, a: 4 });
});

test('merge a function gives its time to the caller', () => {
  const p = profileFromText(`
    main;wrapper;work 3
    main;wrapper 1
  `);
  const merged = applyTransforms(p, [{ type: 'merge-function', func: funcNamed(p, 'wrapper') }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(merged)), { 'main;work': 3, main: 1 });
});

test('collapse direct recursion of one function only', () => {
  const p = profileFromText(`
    main;f;f;f;g;g 2
    main;f;g;f 1
  `);
  const collapsed = applyTransforms(p, [{ type: 'collapse-recursion', func: funcNamed(p, 'f') }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(collapsed)), { 'main;f;g;g': 2, 'main;f;g;f': 1 });
});

test('drop frames under a percentage moves their time to the kept ancestor', () => {
  const p = profileFromText(`
    main;big 95
    main;tiny 1
    main;tiny;deeper 2
    main;small 2
  `);
  const pruned = applyTransforms(p, [{ type: 'drop-below', percent: 2.5 }]);
  assert.deepEqual(Object.fromEntries(collapsedStacks(pruned)), { 'main;big': 95, 'main;tiny': 3, main: 2 });
  assert.equal(totalWeight(stackWeights(pruned)), 100);
});

test('merge files matching a pattern (hide the standard library)', () => {
  const b = new ProfileBuilder('test');
  const main = b.frame(b.func('main', '/app/main.py', 1));
  const json = b.frame(b.func('loads', '/usr/lib/python3.11/json/__init__.py', 299));
  const user = b.frame(b.func('hook', '/app/hooks.py', 5));
  const t = b.thread('1');
  b.addSample(t, b.stackOf([main, json, user]), 0);
  const p = b.build();
  const hidden = applyTransforms(p, [{ type: 'merge-files', pattern: '^/usr/lib/python3' }]);
  assert.deepEqual([...collapsedStacks(hidden).keys()], ['main;hook']);
});

test('search: substring and regex matches with their share of the total', () => {
  const p = profileFromText(`
    main;parse_json 3
    main;parse_xml 1
    main;render 6
  `);
  const w = stackWeights(p);
  assert.equal(matchedWeight(p, w, matchingFunctions(p, 'parse')), 4);
  assert.equal(matchedWeight(p, w, matchingFunctions(p, /_x.l$/)), 1);
  assert.equal(matchedWeight(p, w, matchingFunctions(p, 'MAIN')), 10);
});

test('builder interns strings, functions, frames and stacks once', () => {
  const b = new ProfileBuilder('test');
  const f1 = b.func('f', 'a.py', 1);
  assert.equal(b.func('f', 'a.py', 1), f1);
  assert.notEqual(b.func('f', 'a.py', 1, 'native'), f1);
  const fr = b.frame(f1, 2);
  assert.equal(b.frame(f1, 2), fr);
  assert.notEqual(b.frame(f1, 2, 'jit'), fr);
  const s = b.stackOf([fr, fr]);
  assert.equal(b.stackOf([fr, fr]), s);
  const t = b.thread('7', 'worker');
  b.addSample(t, s, 0, 1, 100);
  b.addSample(t, s, 1);
  const p = b.build();
  assert.equal(p.stacks.length, 2);
  assert.equal(p.stacks.depth[s], 2);
  assert.equal(p.threads[0].samples.rss![0], 100);
  assert.ok(Number.isNaN(p.threads[0].samples.rss![1]));
});

test('builder sorts out-of-order samples by time', () => {
  const b = new ProfileBuilder('test');
  const fr = b.frame(b.func('f', '', 0));
  const t = b.thread('1');
  const s = b.stackOf([fr]);
  b.addSample(t, s, 5, 1);
  b.addSample(t, s, 1, 2);
  const p = b.build();
  assert.deepEqual([...p.threads[0].samples.time], [1, 5]);
  assert.deepEqual([...p.threads[0].samples.weight], [2, 1]);
});
