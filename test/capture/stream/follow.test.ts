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
  ['the in-process agent on CPython, wall clock, recorded now', recording('python3', { inProcess: true, wall: true }), 1],
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
        const step = 1 + Math.floor(random() * 4000); // flushes end anywhere, mid-record included
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
