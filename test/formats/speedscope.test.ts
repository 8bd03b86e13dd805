import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import { readSpeedscope, speedscopeDocument, writeSpeedscope } from '../../src/formats/speedscope.js';
import { readCollapsed } from '../../src/formats/collapsed.js';
import { readPstats } from '../../src/formats/pstats/index.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { syntheticProfile } from './writer-profiles.js';
import type { Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertSniffsAs, multisetTotal, stackMultiset, utf8 } from './format-helpers.js';

const stacks = (p: Profile) => Object.fromEntries([...stackMultiset(p)].sort());

// Expected values from the fixtures:
//   jq -c '[.profiles[] | {type, unit, n: (.samples // .events | length), w: ((.weights // []) | add)}]' F
// sampled: weights [1,1,4,3,5] in seconds over samples [a,b,c] [a,b,c] [a,b,d] [a,b,c] [a,b] -> a;b;c 5 s, a;b;d 4 s, a;b 5 s.
// evented (unit none): O a@0 O b@0 O c@0 C c@2 O d@2 C d@6 O c@6 C c@9 C b@14 C a@14 -> a;b;c 2+3, a;b;d 4, a;b 5.
const sampledMs = { 'a;b': 5000, 'a;b;c': 5000, 'a;b;d': 4000 };
const cases = [
  {
    file: 'speedscope/simple-sampled.speedscope.json',
    threads: ['simple.speedscope.json'],
    unit: 'ms',
    stacks: sampledMs,
    version: '0.1.2',
  },
  {
    file: 'speedscope/simple.speedscope.json',
    threads: ['simple.txt'],
    unit: 'samples',
    stacks: { 'a;b': 5, 'a;b;c': 5, 'a;b;d': 4 },
    version: '0.0.1',
  },
  {
    file: 'speedscope/two-sampled.speedscope.json',
    threads: ['one', 'two'],
    unit: 'ms',
    version: undefined,
    stacks: { 'a;b': 10000, 'a;b;c': 10000, 'a;b;d': 8000 },
  },
];

for (const c of cases) {
  test(`speedscope: ${c.file}`, () => {
    const bytes = fixtureBytes(c.file);
    assertSniffsAs(bytes, 'speedscope', c.file);
    const p = readSpeedscope(bytes);
    assert.equal(p.meta.format, 'speedscope');
    assert.equal(p.meta.weightUnit, c.unit);
    assert.deepEqual(
      p.threads.map((t) => t.name),
      c.threads,
    );
    assert.deepEqual(stacks(p), c.stacks);
    assert.equal(p.meta.extra.version, c.version);
    assert.deepEqual(p.meta.warnings, []);
    assertExportRoundTrip(p, 'speedscope', { threads: c.threads.length });
  });
}

test('speedscope: evented profile keeps event times as sample times', () => {
  const p = readSpeedscope(fixtureBytes('speedscope/simple.speedscope.json'));
  // Intervals with a non-empty stack: [0,2) c, [2,6) d, [6,9) c, [9,14) b.
  assert.deepEqual([...p.threads[0].samples.time], [0, 2, 6, 9]);
  assert.deepEqual([...p.threads[0].samples.weight], [2, 4, 3, 5]);
});

test('speedscope: writer emits one sampled profile per thread over shared frames, in the profile unit', () => {
  const b = new ProfileBuilder('test', { weightUnit: 'ms' });
  const main = b.thread('1', 'MainThread', '77');
  const worker = b.thread('2', 'worker', '77');
  const f = b.frame(b.func('<script>alert(1)</script>', 'x.py', 10), 12);
  const g = b.frame(b.func('g', '', 0, 'native'));
  b.addSampleFrames(main, [f, g], 0, 2.5);
  b.addSampleFrames(worker, [f], 0, 1);
  const doc = speedscopeDocument(b.build());
  // Frames are numbered as stacks are walked from the leaf.
  assert.deepEqual(doc.shared.frames, [{ name: 'g' }, { name: '<script>alert(1)</script>', file: 'x.py', line: 12 }]);
  assert.deepEqual(
    doc.profiles.map((p) => [p.type, p.name, p.unit, p.endValue, p.samples, p.weights]),
    [
      ['sampled', 'MainThread (pid 77)', 'milliseconds', 2.5, [[1, 0]], [2.5]],
      ['sampled', 'worker (pid 77)', 'milliseconds', 1, [[1]], [1]],
    ],
  );
  // Text survives JSON: the hostile name is data, not markup.
  assert.equal(JSON.parse(writeSpeedscope(b.build())).shared.frames[1].name, '<script>alert(1)</script>');
});

