/**
 * The VMProf reader on files from pyrometer's own sampler: `<idle>` frames become category
 * idle, `ts:<n>` marks give samples real times, `thread_pid:<tid>` gives threads their process.
 * Synthesized files (the project's encoder, laid out as the agent writes them, merged by
 * the real merge.ts) pin the exact semantics; real `pyrometer record` runs show it end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readVmprof, readVmprofStream } from '../../src/formats/vmprof/index.js';
import { applySamplerMeta } from '../../src/formats/vmprof/pyrometer-meta.js';
import { VmprofEncoder, type Address } from '../../src/formats/vmprof/write.js';
import { FLAG_MEMORY, FLAG_REAL_TIME } from '../../src/formats/vmprof/records.js';
import { mergeChildProfiles } from '../../src/capture/merge.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { CATEGORIES, CATEGORY_IDLE, CATEGORY_PYTHON, funcName, type Profile } from '../../src/model/profile.js';
import { dataPath, readProfile, removeDir, runPyrometer, totalByName } from '../capture/run.js';
import { assertModelInvariants } from '../model/invariants.js';

const IDLE = 1; // the agent's uid of `n:<idle>:0:-`
const MAIN = 0x1000;
const WORK = 0x2000;
const NAP = 0x3000;
const START_MS = 1_700_000_000_000;

interface Sample {
  entries: Address[];
  tid: number;
  rss?: number;
}

/** A file as the agent writes it: 8-byte words, version 6, the sampler's META keys. */
function samplerFile(options: {
  samples: Sample[];
  meta: Record<string, string>;
  flags?: number;
  sampler?: boolean;
  periodUsec?: number;
}): Uint8Array {
  const enc = new VmprofEncoder();
  enc.staticHeader(options.periodUsec ?? 1000);
  enc.header(6, options.flags ?? FLAG_REAL_TIME, 'cpython');
  enc.startTime(START_MS);
  if (options.sampler !== false) enc.meta('sampler', 'pyrometer');
  enc.nativeSymbol(IDLE, 'n:<idle>:0:-');
  enc.name(MAIN, 'py:main:1:/app/main.py');
  enc.name(WORK, 'py:work:10:/app/main.py');
  enc.name(NAP, 'py:nap:20:/app/main.py');
  for (const [k, v] of Object.entries(options.meta)) enc.meta(k, v);
  for (const s of options.samples) enc.stack(s.entries, s.tid, s.rss ?? 0);
  enc.trailer(START_MS + 100);
  return enc.bytes();
}

function threadByName(p: Profile, name: string): number {
  const t = p.threads.findIndex((th) => th.name === name);
  assert.ok(t >= 0, `thread ${name} among ${p.threads.map((th) => th.name)}`);
  return t;
}

/** Stack of each sample of a thread as "name[category]" innermost first. */
function leafs(p: Profile, thread: number): string[] {
  const { samples } = p.threads[thread];
  return Array.from(samples.stack.subarray(0, samples.length), (s) => {
    const fr = p.stacks.frame[s];
    return `${funcName(p, p.frames.func[fr])}[${CATEGORIES[p.frames.category[fr]]}]`;
  });
}

test('sampler file: <idle> frames are category idle, so hideIdle drops exactly the waiting samples', () => {
  const samples: Sample[] = [
    { entries: [WORK, MAIN], tid: 0x10 },
    { entries: [IDLE, NAP], tid: 0x20 },
    { entries: [WORK, MAIN], tid: 0x10 },
    { entries: [IDLE, NAP], tid: 0x20 },
    { entries: [NAP], tid: 0x20 }, // the napper between naps: not idle
    { entries: [IDLE, WORK, MAIN], tid: 0x10 },
  ];
  const meta = { 'thread_name:0x10': 'MainThread', 'thread_name:0x20': 'napper' };
  const p = readVmprof(samplerFile({ samples, meta }));
  assertModelInvariants(p);
  const napper = threadByName(p, 'napper');
  const main = threadByName(p, 'MainThread');
  assert.deepEqual(leafs(p, napper), ['<idle>[idle]', '<idle>[idle]', 'nap[python]']);
  assert.deepEqual(leafs(p, main), ['work[python]', 'work[python]', '<idle>[idle]']);
  assert.equal(totalWeight(stackWeights(p, { threads: [napper], hideIdle: true })), 1);
  assert.equal(totalWeight(stackWeights(p, { threads: [main], hideIdle: true })), 2);
  assert.equal(totalWeight(stackWeights(p)), 6);

  // the same bytes without META sampler=pyrometer: another writer's `<idle>` is left alone
  const other = readVmprof(samplerFile({ samples, meta, sampler: false }));
  assert.deepEqual(leafs(other, threadByName(other, 'napper')), ['<idle>[native]', '<idle>[native]', 'nap[python]']);
  assert.equal(totalWeight(stackWeights(other, { hideIdle: true })), 6);
});

