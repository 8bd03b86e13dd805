import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { callTreeTopDown, stackWeights } from '../../src/model/analysis.js';
import {
  firstBoxEndingAfter,
  functionPaths,
  hitTestFlame,
  hitTestStackChart,
  layoutFlame,
  layoutStackChart,
  pathToRoot,
} from '../../web/src/layout.js';

/** Builds a profile from "a;b;c weight" lines (root first), one sample per weight unit, in order. */
function fromLines(lines: string[]) {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  let time = 0;
  for (const line of lines) {
    const [path, weight] = line.split(' ');
    const frames = path.split(';').map((name) => b.frame(b.func(name, `${name}.py`, 1)));
    for (let i = 0; i < Number(weight); i++) b.addSampleFrames(t, frames, time++);
  }
  return b.build();
}

function names(profile: ReturnType<typeof fromLines>, tree: { func: Int32Array }, node: number): string {
  return profile.strings[profile.funcs.name[tree.func[node]]];
}

test('flame layout puts children at the parent edge, widest first, and sums roots', () => {
  const p = fromLines(['main;a;x 2', 'main;b 5', 'main;a 1', 'other 2']);
  const tree = callTreeTopDown(p, stackWeights(p));
  const layout = layoutFlame(tree);
  assert.equal(layout.width, 10);
  assert.equal(layout.rows, 3);
  const byName = new Map<string, number>();
  for (let i = 0; i < tree.length; i++) byName.set(names(p, tree, i), i);
  const main = byName.get('main')!;
  const a = byName.get('a')!;
  const b = byName.get('b')!;
  const x = byName.get('x')!;
  const other = byName.get('other')!;
  assert.equal(layout.x[main], 0);
  assert.equal(layout.x[other], 8);
  // b (5) is wider than a (3): it comes first at the parent's left edge.
  assert.equal(layout.x[b], 0);
  assert.equal(layout.x[a], 5);
  assert.equal(layout.x[x], 5);
  // Subtrees are contiguous pre-order runs.
  assert.equal(layout.subtreeEnd[main], other < main ? tree.length : Math.max(a, b, x) + 1);
  assert.equal(layout.subtreeEnd[x], x + 1);
  for (let i = 0; i < tree.length; i++) {
    for (let k = i + 1; k < layout.subtreeEnd[i]; k++) assert.ok(pathToRoot(tree, k).includes(i), `node ${k} is in ${i}'s subtree`);
  }
});

test('hit testing finds the rectangle under a point and nothing outside', () => {
  const p = fromLines(['main;a;x 2', 'main;b 5', 'main;a 1', 'other 2']);
  const tree = callTreeTopDown(p, stackWeights(p));
  const layout = layoutFlame(tree);
  const at = (wx: number, row: number) => {
    const n = hitTestFlame(layout, wx, row);
    return n < 0 ? null : names(p, tree, n);
  };
  assert.equal(at(0, 0), 'main');
  assert.equal(at(7.99, 0), 'main');
  assert.equal(at(8, 0), 'other');
  assert.equal(at(4.5, 1), 'b');
  assert.equal(at(5, 1), 'a');
  assert.equal(at(6.5, 2), 'x');
  assert.equal(at(7.5, 2), null); // a's self part: no child there
  assert.equal(at(9, 1), null); // other has no children
  assert.equal(at(10, 0), null);
  assert.equal(at(-1, 0), null);
  assert.equal(at(1, 7), null);
});

test('a 5,000-deep recursion lays out without recursion', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const f = b.frame(b.func('rec', 'r.py', 1));
  const frames = new Array(5000).fill(f);
  b.addSampleFrames(t, frames, 0);
  const p = b.build();
  const tree = callTreeTopDown(p, stackWeights(p));
  const layout = layoutFlame(tree);
  assert.equal(layout.rows, 5000);
  assert.equal(hitTestFlame(layout, 0.5, 4999), tree.length - 1);
});

test('stack chart merges consecutive samples that share a prefix', () => {
  const p = fromLines(['main;a 2', 'main;b 1', 'main;a 1', 'other 1']);
  const s = p.threads[0].samples;
  const chart = layoutStackChart(p.stacks, s.stack, s.time, 1);
  assert.equal(chart.rows.length, 2);
  const funcName = (stack: number) => p.strings[p.funcs.name[p.frames.func[p.stacks.frame[stack]]]];
  const row0 = chart.rows[0];
  assert.deepEqual(
    Array.from({ length: row0.length }, (_, i) => [funcName(row0.stack[i]), row0.start[i], row0.end[i]]),
    [
      ['main', 0, 4],
      ['other', 4, 5],
    ],
  );
  const row1 = chart.rows[1];
  assert.deepEqual(
    Array.from({ length: row1.length }, (_, i) => [funcName(row1.stack[i]), row1.start[i], row1.end[i]]),
    [
      ['a', 0, 2],
      ['b', 2, 3],
      ['a', 3, 4],
    ],
  );
  assert.equal(firstBoxEndingAfter(row1, 2), 1);
  assert.equal(funcName(row1.stack[hitTestStackChart(chart, 2.5, 1)]), 'b');
  assert.equal(hitTestStackChart(chart, 4.5, 1), -1);
  assert.equal(chart.endTime, 5);
});

test('stack chart treats filtered samples as gaps', () => {
  const p = fromLines(['main;a 3']);
  const s = p.threads[0].samples;
  const a = s.stack[0];
  const chart = layoutStackChart(p.stacks, s.stack, s.time, 1, (st) => (st === a && s.time.length > 0 ? -1 : st));
  assert.equal(chart.rows.length, 0);
  const middleGap = layoutStackChart(
    p.stacks,
    s.stack,
    s.time,
    1,
    (() => {
      let i = 0;
      return (st: number) => (i++ === 1 ? -1 : st);
    })(),
  );
  assert.deepEqual(Array.from(middleGap.rows[0].start), [0, 2]);
  assert.deepEqual(Array.from(middleGap.rows[0].end), [1, 3]);
});

test('stack chart boxes merge frames of one function at different lines', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const main = b.func('main', 'm.py', 1);
  const f = b.func('f', 'm.py', 10);
  b.addSampleFrames(t, [b.frame(main, 2), b.frame(f, 11)], 0);
  b.addSampleFrames(t, [b.frame(main, 2), b.frame(f, 12)], 1);
  b.addSampleFrames(t, [b.frame(main, 3), b.frame(f, 11)], 2);
  const p = b.build();
  assert.equal(p.stacks.length, 5);
  const paths = functionPaths(p.stacks, p.frames.func);
  assert.equal(paths.table.length, 2);
  const s = p.threads[0].samples;
  const chart = layoutStackChart(paths.table, s.stack, s.time, 1, (st) => (st < 0 ? -1 : paths.nodeOf[st]));
  assert.deepEqual(
    chart.rows.map((r) => r.length),
    [1, 1],
  );
  assert.deepEqual([chart.rows[1].start[0], chart.rows[1].end[0], paths.func[chart.rows[1].stack[0]]], [0, 3, f]);
});
