import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, fixtureBytes, testData } from '../helpers.js';
import { readFileSync } from 'node:fs';
import { firefoxProfileTree } from '../../src/formats/firefox/index.js';
import { readFirefox } from '../../src/formats/firefox/read.js';
import { jsonText } from '../../src/formats/json-chunks.js';
import { loadProfile } from '../../src/formats/load.js';
import { readPstats } from '../../src/formats/pstats/index.js';
import { readAustin } from '../../src/formats/austin.js';
import { CATEGORIES, FUNCTION_KINDS, funcFile, funcName, type Profile } from '../../src/model/profile.js';
import { assertFormatError, assertSameStacks, toBaseUnit, assertSniffsAs, stackMultiset, utf8 } from './format-helpers.js';
import { syntheticProfile } from './writer-profiles.js';

/** Functions as (name, file, line, kind), sorted. */
const functions = (p: Profile) =>
  Array.from(
    { length: p.funcs.length },
    (_, f) => `${funcName(p, f)}|${funcFile(p, f)}|${p.funcs.line[f]}|${FUNCTION_KINDS[p.funcs.kind[f]]}`,
  ).sort();
/** Frames as (function, line, category), sorted. */
const frames = (p: Profile) =>
  Array.from(
    { length: p.frames.length },
    (_, r) => `${funcName(p, p.frames.func[r])}|${p.frames.line[r]}|${CATEGORIES[p.frames.category[r]]}`,
  ).sort();
/** Each thread's samples: stack labels, times and weights in order. */
function samples(p: Profile): string[][] {
  const labels: string[] = [];
  for (let s = 0; s < p.stacks.length; s++) {
    const pre = p.stacks.prefix[s];
    const f = p.stacks.frame[s];
    const label = `${funcName(p, p.frames.func[f])}:${p.frames.line[f]}:${CATEGORIES[p.frames.category[f]]}`;
    labels[s] = pre < 0 ? label : `${labels[pre]};${label}`;
  }
  const scale = toBaseUnit(p.meta.weightUnit); // us and ns are written as ms
  return p.threads.map((t) =>
    Array.from(
      { length: t.samples.length },
      (_, i) =>
        `${t.samples.stack[i] < 0 ? '' : labels[t.samples.stack[i]]} @${t.samples.time[i].toFixed(4)} w${(t.samples.weight[i] * scale).toPrecision(6)}`,
    ),
  );
}

function assertRoundTrip(original: Profile): Profile {
  const text = jsonText(firefoxProfileTree(original));
  const bytes = utf8(text);
  assertSniffsAs(bytes, 'firefox', 'out.firefox.json');
  const back = readFirefox(bytes);
  assert.deepEqual(functions(back), functions(original), 'functions');
  assert.deepEqual(frames(back), frames(original), 'frames');
  assert.deepEqual(samples(back), samples(original), 'samples: stacks, times and weights');
  // Weights are written with 6 decimals.
  assertSameStacks(stackMultiset(back), stackMultiset(original), 1e-6);
  assert.equal(
    back.meta.weightUnit,
    original.meta.weightUnit === 'us' || original.meta.weightUnit === 'ns'
      ? 'ms'
      : original.meta.weightUnit === 'events' || original.meta.weightUnit === 'instructions'
        ? 'samples'
        : original.meta.weightUnit,
  );
  assert.deepEqual(
    back.threads.map((t) => [t.id, t.name, t.processId]),
    original.threads.map((t) => [t.id, t.name || `Thread ${t.id}`, t.processId || '0']),
  );
  assert.equal(back.meta.interpreter, original.meta.interpreter);
  assert.deepEqual(back.meta.flags, original.meta.flags);
  return back;
}

test('firefox: our processed output reads back as the model it came from (synthetic: every category, hostile names, markers)', () => {
  const original = syntheticProfile();
  const back = assertRoundTrip(original);
  const markers = (p: Profile) => {
    const m = p.threads[0].markers;
    return Array.from({ length: m.length }, (_, i) => [
      p.strings[m.name[i]],
      m.start[i],
      m.end[i],
      p.strings[m.category[i]],
      m.depth[i],
      m.data[i],
    ]);
  };
  assert.deepEqual(markers(back), markers(original));
});