test('an <idle> frame whose idle twin already exists: stacks move to the twin and merge, invariants kept', () => {
  const b = new ProfileBuilder('vmprof', { formatVersion: 6, interval: 1, extra: { sampler: 'pyrometer' } });
  const idleFn = b.func('<idle>', '', 0, 'native');
  const mainFn = b.func('main', '/app/main.py', 1);
  const root = b.stack(-1, b.frame(mainFn, 0, 'python'));
  const asNative = b.stack(root, b.frame(idleFn, 0, 'native'));
  const asIdle = b.stack(root, b.frame(idleFn, 0, 'idle'));
  const t = b.thread('0x10', 'MainThread');
  b.addSample(t, asNative, 0);
  b.addSample(t, asIdle, 1);
  b.addSample(t, root, 2);
  const p = applySamplerMeta(b.build());
  assertModelInvariants(p);
  assert.equal(p.stacks.length, 2);
  const s = p.threads[0].samples.stack;
  assert.equal(s[0], s[1], 'both idle samples on one stack');
  assert.equal(p.frames.category[p.stacks.frame[s[0]]], CATEGORY_IDLE);
  assert.equal(totalWeight(stackWeights(p, { hideIdle: true })), 1);
  assert.equal(p.frames.category[p.stacks.frame[s[2]]], CATEGORY_PYTHON);
});

test('ts:<n> marks: records between marks are interpolated, the last stretch runs to duration_s, RSS follows', async () => {
  // ten records of two threads, file order; marks at records 0, 4 and 8 (all threads counted)
  const samples: Sample[] = [];
  for (let i = 0; i < 10; i++) samples.push({ entries: [WORK, MAIN], tid: i % 2 === 0 ? 0x10 : 0x20, rss: 1000 + i });
  const meta = {
    'thread_name:0x10': 'a',
    'thread_name:0x20': 'b',
    'ts:0': '0.000',
    'ts:4': '40.000',
    'ts:8': '50.000',
    duration_s: '0.070000',
  };
  const bytes = samplerFile({ samples, meta, flags: FLAG_REAL_TIME | FLAG_MEMORY });
  // record i was written at 0, 10, 20, 30, 40 (10 ms apart up to mark 4), 42.5, 45, 47.5, 50
  // (2.5 ms apart up to mark 8), then 60 (10 ms apart to the end at 70 ms). Each record stands
  // for the period (1 ms) before it was written: that is its sample's time.
  const expected = [0, 9, 19, 29, 39, 41.5, 44, 46.5, 49, 59];
  for (const p of [readVmprof(bytes), await readVmprofStream(chunks(bytes, 7))]) {
    assertModelInvariants(p);
    assert.deepEqual(
      Array.from(p.threads[threadByName(p, 'a')].samples.time),
      expected.filter((_, i) => i % 2 === 0),
    );
    assert.deepEqual(
      Array.from(p.threads[threadByName(p, 'b')].samples.time),
      expected.filter((_, i) => i % 2 === 1),
    );
    const rss = p.counters.find((c) => c.name === 'RSS');
    assert.ok(rss);
    assert.deepEqual(Array.from(rss.time), expected);
    assert.deepEqual(
      Array.from(rss.value),
      expected.map((_, i) => 1000 + i),
    );
  }
  // no marks: the reader's i * period, spread over the recorded start-stop span
  const plain = readVmprof(samplerFile({ samples, meta: { 'thread_name:0x10': 'a' } }));
  const spread = (p: typeof plain) => [0, 2, 4, 6, 8].map((i) => (i * (p.meta.endTime - p.meta.startTime)) / 10);
  assert.equal(plain.meta.sampleTimes, 'spread');
  assert.deepEqual(Array.from(plain.threads[threadByName(plain, 'a')].samples.time), spread(plain));
  // a file from another writer is spread too, whatever its META says
  const other = readVmprof(samplerFile({ samples, meta, sampler: false }));
  assert.equal(other.meta.sampleTimes, 'spread');
  assert.deepEqual(Array.from(other.threads[0].samples.time), spread(other));
});

test('a starved sampler (one late look with many records per thread): each run of a thread reaches back one period per record', () => {
  const samples: Sample[] = [];
  for (let i = 0; i < 50; i++) samples.push({ entries: [WORK, MAIN], tid: 0x10 });
  for (let i = 0; i < 50; i++) samples.push({ entries: [IDLE, NAP], tid: 0x20 });
  const meta = { 'thread_name:0x10': 'a', 'thread_name:0x20': 'b', 'ts:0': '100.000', duration_s: '0.100000' };
  const p = readVmprof(samplerFile({ samples, meta }));
  assertModelInvariants(p);
  const ramp = Array.from({ length: 50 }, (_, i) => 50 + i);
  assert.deepEqual(Array.from(p.threads[threadByName(p, 'a')].samples.time), ramp);
  assert.deepEqual(Array.from(p.threads[threadByName(p, 'b')].samples.time), ramp);
});

