/** Memory growth by function and line: RSS changes between looks charged to the later look's code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { hasMemoryReadings, memoryGrowth } from '../../src/model/memory-growth.js';
import { funcName } from '../../src/model/profile.js';

function profile() {
  const b = new ProfileBuilder('test');
  const main = b.func('main', 'app.py', 1);
  const rec = b.func('rec', 'app.py', 10);
  const fMain = b.frame(main, 3);
  const fRec11 = b.frame(rec, 11);
  const fRec12 = b.frame(rec, 12);
  const t0 = b.thread('1', 'main');
  const t1 = b.thread('2', 'worker');
  // main thread: 100 KiB -> rec (recursing) +50 -> +20 at line 12 -> -30 in main
  b.addSampleFrames(t0, [fMain], 0, 1, 100);
  b.addSampleFrames(t0, [fMain, fRec11, fRec11], 10, 1, 150);
  b.addSampleFrames(t0, [fMain, fRec11, fRec12], 20, 1, 170);
  b.addSampleFrames(t0, [fMain], 40, 1, 140);
  // the worker was looked at with the main thread at 30: its reading is in time order between
  b.addSampleFrames(t1, [fRec12], 30, 1, 170);
  return b.build();
}

test('growth and shrink kept apart, by function (self and total, once per sample) and by line', () => {
  const p = profile();
  assert.ok(hasMemoryReadings(p));
  const g = memoryGrowth(p);
  assert.equal(g.growth, 70 * 1024);
  assert.equal(g.shrink, 30 * 1024);
  assert.equal(g.intervals, 4);
  const byName = new Map(g.functions.map((f) => [funcName(p, f.func), f]));
  assert.deepEqual(
    { ...byName.get('rec')!, func: 0 },
    { func: 0, selfGrowth: 70 * 1024, selfShrink: 0, totalGrowth: 70 * 1024, totalShrink: 0 },
  );
  assert.equal(byName.get('main')!.totalGrowth, 70 * 1024);
  assert.equal(byName.get('main')!.selfShrink, 30 * 1024);
  assert.deepEqual(
    g.lines.map((l) => [funcName(p, l.func), l.line, l.growth / 1024, l.shrink / 1024]),
    [
      ['rec', 11, 50, 0],
      ['rec', 12, 20, 0],
      ['main', 3, 0, 30],
    ],
  );
});

test('a time range and a thread choice narrow the looks', () => {
  const p = profile();
  assert.equal(memoryGrowth(p, { startTime: 10, endTime: 25 }).growth, 20 * 1024);
  assert.equal(memoryGrowth(p, { threads: [1] }).intervals, 0);
});

test('a change across a gap between looks (looks lost) is charged to no code, and counted apart', () => {
  const b = new ProfileBuilder('test');
  const t = b.thread('1', 'main');
  const grow = b.frame(b.func('grow', 'app.py', 1), 2);
  const spin = b.frame(b.func('spin', 'app.py', 5), 6);
  let rss = 1000;
  for (let i = 0; i < 20; i++) b.addSampleFrames(t, [grow], i, 1, (rss += 10));
  // looks lost for 50 ms while 500 KiB more were grown; the next look finds spin
  b.addSampleFrames(t, [spin], 70, 1, (rss += 500));
  for (let i = 1; i < 10; i++) b.addSampleFrames(t, [spin], 70 + i, 1, rss);
  const p = b.build();
  const g = memoryGrowth(p);
  assert.equal(g.gaps, 1);
  assert.equal(g.gapGrowth, 500 * 1024);
  assert.equal(g.growth, (19 * 10 + 500) * 1024);
  assert.deepEqual(
    g.lines.map((l) => [funcName(p, l.func), l.line, l.growth / 1024]),
    [['grow', 2, 190]],
  );
});

test("each thread's readings are taken in record order, whatever times a reader placed them at", () => {
  const p = profile();
  // a sample time placed far past the run (seen from the VMProf reader): the look order stands
  p.threads[0].samples.time[2] = 9000;
  const g = memoryGrowth(p, { threads: [0] });
  assert.equal(g.growth, 70 * 1024);
  assert.equal(g.shrink, 30 * 1024);
});

test('a profile without readings has none', () => {
  const b = new ProfileBuilder('test');
  b.addSampleFrames(b.thread('1'), [b.frame(b.func('f', 'x.py', 1))], 0);
  const p = b.build();
  assert.equal(hasMemoryReadings(p), false);
  assert.equal(memoryGrowth(p).growth, 0);
});
