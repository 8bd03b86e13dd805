/**
 * Every reader and the sniffer against inputs built to make them slow or crash
 * them (hostile-inputs.ts), 200 KB each: a reader with quadratic backtracking
 * (the perf header regex took ~15 min on 250 KB) would not finish in the
 * deadline; each case must end in a profile or in our one clean
 * ProfileFormatError, never in another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReaderChild } from './run-child.js';

test('hostile inputs through every reader and the sniffer: all finish, none crashes', { timeout: 300_000 }, async () => {
  const run = await runReaderChild(['hostile', '200000'], 240_000);
  assert.equal(run.hungAfter, null, `a reader did not finish; the last case that did: ${run.hungAfter}\n${run.stderr}`);
  const crashes = run.results.filter((r) => r.outcome.startsWith('crash'));
  assert.deepEqual(crashes, []);
  assert.ok(run.results.length > 300, `${run.results.length} cases`);
  const clean = run.results.filter((r) => r.outcome === 'format-error').length;
  console.log(`hostile inputs: ${run.results.length} cases, ${clean} clean errors, ${run.results.length - clean} read, 0 crashes, 0 hangs`);
});