function* chunks(bytes: Uint8Array, size: number): Iterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

test('merged --subprocesses file (merge.ts): each thread gets its pid, children are timed on their own marks', () => {
  const parent = samplerFile({
    samples: [0, 1, 2, 3].map(() => ({ entries: [WORK, MAIN], tid: 0x10 })),
    meta: {
      pid: '100',
      'thread_name:0x10': 'MainThread',
      start_monotonic: '1000.000000',
      'ts:0': '0.000',
      'ts:2': '20.000',
      duration_s: '0.040000',
    },
  });
  const child = samplerFile({
    samples: [0, 1, 2, 3].map((i) => ({ entries: i === 1 ? [IDLE, NAP] : [NAP], tid: 0x30 })),
    // started 2 ms after the parent: its marks are shifted by 2 ms when merged
    meta: {
      pid: '200',
      'thread_name:0x30': 'MainThread',
      start_monotonic: '1000.002000',
      'ts:0': '3.000',
      'ts:2': '13.000',
      duration_s: '0.030000',
    },
  });
  const merged = mergeChildProfiles(parent, [{ pid: '200', bytes: child }]);
  assert.deepEqual(merged.merged, ['200']);
  const p = readVmprof(merged.bytes);
  assertModelInvariants(p);
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id]),
    [
      ['100', '0x10'],
      ['200', '0x30'],
    ],
  );
  // parent: records 0..3 written at 0, 10 (marks 0 -> 0 ms, 2 -> 20 ms), 20, 30 (stop at 40 ms);
  // each look's run of records spreads over the time since the previous run
  assert.deepEqual(Array.from(p.threads[0].samples.time), [0, 5, 20, 25]);
  // child (started at 2 ms): records 4..7 written at 5, 10 (marks 4 -> 5 ms, 6 -> 15 ms), 15,
  // 23.5 (stop at 2 + 30 ms). The 2 ms shift comes from subtracting seconds as floats: compare to the microsecond.
  assert.deepEqual(
    Array.from(p.threads[1].samples.time, (t) => Math.round(t * 1000) / 1000),
    [5, 7.5, 15, 19.25],
  );
  assert.deepEqual(leafs(p, 1), ['nap[python]', '<idle>[idle]', 'nap[python]', 'nap[python]']);
});

test("merged file from PyPy's own _vmprof (no sampler META): threads still get their pids, times are spread over the run", () => {
  const one = (pid: string, tid: number) =>
    samplerFile({ samples: [{ entries: [IDLE, MAIN], tid }], meta: { pid, 'ts:0': '5.000' }, sampler: false });
  const merged = mergeChildProfiles(one('100', 0x10), [{ pid: '200', bytes: one('200', 0x30) }]);
  const p = readVmprof(merged.bytes);
  // no ts: marks are applied (not our sampler's file): the two samples are spread over the run
  const half = (p.meta.endTime - p.meta.startTime) / 2;
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id, Array.from(t.samples.time)]),
    [
      ['100', '0x10', [0]],
      ['200', '0x30', [half]],
    ],
  );
  assert.deepEqual(leafs(p, 0), ['<idle>[native]']);
});

