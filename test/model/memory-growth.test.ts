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

test('a profile without readings has none', () => {
  const b = new ProfileBuilder('test');
  b.addSampleFrames(b.thread('1'), [b.frame(b.func('f', 'x.py', 1))], 0);
  const p = b.build();
  assert.equal(hasMemoryReadings(p), false);
  assert.equal(memoryGrowth(p).growth, 0);
});
