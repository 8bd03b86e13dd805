/** The memory curve's pure parts: y-axis steps, the series with PyPy GC phases, the reading under the pointer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { axisTicks, memorySeries } from '../../web/src/memory.js';

test('y-axis ticks are round byte values up to the peak', () => {
  assert.deepEqual(axisTicks(0), []);
  const MiB = 1024 * 1024;
  assert.deepEqual(axisTicks(145 * MiB, 2), [100 * MiB]);
  assert.deepEqual(axisTicks(145 * MiB, 3), [50 * MiB, 100 * MiB]);
  assert.deepEqual(axisTicks(1, 3), [1]);
  assert.deepEqual(axisTicks(3000, 3), [1000, 2000, 3000]);
  for (const max of [1, 700, 5e5, 3e9, 7.5e12]) {
    const ticks = axisTicks(max, 3);
    assert.ok(ticks.length >= 1 && ticks.length <= 6, `${max}: ${ticks}`);
    assert.ok(
      ticks.every((t) => t > 0 && t <= max * 1.0001),
      `${max}: ${ticks}`,
    );
  }
});

test('the series carries RSS in bytes and the top-level GC phases, major apart from minor', () => {
  const b = new ProfileBuilder('test');
  const t = b.thread('1', 'main');
  const frame = b.frame(b.func('f', 'x.py', 1));
  for (let i = 0; i < 10; i++) b.addSampleFrames(t, [frame], i * 10, 1, 1000 + i);
  b.addMarker(t, 'gc-minor', 5, 7, 'gc');
  b.addMarker(t, 'gc-minor-walkroots', 5.5, 6, 'gc', null, 1);
  b.addMarker(t, 'gc-collect-step', 40, 45, 'gc');
  b.addMarker(t, 'jit-tracing', 50, 60, 'jit');
  b.meta.interval = 10;
  const s = memorySeries(b.build(), [])!;
  assert.equal(s.value[0], 1000 * 1024);
  assert.equal(s.time.length, 10);
  assert.deepEqual(Array.from(s.gc!), [5, 7, 0, 40, 45, 1]);
});

test('a reading placed past the run or back in time is left out of the curve (it drew one flat line)', () => {
  const b = new ProfileBuilder('test');
  const t = b.thread('1', 'main');
  const frame = b.frame(b.func('f', 'x.py', 1));
  for (let i = 0; i < 10; i++) b.addSampleFrames(t, [frame], i * 10, 1, 1000 + i);
  b.meta.interval = 10;
  const p = b.build();
  p.threads[0].samples.time[4] = 5000; // what a reader placed past the end
  const s = memorySeries(p, [])!;
  assert.deepEqual(Array.from(s.time), [0, 10, 20, 30, 50, 60, 70, 80, 90]);
});
