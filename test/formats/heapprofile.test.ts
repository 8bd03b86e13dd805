import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testData } from '../helpers.js';
import { readHeapProfile } from '../../src/formats/heapprofile.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import type { Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertNotSniffedAs, assertSniffsAs, stackMultiset, utf8 } from './format-helpers.js';

const stacks = (p: Profile) => Object.fromEntries([...stackMultiset(p)].sort());
const node = (functionName: string, selfSize: number, children: unknown[] = [], url = 'app.js', lineNumber = 0) => ({
  callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: '1' },
  selfSize,
  children,
});

test('heapprofile: allocated bytes per call path', () => {
  const bytes = utf8(
    JSON.stringify({ head: node('(root)', 0, [node('main', 100, [node('alloc', 4096, [], 'lib.js', 9), node('', 8)])], '', -1) }),
  );
  assertSniffsAs(bytes, 'heapprofile', 'Heap-1.heapprofile');
  const p = readHeapProfile(bytes);
  assert.equal(p.meta.weightUnit, 'bytes');
  assert.deepEqual(stacks(p), {
    'main (app.js:1)': 100,
    'main (app.js:1);alloc (lib.js:10)': 4096,
    'main (app.js:1);(anonymous) (app.js:1)': 8,
  });
  assertExportRoundTrip(p, 'speedscope');
  assertExportRoundTrip(p, 'pprof');
});

test('heapprofile: a real node --heap-prof file', () => {
  const bytes = new Uint8Array(readFileSync(testData('formats/node/node-heap-prof.heapprofile')));
  assertSniffsAs(bytes, 'heapprofile');
  const p = readHeapProfile(bytes);
  // The workload keeps ~20 arrays of 20,000 objects alive; V8 samples every 512 KiB on average.
  const total = [...stackMultiset(p).values()].reduce((a, b) => a + b, 0);
  assert.ok(total > 1e6, `${total} bytes`);
  assert.ok(
    [...stackMultiset(p).keys()].some((k) => /alloc \(\[eval\]:2\)/.test(k)),
    'alloc is on an allocating path',
  );
});

test('heapprofile: not a cpuprofile, and bad input is one error', () => {
  assertNotSniffedAs(utf8('{"head":{"functionName":"(root)","children":[]},"samples":[]}'), 'heapprofile');
  // Shape errors name the JSON path instead of a byte offset.
  const shape = (text: string, pattern: RegExp) =>
    assert.throws(
      () => readHeapProfile(utf8(text)),
      (e) => e instanceof ProfileFormatError && e.format === 'heapprofile' && pattern.test(e.message) && !e.message.includes('\n'),
    );
  shape('{"head": {"callFrame": {}, "selfSize": -1}}', /\$\.head\.selfSize: negative size/);
  shape('{"head": {"callFrame": 3}}', /\$\.head\.callFrame: expected an object/);
  assertFormatError(() => readHeapProfile(utf8('{"head": ')), 'heapprofile', /unexpected end of input/);
});
