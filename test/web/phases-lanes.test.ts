/**
 * Unit tests of the viewer's layout for PyPy phase markers (rows by nesting,
 * time per category), stack chart lanes for several threads, flame graph
 * keyboard moves, and the marker tooltip's data summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { callTreeBottomUp, callTreeTopDown, stackWeights } from '../../src/model/analysis.js';
import {
  flameNeighbor,
  hitTestMarkers,
  hitTestStackChart,
  laneOfRow,
  layoutFlame,
  layoutMarkers,
  layoutStackChart,
  markerTimeByCategory,
  stackLanes,
  type MarkerInput,
} from '../../web/src/layout.js';
import { collectMarkers, markerAxis, markerDataSummary } from '../../web/src/markers.js';

const m = (start: number, end: number, depth: number, category = 'gc'): MarkerInput => ({ start, end, depth, category });

test('markers: nested sections sit under their parent, overlapping ones of other threads get a free row', () => {
  const markers = [
    m(0, 10, 0, 'jit'), // jit-tracing
    m(2, 3, 1, 'gc'), // gc-minor inside it
    m(2.2, 2.4, 2, 'gc'), // gc-minor-walkroots inside that
    m(12, 13, 0, 'gc'),
    m(5, 6, 0, 'gc'), // another thread's section overlapping the first: row 0 is busy until 10
    m(20, 20, 0, 'other'), // an instant
  ];
  const layout = layoutMarkers(markers);
  const rowOf = (i: number) => layout.rows.findIndex((r) => Array.from(r.marker).includes(i));
  assert.deepEqual(
    markers.map((_, i) => rowOf(i)),
    [0, 1, 2, 0, 1, 0],
  );
  assert.deepEqual(layout.categories, ['jit', 'gc', 'other']);
  assert.deepEqual(Array.from(layout.categoryOf), [0, 1, 1, 1, 1, 2]);
  // Rows never overlap and are sorted by start (hence by end): the binary search culling relies on it.
  for (const r of layout.rows) for (let i = 1; i < r.length; i++) assert.ok(r.start[i] >= r.end[i - 1]);
  const hit = (t: number, row: number, slack = 0) => {
    const b = hitTestMarkers(layout, t, row, slack);
    return b < 0 ? -1 : layout.rows[row].marker[b];
  };
  assert.equal(hit(1, 0), 0);
  assert.equal(hit(12.5, 0), 3);
  assert.equal(hit(11, 0), -1);
  assert.equal(hit(5.5, 1), 4);
  assert.equal(hit(2.5, 1), 1);
  assert.equal(hit(2.3, 2), 2);
  assert.equal(hit(20.05, 0), -1);
  assert.equal(hit(20.05, 0, 0.1), 5, 'an instant is hit within the slack');
  assert.equal(hit(1, 7), -1);
});

test('markers: time per category is the union of its intervals', () => {
  const totals = markerTimeByCategory([
    m(0, 10, 0, 'jit'),
    m(2, 3, 1, 'gc'),
    m(2.2, 2.4, 2, 'gc'),
    m(12, 14, 0, 'gc'),
    m(13, 15, 0, 'gc'),
    m(20, 20, 0, 'gc'),
  ]);
  assert.equal(totals.get('jit'), 10);
  assert.equal(totals.get('gc'), 1 + 3);
  assert.equal(markerTimeByCategory([]).size, 0);
});

test("markers are placed on the samples' span when the samples' times are only an order (no times, no duration)", () => {
  const b = new ProfileBuilder('test', { interval: 1, sampleTimes: 'order' });
  const t = b.thread('1');
  const f = b.frame(b.func('main', 'm.py', 1));
  for (let i = 0; i < 10; i++) b.addSampleFrames(t, [f], i);
  b.addMarker(t, 'gc-minor', 50, 100, 'gc', { lines: ['minor collect'] });
  const p = b.build();
  // The run lasted 200 ms of wall clock, the samples' evenly spaced times span 10 ms.
  const axis = markerAxis(p, 200);
  assert.deepEqual(axis, { offset: 0, scale: 10 / 200, proportional: true });
  const [item] = collectMarkers(p, [], axis);
  assert.deepEqual([item.start, item.end, item.wallStart, item.wallEnd, item.name, item.category], [2.5, 5, 50, 100, 'gc-minor', 'gc']);
  // Real timestamps (the spans agree): markers stay where they are.
  assert.deepEqual(markerAxis(p, 10.5), { offset: 0, scale: 1, proportional: false });
  // Recorded or spread sample times are on the markers' clock whatever span they cover
  // (an outside sampler starts after the interpreter's start-up): no proportional placement.
  for (const sampleTimes of ['recorded', 'spread', undefined] as const) {
    assert.deepEqual(markerAxis({ ...p, meta: { ...p.meta, sampleTimes } }, 200), { offset: 0, scale: 1, proportional: false });
  }
});

test('marker data summary: log lines first, raw ticks left out, control characters flattened', () => {
  assert.deepEqual(markerDataSummary({ startTick: 1, endTick: 2, lineCount: 5, lines: ['a', 'b\u001b[31m', 'c', 'd'] }), [
    'a',
    'b [31m',
    'c',
    '(5 log lines in all)',
  ]);
  assert.deepEqual(markerDataSummary({ startTick: 1, endTick: 2, lineCount: 0, summary: { Tracing: [3, 0.5], Backend: 2 } }), [
    'Tracing: [3,0.5]',
    'Backend: 2',
  ]);
  assert.deepEqual(
    markerDataSummary({
      counts: [
        { name: 'entry 1', count: 3 },
        { name: 'bridge 2', count: 9 },
      ],
    }),
    ['counts: 2 entries, most bridge 2 = 9'],
  );
  assert.deepEqual(markerDataSummary(null), []);
  assert.equal(markerDataSummary({ note: 'x'.repeat(500) })[0].length, 100);
});

function twoThreads() {
  const b = new ProfileBuilder('test', { interval: 1 });
  const main = b.thread('1', 'MainThread');
  const worker = b.thread('2', 'worker');
  const fr = (name: string) => b.frame(b.func(name, `${name}.py`, 1));
  const [a, x, w] = [fr('a'), fr('x'), fr('w')];
  for (let i = 0; i < 4; i++) b.addSampleFrames(main, [a, x], 10 + i);
  for (let i = 0; i < 3; i++) b.addSampleFrames(worker, [w], 20 + i);
  b.thread('3', 'idle'); // no samples
  return b.build();
}

test('stack lanes: one header row plus its rows per thread, on a shared time axis', () => {
  const p = twoThreads();
  const charts = p.threads.map((t) => layoutStackChart(p.stacks, t.samples.stack, t.samples.time, 1));
  const { chart, lanes } = stackLanes(charts, ['MainThread', 'worker', 'idle']);
  assert.deepEqual(lanes, [
    { label: 'MainThread', headerRow: 0, rows: 2 },
    { label: 'worker', headerRow: 3, rows: 1 },
    { label: 'idle', headerRow: 5, rows: 0 },
  ]);
  assert.equal(chart.rows.length, 6);
  // The empty thread does not pull the axis to 0.
  assert.deepEqual([chart.startTime, chart.endTime], [10, 23]);
  const funcAt = (time: number, row: number) => {
    const i = hitTestStackChart(chart, time, row);
    return i < 0 ? null : p.strings[p.funcs.name[p.frames.func[p.stacks.frame[chart.rows[row].stack[i]]]]];
  };
  assert.equal(funcAt(11, 0), null, 'header rows hold no boxes');
  assert.equal(funcAt(11, 1), 'a');
  assert.equal(funcAt(11, 2), 'x');
  assert.equal(funcAt(21, 4), 'w');
  assert.equal(funcAt(11, 4), null, 'the worker had not started');
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((r) => laneOfRow(lanes, r)),
    [0, 0, 0, 1, 1, 2, -1],
  );
  assert.deepEqual(stackLanes([], []).chart, { rows: [], startTime: 0, endTime: 1 });
});

test('flame graph keyboard moves: parent, widest child, siblings; the bottom-up tree roots are the leaves', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const fr = (name: string) => b.frame(b.func(name, `${name}.py`, 1));
  const [main, a, c, leaf, other] = ['main', 'a', 'c', 'leaf', 'other'].map(fr);
  for (let i = 0; i < 5; i++) b.addSampleFrames(t, [main, a, leaf], i);
  for (let i = 0; i < 3; i++) b.addSampleFrames(t, [main, c], 5 + i);
  for (let i = 0; i < 2; i++) b.addSampleFrames(t, [other], 8 + i);
  const p = b.build();
  const tree = callTreeTopDown(p, stackWeights(p));
  const name = (n: number) => p.strings[p.funcs.name[tree.func[n]]];
  const go = (n: number, move: 'parent' | 'child' | 'prev' | 'next') => flameNeighbor(tree, n, move);
  const root = go(-1, 'child');
  assert.equal(name(root), 'main');
  assert.equal(name(go(root, 'child')), 'a');
  assert.equal(name(go(go(root, 'child'), 'next')), 'c');
  assert.equal(name(go(go(go(root, 'child'), 'next'), 'prev')), 'a');
  assert.equal(go(go(root, 'child'), 'prev'), go(root, 'child'), 'no elder sibling: stays');
  assert.equal(name(go(root, 'next')), 'other', 'roots are siblings');
  assert.equal(go(root, 'parent'), root);
  const leafNode = go(go(root, 'child'), 'child');
  assert.equal(go(leafNode, 'child'), leafNode);
  assert.equal(name(go(leafNode, 'parent')), 'a');
  // Inverted: the bottom-up tree's roots are where the time was spent, hottest first.
  const up = layoutFlame(callTreeBottomUp(p, stackWeights(p)));
  const upName = (n: number) => p.strings[p.funcs.name[up.tree.func[n]]];
  assert.deepEqual(Array.from(up.tree.roots, upName), ['leaf', 'c', 'other']);
  assert.deepEqual(
    Array.from(up.tree.roots, (r) => up.x[r]),
    [0, 5, 8],
  );
  assert.equal(upName(flameNeighbor(up.tree, up.tree.roots[0], 'child')), 'a');
});
