import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFormatErrors } from '../../src/formats/reader-guard.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { formatByName } from '../../src/formats/all.js';
import { utf8 } from './format-helpers.js';

test('reader guard: anything a reader throws reaches callers as one ProfileFormatError', () => {
  const err = (() => {
    try {
      withFormatErrors('perf', () => {
        throw new RangeError('Invalid string length\n    at a stack frame');
      });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ProfileFormatError);
  assert.equal(err.format, 'perf');
  assert.equal(err.message, 'perf: could not read the input (Invalid string length)');
  // A reader's own errors pass through unchanged, position included.
  const own = new ProfileFormatError('pstats', 'truncated', 12);
  assert.throws(
    () =>
      withFormatErrors('pstats', () => {
        throw own;
      }),
    (e) => e === own,
  );
  assert.equal(
    withFormatErrors('x', () => 42),
    42,
  );
});

test('reader guard: the registered pstats, callgrind, perf, pypylog and jitlog readers reject garbage with their own format name', () => {
  for (const name of ['pstats', 'callgrind', 'perf', 'pypylog', 'jitlog']) {
    const format = formatByName(name)!;
    assert.throws(
      () => format.read!(utf8('\u0000garbage\n'), {}),
      (e) => e instanceof ProfileFormatError && e.format === name,
      name,
    );
  }
});
