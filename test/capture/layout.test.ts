/**
 * The bytes our CPython sampler writes, checked record by record against the VMProf layout in
 * docs/formats.md §1 with a decoder written here from that page (not the project's
 * reader), so the files stay readable by vmprof-python's own reader.
 *
 * Cross-check done beside the project (vmprof-python's public source is neither in the project
 * nor in CI): /work/ext/pyrometer-check/compare.sh recorded test/data/capture/split.py (plain;
 * --lines --mem), sleeper.py (--wall), threads.py and native_calls.py (--lines) on CPython 3.11
 * and read each profile with vmprof-python's `vmprof/reader.py` (`_read_prof`) and with ours:
 * identical version (6), interpreter, period, sample count and leaf-function counts per thread
 * in all five (e.g. split: f 408 / g 101 of 509 samples; native: sorted 321 of 378).
 * See docs/design.md "Recording".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bytesOf, dataPath, removeDir, runPyrometer } from './run.js';
import { decode, sum, weightsOf, type Decoded } from './vmprof-decode.js';

async function recordBytes(extra: string[], program: string[]): Promise<Decoded> {
  const run = await runPyrometer(['record', '--in-process', ...extra, '-o', 'b.prof', '--', 'python3', ...program]);
  try {
    assert.equal(run.code, 0, run.stderr);
    return decode(bytesOf(join(run.dir, 'b.prof')));
  } finally {
    removeDir(run.dir);
  }
}

test('CPU mode: header, META, code names before use, one record per look and stack, thread ids, trailer', async () => {
  const d = await recordBytes(['--rate', '500'], [dataPath('split.py'), '8', '60000']);
  assert.equal(d.period, 2000, 'period in microseconds from --rate 500');
  assert.equal(d.version, 6);
  assert.equal(d.flags, 0);
  assert.equal(d.interpreter, 'cpython');
  assert.equal(d.meta.get('sampler'), 'pyrometer');
  assert.equal(d.meta.get('mode'), 'cpu');
  assert.equal(d.meta.get('rate_hz'), '500.0');
  assert.ok(Number(d.meta.get('rate_hz_actual')) > 0);
  assert.equal(Number(d.meta.get('records')), d.stacks.length, 'META records = stack records');
  const weights = weightsOf(d);
  assert.equal(Number(d.meta.get('samples')), sum(weights), "META samples = the records' weights");
  // at 500 Hz the CPU timer fires at most once per kernel tick (4 ms here, or 10): looks stand for more than one period
  assert.ok(
    weights.some((w) => w > 1),
    'some looks weigh more than one period',
  );
  assert.ok(d.stacks.length < Number(d.meta.get('samples')), 'fewer records than periods: each look written once');
  assert.ok(d.trailer);
  assert.ok(d.stacks.length > 20);
  const tid = d.stacks[0].thread;
  assert.equal(d.meta.get(`thread_name:0x${tid.toString(16)}`), 'MainThread');
  // innermost first: the first entry of most samples is f or g, the last is <module> (the last
  // record may be the interpreter's exit, e.g. threading._shutdown)
  const root = d.names.get(d.stacks[0].entries[d.stacks[0].depth - 1]) ?? '';
  assert.match(root, /^py:<module>:1:.*split\.py$/);
  const hot = d.stacks.filter((s) => /^py:(f|g):\d+:/.test(d.names.get(s.entries[0]) ?? '')).length;
  assert.ok(hot >= 0.5 * d.stacks.length, `${hot} of ${d.stacks.length} records have f or g innermost`);
  assert.match(d.names.get(1n) ?? '', /^n:<idle>:0:-$/);
  // ts:<n> marks: sample numbers in order with times in milliseconds
  const marks = [...d.meta].filter(([k]) => k.startsWith('ts:')).map(([k, v]) => [Number(k.slice(3)), Number(v)]);
  assert.ok(marks.length > 0);
  for (let i = 1; i < marks.length; i++) assert.ok(marks[i][0] > marks[i - 1][0] && marks[i][1] >= marks[i - 1][1]);
});

test('--lines --mem: (line, uid) pairs and an RSS word per sample', async () => {
  const d = await recordBytes(['--lines', '--mem'], [dataPath('split.py'), '8', '60000']);
  assert.equal(d.flags, 0x01 | 0x02);
  for (const s of d.stacks) assert.ok(s.rss !== null && s.rss > 1000n, `RSS ${s.rss} KiB`);
});

test('--wall: REAL_TIME flag, and idle threads carry the <idle> native frame on top', async () => {
  const d = await recordBytes(['--wall'], [dataPath('sleeper.py')]);
  assert.equal(d.flags, 0x10);
  assert.equal(d.meta.get('mode'), 'wall');
  const weights = weightsOf(d);
  const idle = d.stacks.flatMap((s, i) => (s.entries[0] === 1n ? [weights[i]] : []));
  assert.ok(idle.length > 0);
  assert.equal(Number(d.meta.get('idle_samples')), sum(idle));
});
