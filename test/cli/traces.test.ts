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

test('show FILE --trace ID: one trace operation by operation, under its source lines, guards marked with their bridges', async () => {
  const r = await runCli(['show', join(dir, 'run.prof'), '--trace', '4']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^loop 4: _count_elements \(\/usr\/lib\/pypy3\.9\/collections\/__init__\.py:526\)$/);
  assert.match(lines[1], /entered 200,274 times · 18 samples/);
  const ops = lines.filter((l) => /^\s+\d+ {2}/.test(l));
  assert.equal(ops.length, 104, 'the optimised stage has 104 operations (vmprof-python: len(stages["opt"].ops))');
  const bridged = ops.filter((l) => /→ bridge \d+$/.test(l)).map((l) => Number(/→ bridge (\d+)$/.exec(l)![1]));
  assert.deepEqual(
    bridged.sort((a, b) => a - b),
    [5, 6, 7],
  );
  for (const l of ops.filter((l) => /→ bridge/.test(l))) assert.match(l, /^\s+\d+ {2}guard_/);
  assert.ok(lines.some((l) => /^ {2}_count_elements {2}\/usr\/lib\/pypy3\.9\/collections\/__init__\.py:527 {2}\w+/.test(l)));
  const missing = await runCli(['show', join(dir, 'run.prof.jit'), '--trace', '99']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /the JIT log has no trace 99 \(pyrometer show .* --traces lists them\)/);
});

test('show FILE --trace ID --json: every stage, each operation with its source line, guards with their bridges, machine code as hex', async () => {
  const r = await runCli(['show', join(dir, 'run.prof'), '--trace', '4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.trace.id, 4);
  assert.equal(json.trace.samples, 18);
  assert.deepEqual(json.trace.ops, { noopt: 162, opt: 104, asm: 117 });
  assert.deepEqual(Object.keys(json.stages), ['noopt', 'opt', 'asm']);
  assert.equal(json.stages.opt.length, 104);
  const bridges = json.stages.asm.filter((op: { bridge?: number }) => op.bridge !== undefined);
  assert.deepEqual(bridges.map((op: { bridge: number }) => op.bridge).sort(), [5, 6, 7]);
  for (const op of bridges) assert.match(op.op, /^guard_/);
  const withCode = json.stages.asm.filter((op: { asm?: { hex: string } }) => op.asm && op.asm.hex.length > 0);
  assert.ok(withCode.length > 80);
  assert.ok(json.stages.opt.some((op: { line?: number; scope?: string }) => op.line === 527 && op.scope === '_count_elements'));
  const missing = await runCli(['show', join(dir, 'run.prof'), '--trace', '99', '--json']);
  assert.equal(missing.code, 2);
});
