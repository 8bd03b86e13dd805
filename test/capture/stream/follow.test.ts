/**
 * The follower cuts a growing VMProf file into pieces that add up to the
 * finished file, whatever byte boundaries the writer's flushes fall on: real
 * files of our CPython sampler's kind and PyPy's _vmprof (with and without
 * memory, real time, lines), written piece by piece.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { record } from '../../../src/capture/recorder.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmprofFollower } from '../../../src/capture/stream/follow.js';
import { profileStacks } from '../../../src/formats/stream-chunk.js';
import { readVmprof } from '../../../src/formats/vmprof/index.js';
import { MARKER_STACKTRACE, MARKER_VIRTUAL_IP, walkRecords } from '../../../src/formats/vmprof/records.js';
import { sumStacks } from '../../../src/server/series/store.js';
import { fixtureBytes, prng } from '../../helpers.js';

const asObject = (stacks: { stack: string; weight: number }[]) =>
  Object.fromEntries(
    sumStacks(stacks)
      .map((s) => [s.stack, s.weight])
      .sort(),
  );

/** A profile made here by `record` with a real interpreter: our sampler on CPython (lines and memory on), _vmprof on PyPy. */
function recording(interpreter: string, options: { lines?: boolean; memory?: boolean; inProcess?: boolean; wall?: boolean }) {
  return async (dir: string): Promise<Uint8Array> => {
    const script = join(dir, 'work.py');
    // Runs by the clock (1.5 s on any interpreter), in two threads.
    writeFileSync(
      script,
      [
        'import threading, time',
        'def f(n):',
        '    return sum(i * i for i in range(n))',
        'def run():',
        '    end = time.time() + 1.5',
        '    while time.time() < end:',
        '        f(20000)',
        't = threading.Thread(target=run)',
        't.start()',
        'run()',
        't.join()',
        '',
      ].join('\n'),
    );
    const output = join(dir, 'work.prof');
    await record([interpreter, script], { output, ...options, stdio: 'ignore', cwd: dir });
    return new Uint8Array(readFileSync(output));
  };
}

type Source = [string, (dir: string) => Promise<Uint8Array>, number];
// Files of the kinds a capture on this machine writes: PyPy's _vmprof (memory, real time, threads) and ours.
// The fixtures were written by vmprof-python on PyPy, which names many code objects only at the end:
// their stacks are held back until then (no cut count asked); fresh recordings name them as they go.
const sources: Source[] = [
  ...['vmprof/pypy-primes-mem.prof', 'vmprof/pypy-threads-realtime.prof', 'vmprof/pypy-wordcount.prof'].map(
    (name): Source => [name, async () => fixtureBytes(name), 0],
  ),
  // both CPython samplers write a look once with its weight (w: META, numbered over the whole
  // file): each piece must carry its own records' weights, whichever side of them the META is
  ['the outside sampler on CPython, recorded now', recording('python3', { lines: true, memory: true }), 3],
  ['the in-process agent on CPython, wall clock, recorded now', recording('python3', { inProcess: true, wall: true }), 3],
  // PyPy's _vmprof may write the program's code names only when its buffers fill: on a loaded
  // machine a 1.5 s run can hold every stack to the end (the sums are what is checked here;
  // the end-to-end test sees a 40 s PyPy run stream as it goes).
  ['PyPy _vmprof through record, recorded now', recording('pypy3', {}), 0],
];

