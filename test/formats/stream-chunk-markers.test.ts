/**
 * The chunk's optional `markers` list (PyPy's GC/JIT phases): it round-trips, chunks without
 * it stay valid, and every malformed marker is one clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'fflate';
import { decodeChunk, encodeChunk, MAX_CHUNK_MARKERS, type StreamChunk } from '../../src/formats/stream-chunk.js';
import { ProfileFormatError } from '../../src/formats/errors.js';

const base: StreamChunk = {
  service: 'api',
  labels: { host: 'h1' },
  from: 1_764_700_000_000,
  until: 1_764_700_010_000,
  unit: 'samples',
  kind: 'cpu',
  sender: 's1',
  seq: 3,
  frames: ['main (app.py:1)'],
  stacks: [[0]],
  weights: [5],
};

const raw = (object: Record<string, unknown>) => gzipSync(new TextEncoder().encode(JSON.stringify({ pyrometerChunk: 1, ...object })));

test('markers round-trip through encodeChunk/decodeChunk; a chunk without them has none', () => {
  const markers = [
    { name: 'gc-minor', start: 1_764_700_000_012.5, end: 1_764_700_000_013.25, category: 'gc' as const, depth: 0 },
    { name: 'gc-minor-walkroots', start: 1_764_700_000_012.6, end: 1_764_700_000_012.9, category: 'gc' as const, depth: 1 },
    { name: 'jit-tracing', start: 1_764_700_000_100, end: 1_764_700_000_140, category: 'jit' as const, depth: 0 },
  ];
  assert.deepEqual(decodeChunk(encodeChunk({ ...base, markers })).markers, markers);
  const old = decodeChunk(encodeChunk(base));
  assert.equal(old.markers, undefined);
  assert.equal('markers' in old, false);
  // depth may be left out (0).
  const noDepth = decodeChunk(raw({ ...base, markers: [{ name: 'x', start: 5, end: 6, category: 'other' }] }));
  assert.deepEqual(noDepth.markers, [{ name: 'x', start: 5, end: 6, category: 'other', depth: 0 }]);
});

test('bad markers are one-line errors naming the marker and what is wrong', () => {
  const good = { name: 'gc-minor', start: 10, end: 11, category: 'gc' };
  const cases: [unknown, RegExp][] = [
    [{}, /"markers" must be an array/],
    [[null], /marker 0 must be an object/],
    [[good, { ...good, name: '' }], /marker 1: "name"/],
    [[{ ...good, name: 'a;b' }], /marker 0: "name"/],
    [[{ ...good, name: 'x'.repeat(65) }], /marker 0: "name"/],
    [[{ ...good, start: 'soon' }], /marker 0: "start" and "end"/],
    [[{ ...good, end: 9 }], /start <= end/],
    [[{ ...good, start: 0, end: 1 }], /ms since the epoch/],
    [[{ ...good, end: null }], /"start" and "end"/],
    [[{ ...good, category: 'io' }], /"category" must be one of gc, jit, other/],
    [[{ ...good, depth: -1 }], /"depth"/],
    [[{ ...good, depth: 1.5 }], /"depth"/],
    [Array.from({ length: MAX_CHUNK_MARKERS + 1 }, () => good), /at most 100000 markers/],
  ];
  for (const [markers, message] of cases) {
    assert.throws(
      () => decodeChunk(raw({ ...base, markers })),
      (err: unknown) => err instanceof ProfileFormatError && message.test(err.message) && !err.message.includes('\n'),
      JSON.stringify(markers).slice(0, 80),
    );
  }
});
