/**
 * `pyrometer show FILE.jit` and `show FILE --traces [--json]`: the JIT traces of the word-count
 * fixture, by the profile time that landed in their machine code (the per-trace sample counts
 * are vmprof-python's, see test/formats/jit-traces.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers.js';
import { runCli, stopCli } from './run.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-traces-'));
  copyFileSync(fixture('vmprof/pypy-wordcount.prof'), join(dir, 'run.prof'));
  copyFileSync(fixture('pypy/pypy-wordcount.prof.jit'), join(dir, 'run.prof.jit'));
  copyFileSync(fixture('vmprof/pypy-primes.prof'), join(dir, 'alone.prof'));
});
after(() => {
  stopCli();
  rmSync(dir, { recursive: true, force: true });
});

test('show FILE.jit: the traces of a JIT log alone, by entry count (no more "no samples")', async () => {
  const r = await runCli(['show', join(dir, 'run.prof.jit')]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /no samples\./);
  assert.match(r.stdout, /10 traces \(3 loops, 0 entry bridges, 7 bridges\)/);
  const rows = r.stdout.split('\n').filter((l) => /^\s*[\d,]+\s+(loop|bridge|entry bridge) \d/.test(l));
  assert.equal(rows.length, 10, r.stdout);
  assert.match(rows[0], /1,596,131\s+bridge 5 ← 4\s+_count_elements\s+collections\/__init__\.py:526-527/);
  assert.match(rows[9], /^\s+1\s+loop 12\s+nlargest/);
});

test('show FILE --traces: the jitlog beside the profile, traces by time in their machine code', async () => {
  const r = await runCli(['show', join(dir, 'run.prof'), '--traces']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /90\.0% of samples in JIT code/); // 63 of 70
  const rows = r.stdout.split('\n').filter((l) => /^\s*[\d.]+%\s+\d/.test(l));
  assert.deepEqual(
    rows.slice(0, 5).map((l) => l.trim().split(/\s+/).slice(0, 2)),
    [
      ['55.7%', '39'],
      ['25.7%', '18'],
      ['4.3%', '3'],
      ['2.9%', '2'],
      ['1.4%', '1'],
    ],
  );
  assert.match(rows[0], /loop 10\s+<module>\s+wordcount\.py:3-5 \(\+5 inlined\)/);
});

test('show FILE --traces --json: the same rows for scripts', async () => {
  const r = await runCli(['show', join(dir, 'run.prof'), '--traces', '--json', '--top', '3']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.samples, 70);
  assert.equal(json.jitSamples, 63);
  assert.equal(json.machine, 'x86_64');
  assert.deepEqual(
    json.traces.map((t: { id: number; kind: string; samples: number; percent: number; entryCount: number }) => [
      t.id,
      t.kind,
      t.samples,
      t.percent,
      t.entryCount,
    ]),
    [
      [10, 'loop', 39, 55.714, 55],
      [4, 'loop', 18, 25.714, 200274],
      [5, 'bridge', 3, 4.286, 1596131],
    ],
  );
  assert.equal(json.moreTraces, 7);
  assert.deepEqual(json.traces[2].parent, { trace: 4, opIndex: json.traces[2].parent.opIndex });
  assert.equal(json.traces[0].source.scope, '<module>');
  const jit = await runCli(['show', join(dir, 'run.prof.jit'), '--json']);
  assert.equal(JSON.parse(jit.stdout).traces.length, 10);
});

test('show FILE --traces without a jitlog says how to record one', async () => {
  const r = await runCli(['show', join(dir, 'alone.prof'), '--traces']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /This profile has no JIT log: record one with `pyrometer record --jitlog/);
  const j = await runCli(['show', join(dir, 'alone.prof'), '--traces', '--json']);
  assert.equal(j.code, 2);
  assert.match(j.stderr, /no JIT log/);
});
