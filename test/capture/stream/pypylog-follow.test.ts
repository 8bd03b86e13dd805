/**
 * Following a PYPYLOG file while PyPy writes it (record --stream --pypylog): sections come out
 * whole, once, when they close, placed on the wall clock by the agent's tick/time pairs, and
 * wait while there is no clock yet. Synthesized files written a piece at a time.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PypyLogFollower } from '../../../src/capture/stream/pypylog.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-pypylog-follow-'));
after(() => rmSync(work, { recursive: true, force: true }));

const hex = (tick: number) => tick.toString(16);
const T0 = 1_764_700_000_000; // Unix ms of tick 1,000,000; 1,000 ticks a ms

test('closed sections become markers on the wall clock, nested ones too, each once; a section split across reads waits', () => {
  const log = join(work, 'a.pypylog');
  const clock = join(work, 'a.clock');
  const follower = new PypyLogFollower(log, clock);
  follower.poll();
  assert.deepEqual(follower.take(), [], 'no files yet');
  writeFileSync(
    log,
    `[${hex(1_000_000)}] {gc-minor\n[${hex(1_000_500)}] {gc-minor-walkroots\n[${hex(1_001_000)}] gc-minor-walkroots}\n[${hex(1_002_000)}] gc-m`,
  );
  writeFileSync(clock, `1000000 ${T0}.000\n`);
  follower.poll();
  assert.deepEqual(follower.take(), [], 'one clock pair: no rate yet, the closed walkroots waits');
  appendFileSync(clock, `11000000 ${T0 + 10_000}.000\n`);
  appendFileSync(log, `inor}\n[${hex(1_003_000)}] {jit-tracing\nsome text\n`);
  follower.poll();
  assert.deepEqual(follower.take(), [
    { name: 'gc-minor-walkroots', start: T0 + 0.5, end: T0 + 1, category: 'gc', depth: 1 },
    { name: 'gc-minor', start: T0, end: T0 + 2, category: 'gc', depth: 0 },
  ]);
  assert.deepEqual(follower.take(), [], 'not again');
  appendFileSync(log, `[${hex(1_013_000)}] jit-tracing}\n[${hex(1_020_000)}] {gc-collect-step\n`);
  follower.poll();
  assert.deepEqual(follower.take(), [{ name: 'jit-tracing', start: T0 + 3, end: T0 + 13, category: 'jit', depth: 0 }]);
  // The program ended with a section open: the last read closes it at the log's last timestamp.
  follower.poll(true);
  assert.deepEqual(follower.take(), [{ name: 'gc-collect-step', start: T0 + 20, end: T0 + 20, category: 'gc', depth: 0 }]);
  assert.equal(follower.error, '');
  assert.equal(follower.dropped, 0);
});

test('a file that is not a PyPy log stops the following with one line, and names a chunk would refuse are counted', () => {
  const bad = new PypyLogFollower(join(work, 'bad.log'), join(work, 'bad.clock'));
  writeFileSync(join(work, 'bad.log'), 'Traceback (most recent call last):\n');
  bad.poll();
  assert.match(
    bad.error,
    /^the PYPYLOG file is not a PyPy log \(.*expected "\[hex timestamp\] \{category".*\): its phases are not streamed$/,
  );
  assert.deepEqual(bad.take(), []);

  const odd = new PypyLogFollower(join(work, 'odd.log'), join(work, 'odd.clock'));
  writeFileSync(join(work, 'odd.clock'), `1000000 ${T0}\n2000000 ${T0 + 1000}\n`);
  writeFileSync(
    join(work, 'odd.log'),
    `[${hex(1_000_000)}] {${'x'.repeat(80)}\n[${hex(1_000_100)}] ${'x'.repeat(80)}}\n[${hex(1_000_200)}] {gc-minor\n[${hex(1_000_300)}] gc-minor}\n`,
  );
  odd.poll();
  assert.deepEqual(
    odd.take().map((m) => m.name),
    ['gc-minor'],
  );
  assert.equal(odd.dropped, 1);
});
