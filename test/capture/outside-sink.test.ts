/**
 * The outside sampler's VMProf sink, fed known samples: each look is one record (count 1, as
 * vmprof-python's reader insists) with its weight in a `w:` META written ahead of the batch; a
 * thread's later name never repeats a META key; the reader gives back the weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmprofFileSink } from '../../src/capture/outside/vmprof-sink.js';
import type { CodeInfo } from '../../src/capture/outside/python.js';
import { MARKER_META, MARKER_STACKTRACE, readMeta, walkRecords } from '../../src/formats/vmprof/records.js';
import { readVmprof } from '../../src/formats/vmprof/index.js';
import { collapsedStacks } from '../../src/formats/collapsed.js';
import { profileFacts } from '../../src/report/info.js';
import { decode, sum, weightsOf } from './vmprof-decode.js';

const code = (id: number, name: string, qualname = name): CodeInfo => ({
  id,
  address: 0x1000 * id,
  name,
  qualname,
  file: '/app/x.py',
  firstLine: id,
  linetable: new Uint8Array(0),
  fingerprint: '',
  lines: new Map(),
});

function written(feed: (sink: VmprofFileSink) => void): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-sink-'));
  try {
    const path = join(dir, 'x.prof');
    const sink = new VmprofFileSink(path);
    sink.begin({
      pid: 42,
      ppid: 1,
      python: '3.12.0',
      mode: 'wall',
      rateHz: 100,
      lines: false,
      memory: false,
      gil: false,
      startMs: Date.UTC(2026, 0, 1),
    });
    feed(sink);
    sink.end({
      samples: 0,
      idleSamples: 0,
      looks: 0,
      stackReads: 0,
      tornReads: 0,
      tornStacks: 0,
      durationS: 1,
      cpuS: 0.5,
      samplerCpuS: 0.01,
      processes: 1,
    });
    return new Uint8Array(readFileSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a look standing for n periods is one record weighing n, the w: META ahead of it', () => {
  const main = code(1, '<module>');
  const work = code(2, 'work');
  const bytes = written((sink) => {
    sink.thread({ pid: 42, tid: 7, name: 'MainThread' });
    const at = (timeMs: number, count: number, idle = false) =>
      sink.sample({
        pid: 42,
        tid: 7,
        frames: [
          { code: work, line: 3 },
          { code: main, line: 9 },
        ],
        count,
        idle,
        rssKb: 0,
        timeMs,
      });
    at(1, 3);
    at(2, 1);
    at(3, 5, true);
    at(400, 1); // after the 0.25 s flush: a batch of weight 1 needs no w:
  });
  const d = decode(bytes);
  assert.equal(d.stacks.length, 4, 'one record per look');
  assert.deepEqual(weightsOf(d), [3, 1, 5, 1]);
  assert.equal(d.meta.get('records'), '4');
  assert.deepEqual(
    [...d.meta.keys()].filter((k) => k.startsWith('w:')),
    ['w:0'],
  );
  // in file order, the w: META comes before the first record it weighs
  const walk = walkRecords(bytes);
  assert.ok(walk);
  const order = walk.records
    .filter((r) => r.marker === MARKER_STACKTRACE || (r.marker === MARKER_META && readMeta(bytes, r.start)[0].startsWith('w:')))
    .map((r) => (r.marker === MARKER_STACKTRACE ? 'stack' : 'w'));
  assert.deepEqual(order, ['w', 'stack', 'stack', 'stack', 'stack']);

  const profile = readVmprof(bytes);
  const facts = profileFacts(profile);
  assert.equal(facts.samples, 4, 'looks');
  assert.equal(facts.totalWeight, 10, 'weighted periods');
  assert.equal(facts.totalWeight, sum(weightsOf(d)));
  const stacks = Object.fromEntries(collapsedStacks(profile).map((s) => [s.stack, s.weight]));
  assert.deepEqual(stacks, {
    '<module> (/app/x.py:1);work (/app/x.py:2)': 5,
    '<module> (/app/x.py:1);work (/app/x.py:2);<idle>': 5,
  });
});

test("a thread's later name is written once under thread_renamed:, never as a second thread_name:", () => {
  const bytes = written((sink) => {
    sink.thread({ pid: 42, tid: 9, name: 'python3.12' });
    sink.sample({ pid: 42, tid: 9, frames: [{ code: code(1, 'run'), line: 1 }], count: 1, idle: false, rssKb: 0, timeMs: 1 });
    sink.thread({ pid: 42, tid: 9, name: 'late-registered' });
    sink.thread({ pid: 42, tid: 9, name: 'late-registered' });
  });
  const d = decode(bytes); // asserts every META key appears once, as vmprof-python's reader does
  assert.equal(d.meta.get('thread_name:0x9'), 'python3.12');
  assert.equal(d.meta.get('thread_renamed:0x9'), 'late-registered');
  assert.deepEqual(
    readVmprof(bytes).threads.map((t) => t.name),
    ['late-registered'],
  );
});