test('firefox: round trip of real profiles (VMProf of PyPy, cProfile, austin wall time)', async () => {
  assertRoundTrip(await loadProfile(fixture('vmprof/pypy-primes-mem.prof')));
  assertRoundTrip(await loadProfile(fixture('vmprof/pypy-threads-realtime.prof')));
  assertRoundTrip(readPstats(fixtureBytes('cprofile/cprofile-python3-primes.pstats')));
  assertRoundTrip(readAustin(new Uint8Array(readFileSync(testData('formats/austin/wall.austin')))));
});

test('firefox: gecko profiles (and the DevTools wrapper) read every thread, JS frames with files', () => {
  const gecko = {
    meta: { version: 9, interval: 1, startTime: 1000, product: 'Firefox' },
    libs: [],
    threads: [
      {
        name: 'GeckoMain',
        tid: 7,
        pid: 3,
        stringTable: ['main (https://x/app.js:10:4)', 'js::RunScript', 'leaf (https://x/lib.js:2)', '0x7fff1234'],
        frameTable: {
          schema: { location: 0, implementation: 1, optimizations: 2, line: 3, category: 4 },
          data: [[0], [1], [2, null, null, 2, 16], [3]],
        },
        stackTable: {
          schema: { prefix: 0, frame: 1 },
          data: [
            [null, 0],
            [0, 1],
            [1, 2],
            [0, 3],
          ],
        },
        samples: {
          schema: { stack: 0, time: 1, responsiveness: 2 },
          data: [
            [2, 0.5, 0],
            [2, 1.5, 0],
            [3, 2.0, 0],
            [null, 3.0, 0],
          ],
        },
        markers: { schema: { name: 0, time: 1, data: 2 }, data: [[1, 0.7, null]] },
      },
    ],
    processes: [
      {
        meta: { version: 9, interval: 1, startTime: 1010 },
        threads: [
          {
            name: 'Content',
            tid: 9,
            pid: 4,
            stringTable: ['f (a.js:1)'],
            frameTable: { schema: { location: 0 }, data: [[0]] },
            stackTable: { schema: { prefix: 0, frame: 1 }, data: [[null, 0]] },
            samples: {
              schema: { stack: 0, time: 1 },
              data: [
                [0, 1],
                [0, 3],
              ],
            },
          },
        ],
      },
    ],
  };
  for (const bytes of [
    utf8(JSON.stringify(gecko)),
    utf8(JSON.stringify({ label: 'x', duration: 3, markers: [], profile: gecko, systemHost: { name: 'Firefox' } })),
  ]) {
    assertSniffsAs(bytes, 'firefox');
    const p = readFirefox(bytes);
    assert.deepEqual(
      p.threads.map((t) => [t.name, t.id, t.processId]),
      [
        ['GeckoMain', '7', '3'],
        ['Content', '9', '4'],
      ],
    );
    // Each sample lasts until the next (the last: one interval); the child process starts 10 ms later.
    assert.deepEqual(Object.fromEntries(stackMultiset(p)), {
      'main (https://x/app.js:10);js::RunScript;leaf (https://x/lib.js:2)': 1.5,
      'main (https://x/app.js:10);0x7fff1234': 1,
      'f (a.js:1)': 3,
    });
    assert.deepEqual([...p.threads[1].samples.time], [11, 13]);
    assert.equal(p.strings[p.threads[0].markers.name[0]], 'js::RunScript');
  }
});

test('firefox: bad input is one error', () => {
  assertFormatError(() => readFirefox(utf8('{"meta": {"preprocessedProfileVersion": 70}, ')), 'firefox', /unexpected end of input/);
  const shape = (value: unknown, pattern: RegExp) =>
    assert.throws(
      () => readFirefox(utf8(JSON.stringify(value))),
      (e: Error) => e.name === 'ProfileFormatError' && pattern.test(e.message) && !e.message.includes('\n'),
    );
  const good = JSON.parse(jsonText(firefoxProfileTree(syntheticProfile())));
  const broken = structuredClone(good);
  broken.shared.stackTable.frame[3] = 10 ** 6;
  shape(broken, /stackTable\.frame\[3\]: 1000000 is not an index/);
  const cyclic = structuredClone(good);
  cyclic.shared.stackTable.prefixOffset[2] = -1;
  shape(cyclic, /prefixOffset\[2\]: 3 is not an index below 2/);
  shape({ meta: { preprocessedProfileVersion: 70 }, threads: 'x' }, /\$\.threads: expected an array/);
  shape({ meta: { version: 9 }, threads: [{ stringTable: [], frameTable: { schema: {}, data: [] } }] }, /no location column/);
});