test('real --wall recording: the sleeping thread is idle to hideIdle, and sample times span the run', async () => {
  const run = await runPyrometer(['record', '--in-process', '--wall', '-o', 'w.prof', '--', 'python3', dataPath('sleeper.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const p = await readProfile(join(run.dir, 'w.prof'));
    assertModelInvariants(p);
    const napper = threadByName(p, 'napper');
    const main = threadByName(p, 'MainThread');
    const napperAll = totalWeight(stackWeights(p, { threads: [napper] }));
    const napperBusy = totalWeight(stackWeights(p, { threads: [napper], hideIdle: true }));
    assert.ok(napperAll > 20, `napper sampled ${napperAll} times`);
    assert.ok(napperBusy < 0.2 * napperAll, `hideIdle leaves ${napperBusy} of ${napperAll} napper samples`);
    const mainAll = totalWeight(stackWeights(p, { threads: [main] }));
    const mainBusy = totalWeight(stackWeights(p, { threads: [main], hideIdle: true }));
    assert.ok(mainBusy > 0.5 * mainAll, `the computing thread stays: ${mainBusy} of ${mainAll}`);
    // Two threads sampled at once: record i at i * period would put the last sample near twice
    // the run. With the marks, both threads' samples lie within the sampler's own duration.
    const durationMs = Number(p.meta.extra.duration_s) * 1000;
    assert.ok(durationMs > 100, `duration ${durationMs}`);
    for (const t of [napper, main]) {
      const { time, length } = p.threads[t].samples;
      // both threads ran through the middle of the run (start-up and shutdown vary with load)
      assert.ok(time[0] < 0.5 * durationMs, `${p.threads[t].name} starts at ${time[0]} of ${durationMs} ms`);
      assert.ok(
        time[length - 1] > 0.5 * durationMs && time[length - 1] <= durationMs + 1,
        `${p.threads[t].name} ends at ${time[length - 1]} of ${durationMs} ms`,
      );
    }
    const mainTimes = p.threads[main].samples;
    assert.ok(mainTimes.time[mainTimes.length - 1] > 0.8 * durationMs, 'the computing thread runs to the end');
    assert.match(run.stderr, /idle: [\d.]+ s of threads waiting/);
  } finally {
    removeDir(run.dir);
  }
});

test('real --subprocesses recording: parent, pool worker and subprocess threads are in distinct processes', async () => {
  const run = await runPyrometer([
    'record',
    '--in-process',
    '--subprocesses',
    '-o',
    'all.prof',
    '--',
    'python3',
    dataPath('parent_child.py'),
  ]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const p = await readProfile(join(run.dir, 'all.prof'));
    assertModelInvariants(p);
    const processOf = (fn: string): string => {
      const owners = new Set<string>();
      p.threads.forEach((t, i) => {
        if ((totalByName(p, [i]).get(fn) ?? 0) > 0) owners.add(t.processId);
      });
      assert.equal(owners.size, 1, `${fn} runs in processes ${[...owners]}`);
      return [...owners][0];
    };
    const parentPid = processOf('work_in_parent');
    assert.equal(parentPid, p.meta.extra.pid);
    const pids = new Set([parentPid, processOf('work_in_pool_worker'), processOf('work_in_subprocess')]);
    assert.equal(pids.size, 3, `processes ${[...pids]}`);
    for (const t of p.threads) assert.match(t.processId, /^\d+$/, `thread ${t.id} has a pid`);
    // every process's samples lie within its own sampling window on the parent's clock (a
    // child such as multiprocessing's resource tracker may outlive the parent's sampler)
    const extra = p.meta.extra;
    for (const t of p.threads) {
      if (t.samples.length === 0) continue;
      const own = t.processId === extra.pid;
      const startMs = own ? 0 : (Number(extra[`process:${t.processId}:start_monotonic`]) - Number(extra.start_monotonic)) * 1000;
      const endMs = startMs + Number(own ? extra.duration_s : extra[`process:${t.processId}:duration_s`]) * 1000;
      if (!Number.isFinite(endMs)) continue; // a child killed before it wrote its end
      const first = t.samples.time[0];
      const last = t.samples.time[t.samples.length - 1];
      assert.ok(
        first >= startMs - 1 && last <= endMs + 1,
        `${t.processId}/${t.id}: samples ${first}..${last} ms, sampler ran ${startMs}..${endMs} ms`,
      );
    }
  } finally {
    removeDir(run.dir);
  }
});

test('real --mem recording of one thread: sample times never go back, and the RSS curve keeps each sample’s value at its time', async () => {
  // one thread: the RSS counter once shared the samples' arrays, and the time marks moved them twice
  // (sample 15 of a 4.3 s run read 7,094 ms; the curve drew a flat line)
  const run = await runPyrometer(['record', '--mem', '--rate', '1000', '-o', 'm.prof', '--', 'python3', dataPath('grow_list.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const p = await readProfile(join(run.dir, 'm.prof'));
    assertModelInvariants(p);
    assert.equal(p.meta.sampleTimes, 'recorded');
    const t = p.threads.find((th) => th.samples.length > 0)!;
    const s = t.samples;
    assert.ok(s.length > 50, `samples: ${s.length}`);
    const endMs = Number(p.meta.extra.duration_s) * 1000;
    for (let i = 1; i < s.length; i++) assert.ok(s.time[i] >= s.time[i - 1], `sample ${i}: ${s.time[i - 1]} then ${s.time[i]}`);
    assert.ok(s.time[s.length - 1] <= endMs + 1, `last sample at ${s.time[s.length - 1]} ms of ${endMs}`);
    const rss = p.counters.find((c) => c.name === 'RSS')!;
    assert.equal(rss.time.length, s.length);
    for (let i = 0; i < s.length; i++) {
      assert.equal(rss.time[i], s.time[i], `counter time ${i}`);
      assert.equal(rss.value[i], s.rss![i], `counter value ${i}`);
    }
  } finally {
    removeDir(run.dir);
  }
});
