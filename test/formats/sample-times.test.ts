/**
 * Real time everywhere: the stack chart's axis is the run's recorded duration, and samples
 * sit on it at their real times (our sampler's ts: marks) or spread evenly over it (files
 * without sample times), every thread on the one clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readVmprof } from '../../src/formats/vmprof/index.js';
import { profileDuration, type Profile } from '../../src/model/profile.js';
import { functionPaths, layoutStackChart, onRunAxis, stackLanes } from '../../web/src/layout.js';
import { fixture, fixtureBytes } from '../helpers.js';
import { renderInfo } from '../../src/report/info.js';
import { plainStyle } from '../../src/report/text.js';
import { readProfile, removeDir, runPyrometer, scratchDir } from '../capture/run.js';

/** The stack chart the viewer draws of every thread: one lane each, on the run's axis. */
function chartAxis(p: Profile): { start: number; end: number } {
  const paths = functionPaths(p.stacks, p.frames.func);
  const charts = p.threads
    .filter((t) => t.samples.length > 0)
    .map((t) => layoutStackChart(paths.table, t.samples.stack, t.samples.time, p.meta.interval, (s) => (s < 0 ? -1 : paths.nodeOf[s])));
  const { chart } = stackLanes(
    charts,
    charts.map(() => ''),
  );
  const axis = onRunAxis(chart, profileDuration(p), p.meta.sampleTimes ?? 'recorded');
  return { start: axis.startTime, end: axis.endTime };
}

function assertAxisIsDuration(p: Profile, label: string): void {
  const duration = profileDuration(p);
  assert.ok(duration > 0, `${label}: a recorded duration`);
  const { start, end } = chartAxis(p);
  assert.equal(start, 0, `${label}: the axis starts at the run's start`);
  assert.ok(Math.abs(end - start - duration) <= 0.01 * duration, `${label}: axis ${end - start} ms, duration ${duration} ms`);
  for (const t of p.threads) {
    const { time, length } = t.samples;
    for (let i = 0; i < length; i++) {
      assert.ok(time[i] >= 0 && time[i] <= duration * 1.01, `${label}: ${t.name} sample ${i} at ${time[i]} of ${duration} ms`);
    }
  }
}

for (const mode of [[], ['--wall'], ['--in-process', '--wall']]) {
  test(`CPython, 3 threads, record ${mode.join(' ') || '(outside, CPU time)'}: samples at recorded times, the chart's axis is the duration within 1%`, async () => {
    const dir = scratchDir();
    try {
      const run = await runPyrometer(['record', '-o', 'threads.prof', ...mode, '--', 'python3', fixture('programs/threads.py')], {
        cwd: dir,
      });
      assert.equal(run.code, 0, run.stderr);
      const p = await readProfile(join(dir, 'threads.prof'));
      assert.equal(p.meta.sampleTimes, 'recorded');
      assert.ok(p.threads.filter((t) => t.samples.length > 0).length >= 2, 'several threads sampled');
      assertAxisIsDuration(p, mode.join(' ') || 'outside');
      // one clock: the threads' samples interleave in time rather than each starting at 0
      const firsts = p.threads.filter((t) => t.samples.length > 0).map((t) => t.samples.time[0]);
      assert.ok(Math.max(...firsts) > 0, `first samples ${firsts}`);
    } finally {
      removeDir(dir);
    }
  });
}

test("vmprof-python's CPython file has no sample times: spread evenly over its recorded duration (was 2,535 ms of periods in a 494 ms run)", () => {
  const p = readVmprof(fixtureBytes('vmprof/example.prof'));
  assert.equal(p.meta.sampleTimes, 'spread');
  assertAxisIsDuration(p, 'example.prof');
  const { time, length } = p.threads[0].samples;
  const step = profileDuration(p) / length;
  for (let i = 1; i < length; i++) assert.ok(Math.abs(time[i] - time[i - 1] - step) < 1e-9, `even steps at ${i}`);
  // info says so (the viewer does under its stack chart: test/e2e/viewer-time)
  assert.match(renderInfo(p, plainStyle()), /^sample times +not in the file: spread evenly over the recorded duration$/m);
});

test("PyPy's _vmprof file (no sample times) with memory: samples and the RSS curve spread over the run together", () => {
  const p = readVmprof(fixtureBytes('vmprof/pypy-primes-mem.prof'));
  assert.equal(p.meta.sampleTimes, 'spread');
  assertAxisIsDuration(p, 'pypy-primes-mem.prof');
  const rss = p.counters.find((c) => c.name === 'RSS')!;
  assert.deepEqual(Array.from(rss.time), Array.from(p.threads[0].samples.time));
});

test('a file with neither sample times nor a stop time keeps i x period and says it is an order', () => {
  const p = readVmprof(fixtureBytes('vmprof/richards.cpython.prof'));
  assert.equal(p.meta.sampleTimes, 'order');
  assert.equal(p.threads[0].samples.time[5], 5 * p.meta.interval);
  assert.match(renderInfo(p, plainStyle()), /^sample times +not in the file, nor a stop time: one period apart$/m);
  // the chart keeps the samples' own span: there is no run to put them on
  const { start, end } = chartAxis(p);
  assert.equal(start, 0);
  assert.equal(end, p.threads[0].samples.length * p.meta.interval);
});
