import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testData } from '../helpers.js';
import { readAustin } from '../../src/formats/austin.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { funcFile, funcKind, funcName, type Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertSniffsAs, utf8 } from './format-helpers.js';

// No austin fixture exists: test/data/formats/austin/*.austin are written by hand
// after austin's documented text format (README "Output format": `# key: value`
// metadata, `P<pid>;T<iid>:<tid>;<file>:<function>:<line>;... <metric>`, full mode
// `<us>,<idle>,<memory delta>`). Expected numbers come from the files with
//   awk '/^P/ {split($NF,m,","); t+=m[1]; n++; if (m[2]==1) idle+=m[1]; mem+=m[3]} END {print n, t, idle, mem}' F
// and the thread list from  awk '/^P/ {split($1,a,";"); print a[1]";"a[2]}' F | sort -u
const data = (name: string) => new Uint8Array(readFileSync(testData(`formats/austin/${name}`)));

/** Function-name stacks -> weight (in the profile's unit). */
function nameStacks(p: Profile, hideIdle = false): Record<string, number> {
  const w = stackWeights(p, { hideIdle });
  const names: string[] = [];
  const out: Record<string, number> = {};
  for (let s = 0; s < p.stacks.length; s++) {
    const pre = p.stacks.prefix[s];
    const n = funcName(p, p.frames.func[p.stacks.frame[s]]);
    names[s] = pre < 0 ? n : `${names[pre]};${n}`;
    if (w[s] > 0) out[names[s]] = (out[names[s]] ?? 0) + w[s];
  }
  return out;
}

test('austin: wall mode, metadata, threads per pid and tid, Windows paths', () => {
  const bytes = data('wall.austin');
  assertSniffsAs(bytes, 'austin', 'wall.austin');
  const p = readAustin(bytes);
  assert.equal(p.meta.format, 'austin');
  assert.equal(p.meta.weightUnit, 'us');
  assert.equal(p.meta.interval, 0.1);
  assert.equal(p.meta.formatVersion, 3.6);
  assert.deepEqual(p.meta.extra, {
    austin: '3.6.0',
    interval: '100',
    mode: 'wall',
    python: '3.11.4',
    duration: '1200',
    sampling: '99,101,130',
    saturation: '0/12',
    errors: '0/12',
  });
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id]),
    [
      ['4317', '0:7f1c2a3b4740'],
      ['4317', '0:7f1c29fff640'],
      ['4318', '0:7f1c2a3b4740'],
    ],
  );
  // 6 samples, 1200 us; the thread caught without Python frames still counts.
  assert.equal(totalWeight(stackWeights(p)), 1200);
  assert.deepEqual(nameStacks(p), {
    '<module>;main;primes': 600,
    '_bootstrap;Thread.run;<lambda>': 150,
    '[no Python frame]': 50,
    '<module>;Job.step': 400,
  });
  const step = [...Array(p.funcs.length).keys()].find((f) => funcName(p, f) === 'Job.step')!;
  assert.equal(funcFile(p, step), 'C:\\work\\job.py');
  // primes ran at lines 9 (400 us) and 10 (200 us): one function, two frames.
  const primesFrames = [...Array(p.frames.length).keys()].filter((f) => funcName(p, p.frames.func[f]) === 'primes');
  assert.deepEqual(
    primesFrames.map((f) => p.frames.line[f]),
    [9, 10],
  );
  // Sample times accumulate per thread (ms).
  assert.deepEqual([...p.threads[0].samples.time], [0, 0.3, 0.5]);
  assertExportRoundTrip(p, 'speedscope', { threads: 3 });
  assertExportRoundTrip(p, 'pprof', { threads: 3 });
  assertExportRoundTrip(p, 'collapsed', { scale: 1 });
});

test('austin: memory mode weighs allocations, releases go to the memory counter', () => {
  const p = readAustin(data('memory.austin'));
  assert.equal(p.meta.weightUnit, 'bytes');
  assert.ok(p.meta.flags.includes('memory'));
  // Allocations 4096 + 2048 + 1024; 1024 released; one sample with no change.
  assert.deepEqual(nameStacks(p), { '<module>;load': 5120, '<module>;build': 2048 });
  assert.equal(p.meta.extra.bytesReleased, '1024');
  assert.equal(p.counters.length, 1);
  assert.deepEqual([...p.counters[0].value], [4096, 3072, 5120, 5120, 6144]);
});

test('austin: full mode: time weights, idle category, GC frames, memory counter', () => {
  const p = readAustin(data('full.austin'));
  assert.equal(p.meta.weightUnit, 'us');
  assert.equal(p.threads.length, 2);
  // 6500 us in all, 3000 us of it idle (awk: fields with idle flag 1).
  assert.equal(totalWeight(stackWeights(p)), 6500);
  assert.equal(totalWeight(stackWeights(p, { hideIdle: true })), 3500);
  assert.deepEqual(nameStacks(p, true), { '<module>;serve;handle': 1000, '<module>;serve;handle;[GC]': 500, worker: 2000 });
  const gc = [...Array(p.funcs.length).keys()].find((f) => funcName(p, f) === '[GC]')!;
  assert.equal(funcKind(p, gc), 'gc');
  // Memory deltas in sample-time order: (0,0) (0,+1024) (1,+512) (2,0) (2,-128) (3,-256); the sum is 1152 (awk).
  assert.deepEqual([...p.counters[0].value], [0, 1024, 1536, 1536, 1408, 1152]);
  assertExportRoundTrip(p, 'speedscope', { threads: 2 });
});

test('austin: austin 3.0 thread ids without interpreter id', () => {
  const p = readAustin(data('legacy-thread.austin'));
  assert.deepEqual(
    p.threads.map((t) => t.id),
    ['140234'],
  );
  assert.deepEqual(nameStacks(p), { '<module>;f': 120, '<module>;g': 80 });
});

test('austin: bad input is one error naming the line', () => {
  assertFormatError(() => readAustin(utf8('# austin: 3.6.0\n# mode: wall\nP1;T0:1;a.py:f:1 10\nnot a sample\n')), 'austin', /line 4/);
  assertFormatError(() => readAustin(utf8('# mode: wall\nP1;T0:1;a.py:f:1 10,0,5\n')), 'austin', /3 metrics in wall mode.*line 2/);
  assertFormatError(() => readAustin(utf8('# mode: full\nP1;T0:1;a.py:f:1 10,2,5\n')), 'austin', /idle flag must be 0 or 1/);
  assertFormatError(() => readAustin(utf8('# mode: warp\n')), 'austin', /unknown mode "warp"/);
  assertFormatError(() => readAustin(utf8('P1;T0:1;no-colons-here 10\n')), 'austin', /expected a frame/);
  assertFormatError(() => readAustin(utf8('P1;T0:1;a.py:f:1 99999999999999999999\n')), 'austin', /metric out of range/);
  assertFormatError(() => readAustin(utf8('P1;T0:1;a.py:f:1 -5\n')), 'austin', /negative time/);
  assertFormatError(() => readAustin(utf8('')), 'austin', /no austin samples/);
  // A truncated last line (cut mid-frame) is an error, not a silent drop.
  const text = new TextDecoder().decode(data('wall.austin'));
  assertFormatError(() => readAustin(utf8(text.slice(0, text.indexOf('primes:10') + 3))), 'austin', /line 7/);
  // Hostile names stay text.
  const p = readAustin(utf8('P1;T0:1;<script>.py:<img src=x onerror=alert(1)>:3 10\n'));
  assert.deepEqual(nameStacks(p), { '<img src=x onerror=alert(1)>': 10 });
});
