/**
 * Profiles the viewer tests build with ProfileBuilder: known shapes so tests
 * can assert exact numbers, a real source file (test/data/viewer/busy.py) for
 * source heat, two threads, idle samples, RSS, and hostile names.
 */
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';
import { testData } from '../helpers.js';

export const BUSY_PY = testData('viewer/busy.py');

/**
 * main thread (900 samples): main → score → sqrt-ish line 13 (500), main → parse line 7 (300),
 * main → report line 18 (100); worker thread (100 samples): idle wait (60), work (40).
 * 10 ms interval; RSS grows from 10 MiB to 19 MiB on the main thread.
 */
export function busyProfile(): Profile {
  const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 10, flags: ['lines', 'memory'] });
  const main = b.func('main', BUSY_PY, 21);
  const score = b.func('score', BUSY_PY, 10);
  const parse = b.func('parse', BUSY_PY, 5);
  const report = b.func('report', BUSY_PY, 17);
  const sqrt = b.func('math.sqrt', '', 0, 'native');
  const wait = b.func('lock.acquire', '', 0, 'native');
  const work = b.func('worker_loop', BUSY_PY, 21);
  const t0 = b.thread('1', 'MainThread');
  const t1 = b.thread('2', 'worker');
  const mainScore = b.stackOf([b.frame(main, 23), b.frame(score, 13)]);
  const mainScoreSqrt = b.stack(mainScore, b.frame(sqrt));
  const mainParse = b.stackOf([b.frame(main, 23), b.frame(parse, 7)]);
  const mainReport = b.stackOf([b.frame(main, 24), b.frame(report, 18)]);
  let time = 0;
  for (let i = 0; i < 900; i++) {
    const stack = i < 300 ? mainParse : i < 550 ? mainScore : i < 800 ? mainScoreSqrt : mainReport;
    b.addSample(t0, stack, time, 1, 10240 + i * 10);
    time += 10;
  }
  const idle = b.stackOf([b.frame(work, 22), b.frame(wait, 0, 'idle')]);
  const busy = b.stackOf([b.frame(work, 25)]);
  for (let i = 0; i < 100; i++) b.addSample(t1, i % 5 < 3 ? idle : busy, i * 90, 1);
  return b.build();
}

export const HOSTILE_NAMES = ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>'];

/** Function and file names that are markup: the viewer must show them as text. */
export function hostileProfile(): Profile {
  const b = new ProfileBuilder('synthetic', { interval: 1 });
  const main = b.func('main', '<b>bold</b>.py', 1);
  const img = b.func(HOSTILE_NAMES[0], '"><svg onload=alert(2)>.py', 2);
  const script = b.func(HOSTILE_NAMES[1], '<script>alert(3)</script>.py', 3);
  const t = b.thread('1', '<i>thread</i>');
  const stack = b.stackOf([b.frame(main), b.frame(img), b.frame(script)]);
  for (let i = 0; i < 10; i++) b.addSample(t, stack, i);
  return b.build();
}

/**
 * Before/after of one program: `compute` takes 200 samples before and 400 after
 * (twice as slow), `parse` 100 in both; the after run was checked out elsewhere
 * and compute moved down the file (other path, other line).
 */
export function beforeAfterProfiles(): { before: Profile; after: Profile } {
  const make = (dir: string, computeLine: number, computeSamples: number): Profile => {
    const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 1 });
    const t = b.thread('1', 'MainThread');
    const main = b.frame(b.func('main', `${dir}/app.py`, 1));
    const compute = b.frame(b.func('compute', `${dir}/calc.py`, computeLine));
    const parse = b.frame(b.func('parse', `${dir}/io.py`, 5));
    let time = 0;
    for (let i = 0; i < computeSamples; i++) b.addSampleFrames(t, [main, compute], time++);
    for (let i = 0; i < 100; i++) b.addSampleFrames(t, [main, parse], time++);
    return b.build();
  };
  return { before: make('/home/dev/app', 10, 200), after: make('/srv/app', 42, 400) };
}

/**
 * A list comprehension sharing its line with the function around it (CPython ≤ 3.11
 * reports both frames at line 23 of busy.py): source heat must not exceed 100%.
 */
export function comprehensionProfile(): Profile {
  const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 1, flags: ['lines'] });
  const t = b.thread('1', 'MainThread');
  const main = b.func('main', BUSY_PY, 21);
  const listcomp = b.func('<listcomp>', BUSY_PY, 23);
  const score = b.func('score', BUSY_PY, 10);
  const stack = [b.frame(main, 23), b.frame(listcomp, 23), b.frame(score, 13)];
  for (let i = 0; i < 50; i++) b.addSampleFrames(t, stack, i);
  return b.build();
}

/** Many threads with deep stacks (stack chart lanes overflow the view) and `depth`-deep recursion on the first (a deep flame graph). */
export function manyThreadsProfile(threads = 12, depth = 80): Profile {
  const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 1 });
  const walk = b.frame(b.func('walk', '/app/tree.py', 3));
  const leaf = b.frame(b.func('visit', '/app/tree.py', 9));
  for (let k = 0; k < threads; k++) {
    const t = b.thread(String(k + 1), `worker-${k}`);
    const frames = [...Array(k === 0 ? depth : 6).fill(walk), leaf];
    for (let i = 0; i < 100; i++) b.addSampleFrames(t, frames, i * 2 + k * 0.1);
  }
  return b.build();
}

/** `n` tiny leaf functions under one caller: inverted, each root is far under a pixel wide. */
export function manyLeavesProfile(n = 20000): Profile {
  const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 1 });
  const t = b.thread('1', 'MainThread');
  const main = b.frame(b.func('main', '/app/main.py', 1));
  for (let i = 0; i < n; i++) b.addSampleFrames(t, [main, b.frame(b.func(`leaf_${i}`, '/app/leaves.py', i + 1))], i);
  return b.build();
}