test('speedscope: round trips of other formats (collapsed counts, pstats ms)', () => {
  assertExportRoundTrip(readCollapsed(fixtureBytes('collapsed/recursion.txt')), 'speedscope');
  assertExportRoundTrip(readPstats(fixtureBytes('cprofile/cprofile-python3-primes.pstats')), 'speedscope');
});

/** Shape errors name the JSON path (JSON has no lines we could point to more usefully). */
function assertShapeError(json: unknown, path: RegExp): void {
  let caught: unknown;
  try {
    readSpeedscope(utf8(JSON.stringify(json)));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ProfileFormatError, String(caught));
  assert.equal(caught.format, 'speedscope');
  assert.match(caught.message, path);
}

test('speedscope: bad input is one error naming where', () => {
  const schema = 'https://www.speedscope.app/file-format-schema.json';
  assertFormatError(() => readSpeedscope(utf8('')), 'speedscope', /empty input/);
  // Truncated JSON: the byte offset where the text ends.
  const full = new TextDecoder().decode(fixtureBytes('speedscope/simple-sampled.speedscope.json'));
  const cut = full.slice(0, 200);
  const e = assertFormatError(() => readSpeedscope(utf8(cut)), 'speedscope', /unexpected end of input/);
  assert.equal(e.offset, 200);
  assertFormatError(() => readSpeedscope(utf8('{"$schema": "x", "profiles": [1,}')), 'speedscope', /at byte 32/);
  assertShapeError({ $schema: schema, shared: { frames: [] }, profiles: {} }, /\$\.profiles: expected an array/);
  assertShapeError(
    { $schema: schema, shared: { frames: [{ name: 3 }] }, profiles: [] },
    /\$\.shared\.frames\[0\]\.name: expected a string/,
  );
  const sampled = { type: 'sampled', name: 'x', unit: 'seconds', startValue: 0, endValue: 1 };
  assertShapeError(
    { $schema: schema, shared: { frames: [{ name: 'a' }] }, profiles: [{ ...sampled, samples: [[0, 5]], weights: [1] }] },
    /samples\[0\]\[1\]: no frame 5/,
  );
  assertShapeError(
    { $schema: schema, shared: { frames: [{ name: 'a' }] }, profiles: [{ ...sampled, samples: [[0]], weights: [] }] },
    /0 weights for 1 samples/,
  );
  assertShapeError(
    { $schema: schema, shared: { frames: [{ name: 'a' }] }, profiles: [{ ...sampled, unit: 'parsecs', samples: [], weights: [] }] },
    /unknown unit "parsecs"/,
  );
  const evented = { type: 'evented', name: 'x', unit: 'none', startValue: 0, endValue: 1 };
  assertShapeError(
    {
      $schema: schema,
      shared: { frames: [{ name: 'a' }, { name: 'b' }] },
      profiles: [
        {
          ...evented,
          events: [
            { type: 'O', at: 0, frame: 0 },
            { type: 'C', at: 1, frame: 1 },
          ],
        },
      ],
    },
    /events\[1\]: closes frame 1, which is not the innermost open frame/,
  );
});

test('speedscope: huge weights and deep stacks', () => {
  const schema = 'https://www.speedscope.app/file-format-schema.json';
  const depth = 20000;
  const deep = {
    $schema: schema,
    shared: { frames: [{ name: 'r' }] },
    profiles: [
      { type: 'sampled', name: 'deep', unit: 'bytes', startValue: 0, endValue: 1e300, samples: [Array(depth).fill(0)], weights: [1e300] },
    ],
  };
  const p = readSpeedscope(utf8(JSON.stringify(deep)));
  assert.equal(p.stacks.length, depth);
  assert.equal(multisetTotal(stackMultiset(p)), 1e300);
  assertExportRoundTrip(p, 'speedscope');
});

test('speedscope: round trip of the shared synthetic profile (hostile names, two threads)', () => {
  assertExportRoundTrip(syntheticProfile(), 'speedscope', { threads: 2 });
});