for (const [name, source, minimumCuts] of sources) {
  test(`${name}: pieces cut while it grows add up to the whole file`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyrometer-follow-'));
    const bytes = await source(dir);
    try {
      const path = join(dir, 'growing.prof');
      const follower = new VmprofFollower(path);
      assert.equal(follower.poll(), false); // not there yet
      writeFileSync(path, '');
      const random = prng(name.length);
      const pieces: { stack: string; weight: number }[] = [];
      let cuts = 0;
      for (let at = 0; at < bytes.length; ) {
        // flushes end anywhere, mid-record included; ~80 of them whatever the file's size (a
        // recording on a busy machine is small: each look is one weighted record)
        const step = 1 + Math.floor(random() * Math.max(64, Math.min(4000, bytes.length / 40)));
        appendFileSync(path, bytes.subarray(at, at + step));
        at += step;
        assert.equal(follower.poll(), true);
        if (random() < 0.3) {
          const piece = follower.cut();
          if (piece.length > 0) cuts++;
          pieces.push(...piece);
        }
      }
      follower.poll();
      pieces.push(...follower.cut(true));
      follower.close();
      assert.ok(cuts >= minimumCuts, `only ${cuts} non-empty cuts`);
      assert.ok(follower.finished);
      assert.deepEqual(asObject(pieces), asObject(profileStacks(readVmprof(bytes))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a file that is not VMProf is one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-follow-'));
  try {
    const path = join(dir, 'x.prof');
    writeFileSync(path, Buffer.alloc(64, 7));
    const follower = new VmprofFollower(path);
    assert.throws(() => follower.poll(), /not a VMProf file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Waits (without sleeping a fixed time) until the clock has moved past `t`. */
function clockPast(t: number): number {
  while (Date.now() <= t) {
    /* a millisecond at most */
  }
  return Date.now();
}

test('a PyPy stack held back for its code names goes to the interval it reached the file in, not the one its names came in', () => {
  // vmprof-python on PyPy wrote some of this file's names after its stacks: split the file where those names begin.
  const bytes = fixtureBytes('vmprof/pypy-wordcount.prof');
  const records = walkRecords(bytes, () => {})!.records;
  const lastStack = records.findLastIndex((r) => r.marker === MARKER_STACKTRACE);
  const split = records.slice(lastStack).find((r) => r.marker === MARKER_VIRTUAL_IP)!.start;
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-follow-'));
  try {
    const path = join(dir, 'growing.prof');
    writeFileSync(path, bytes.subarray(0, split));
    const follower = new VmprofFollower(path);
    follower.poll();
    const firstHalf = follower.stackRecords;
    const secondInterval = clockPast(Date.now());
    const windowOf = (arrived: number) => (arrived < secondInterval ? 1 : 2);
    // Interval 1 ends: the stacks that lack names wait.
    const first = follower.cutByArrival(false, windowOf);
    const cutAtOnce = first.reduce((n, p) => n + p.stacks.reduce((m, s) => m + s.weight, 0), 0);
    assert.ok(cutAtOnce < firstHalf, `some of the ${firstHalf} stacks read first wait for names (${cutAtOnce} went out)`);
    assert.ok(first.every((p) => p.window === 1));
    // Interval 2: the rest of the file, names included; the waiting stacks go back to interval 1.
    appendFileSync(path, bytes.subarray(split));
    follower.poll();
    const second = follower.cutByArrival(true, windowOf);
    follower.close();
    const weightIn = (window: number) =>
      [...first, ...second].filter((p) => p.window === window).reduce((n, p) => n + p.stacks.reduce((m, s) => m + s.weight, 0), 0);
    assert.equal(weightIn(1), firstHalf, 'every stack read in interval 1 is counted in interval 1');
    assert.equal(weightIn(1) + weightIn(2), follower.stackRecords);
    // And named: the held stacks waited for their names instead of going out as <unknown>.
    const all = [...first, ...second].flatMap((p) => p.stacks);
    assert.deepEqual(asObject(all), asObject(profileStacks(readVmprof(bytes))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('record --stream on PyPy: _vmprof is made to write its code names as it runs, so streamed stacks are named before the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-follow-'));
  try {
    const stop = join(dir, 'stop');
    const script = join(dir, 'named.py');
    // Runs until the test has seen a named stack (or 60 s: then the test fails), not for a fixed time.
    writeFileSync(
      script,
      [
        'import os, time',
        'def hot_named_function(n):',
        '    return sum(i * i for i in range(n))',
        'end = time.time() + 60',
        `while not os.path.exists(${JSON.stringify(stop)}) and time.time() < end:`,
        '    hot_named_function(20000)',
        '',
      ].join('\n'),
    );
    let follower: VmprofFollower | null = null;
    let namedWhileRunning = false;
    let finished = false;
    const watch = setInterval(() => {
      if (!follower || finished) return;
      follower.poll();
      if (follower.cut().some((s) => s.stack.includes('hot_named_function ('))) {
        namedWhileRunning = true;
        writeFileSync(stop, '');
      }
    }, 100);
    try {
      await record(['pypy3', script], {
        output: join(dir, 'named.prof'),
        stdio: 'ignore',
        cwd: dir,
        follower: {
          nameFlushMs: 300,
          started: (path) => {
            follower = new VmprofFollower(path);
          },
          finish: async () => {
            finished = true;
          },
        },
      });
    } finally {
      clearInterval(watch);
      (follower as VmprofFollower | null)?.close();
    }
    assert.ok(namedWhileRunning, 'a stack naming hot_named_function was streamed while PyPy ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
