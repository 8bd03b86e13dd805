/**
 * Counts that do not overstate: each look at a thread's stack is written once, its weight (the
 * CPU or wall time it stands for, in periods) in the `w:<n>` META. vmprof-python's reader counts
 * records, so it sees one sample per look; `info` reports the same looks, and the weighted time
 * apart.
 *
 * The oracle, run beside the project (CI cannot fetch it): vmprof-python (github.com/vmprof/
 * vmprof-python, HEAD of 2026-12-03) cloned to /tmp, its pure-Python `vmprof/reader.py`
 * `_read_prof` run with Debian's /usr/bin/python3 -S (a stub for `six.moves`), on the two files in
 * test/data/formats/vmprof/, recorded with `pyrometer record --rate 200 [--wall] -- python3
 * test/data/capture/sleeper.py` (a computing main thread and a thread that only sleeps):
 *
 *   pyrometer-sleeper-wall.prof: version 6, cpython, period 5000 us, 95 samples;
 *     thread 0x6a30: 47 (leaf <idle> 47); thread 0x69b4: 48 (compute 41, <idle> 6,
 *     _wait_for_tstate_lock 1)
 *   pyrometer-sleeper-cpu.prof: version 6, cpython, period 5000 us, 29 samples;
 *     thread 0x6b6e: 29 (compute 29)
 *
 * Here the same numbers come from the decoder written from docs/formats.md (vmprof-decode.ts),
 * and `info --json` must report them as its sample (look) count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testData } from '../helpers.js';
import { decode, sum, unweighted, weightsOf, type Decoded } from './vmprof-decode.js';
import { loadProfile } from '../../src/formats/load.js';
import { profileFacts } from '../../src/report/info.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { readVmprof } from '../../src/formats/vmprof/index.js';
import { collapsedStacks } from '../../src/formats/collapsed.js';

const file = (name: string) => testData(`formats/vmprof/${name}`);
const decoded = (name: string) => decode(new Uint8Array(readFileSync(file(name))));

/** Records per thread and per (thread, leaf function), as the oracle printed them. */
function counts(d: Decoded) {
  const threads = new Map<string, number>();
  const leafs = new Map<string, number>();
  for (const s of d.stacks) {
    const tid = `0x${s.thread.toString(16)}`;
    threads.set(tid, (threads.get(tid) ?? 0) + 1);
    const leaf = (d.names.get(s.entries[0]) ?? '').split(':')[1];
    leafs.set(`${tid} ${leaf}`, (leafs.get(`${tid} ${leaf}`) ?? 0) + 1);
  }
  return { records: d.stacks.length, threads: Object.fromEntries(threads), leafs: Object.fromEntries(leafs) };
}

test("vmprof-python's count (one sample per look) is what the decoder and info report: --wall", async () => {
  const d = decoded('pyrometer-sleeper-wall.prof');
  assert.equal(d.version, 6);
  assert.equal(d.period, 5000);
  assert.deepEqual(counts(d), {
    records: 95,
    threads: { '0x6a30': 47, '0x69b4': 48 },
    leafs: { '0x6a30 <idle>': 47, '0x69b4 compute': 41, '0x69b4 <idle>': 6, '0x69b4 _wait_for_tstate_lock': 1 },
  });
  const profile = await loadProfile(file('pyrometer-sleeper-wall.prof'));
  const facts = profileFacts(profile);
  assert.equal(facts.samples, 95, "info: looks = vmprof-python's samples");
  assert.ok(facts.weightedLooks);
  assert.equal(facts.totalWeight, sum(weightsOf(d)), 'weighted periods = the w: weights');
  assert.equal(facts.totalWeight, Number(profile.meta.extra.samples), "and the sampler's own count");
  assert.ok(facts.totalWeight > 2 * facts.samples, `${facts.totalWeight} periods in ${facts.samples} looks`);
  // wall-clock time: both threads were there the whole run, so each has about half the weight;
  // the sleeper is all idle, the computing thread mostly busy
  const byName = (name: string) => profile.threads.findIndex((t) => t.name === name);
  const [napper, main] = [byName('napper'), byName('MainThread')];
  const all = (t: number) => totalWeight(stackWeights(profile, { threads: [t] }));
  const busy = (t: number) => totalWeight(stackWeights(profile, { threads: [t], hideIdle: true }));
  const share = all(napper) / facts.totalWeight;
  assert.ok(share > 0.4 && share < 0.6, `napper has ${(100 * share).toFixed(1)}% of the wall time`);
  assert.equal(busy(napper), 0, 'the sleeping thread is all idle');
  assert.ok(busy(main) > 0.8 * all(main), `the computing thread is busy ${busy(main)} of ${all(main)}`);
});

test("vmprof-python's count is what the decoder and info report: CPU time, the sleeper gets none", async () => {
  const d = decoded('pyrometer-sleeper-cpu.prof');
  assert.deepEqual(counts(d), { records: 29, threads: { '0x6b6e': 29 }, leafs: { '0x6b6e compute': 29 } });
  const profile = await loadProfile(file('pyrometer-sleeper-cpu.prof'));
  const facts = profileFacts(profile);
  assert.equal(facts.samples, 29);
  assert.equal(facts.totalWeight, sum(weightsOf(d)));
  assert.equal(facts.totalWeight, Number(profile.meta.extra.samples));
  // CPU time: the computing thread has it all (the napper, sleeping, was never credited)
  assert.deepEqual(
    profile.threads.map((t) => t.name),
    ['MainThread'],
  );
});

/*
 * The outside sampler (record's default on CPython) writes the same way: one record per look at a
 * thread, weighted in `w:`. Files recorded with `pyrometer record --rate 200 [--wall] -- python3
 * test/data/capture/sleeper.py` (CPython 3.11.7, the outside sampler); the same oracle said:
 *
 *   outside-sleeper-wall.prof: version 6, cpython, period 5000 us, 111 samples;
 *     thread 0xbd0: 78 (compute 44, <idle> 25, start-up code 9); thread 0xbfb: 33 (<idle> 33)
 *   outside-sleeper-cpu.prof: version 6, cpython, period 5000 us, 29 samples;
 *     thread 0xca4: 29 (compute 28, addpackage 1)
 *
 * (Before, the outside sampler wrote a look standing for n periods as n identical records: the
 * oracle counted 165 and 39 samples in these runs, the weighted periods, not the looks.)
 */
test("outside sampler: vmprof-python's count is the looks, info gives looks and weighted time apart", async () => {
  for (const [name, records, threads, weighted] of [
    ['outside-sleeper-wall.prof', 111, { '0xbd0': 78, '0xbfb': 33 }, 165],
    ['outside-sleeper-cpu.prof', 29, { '0xca4': 29 }, 39],
  ] as const) {
    const d = decoded(name);
    const c = counts(d);
    assert.equal(c.records, records, name);
    assert.deepEqual(c.threads, threads, name);
    assert.equal(d.meta.get('engine'), 'outside');
    assert.equal(Number(d.meta.get('records')), records, `${name}: META records`);
    assert.ok(d.stacks.every((s) => s.depth > 0));
    const profile = await loadProfile(file(name));
    const facts = profileFacts(profile);
    assert.equal(facts.samples, records, `${name}: info's looks = vmprof-python's samples`);
    assert.ok(facts.weightedLooks, name);
    assert.equal(facts.totalWeight, sum(weightsOf(d)), `${name}: weighted periods = the w: weights`);
    assert.equal(facts.totalWeight, weighted, name);
    assert.equal(facts.totalWeight, Number(profile.meta.extra.samples), `${name}: the sampler's own count`);
  }
  // wall clock: the napper is all idle; CPU time: never there
  const wall = await loadProfile(file('outside-sleeper-wall.prof'));
  const napper = wall.threads.findIndex((t) => t.name === 'napper');
  assert.ok(napper >= 0);
  assert.equal(totalWeight(stackWeights(wall, { threads: [napper], hideIdle: true })), 0);
  assert.ok(totalWeight(stackWeights(wall, { threads: [napper] })) > 0);
  const cpu = await loadProfile(file('outside-sleeper-cpu.prof'));
  assert.deepEqual(
    cpu.threads.map((t) => t.name),
    ['MainThread'],
  );
});

test('an outside recording written the old way (a look as n identical records, no w:) reads as the same weighted profile', async () => {
  // what the outside sampler wrote before weights, made from today's file: each stack record
  // repeated by its weight, the w: keys dropped
  const bytes = new Uint8Array(readFileSync(file('outside-sleeper-wall.prof')));
  const weights = weightsOf(decode(bytes));
  const old = readVmprof(unweighted(bytes));
  const today = readVmprof(bytes);
  const byStack = (p: typeof old) => Object.fromEntries(collapsedStacks(p).map((s) => [s.stack, s.weight]));
  assert.equal(profileFacts(old).samples, sum(weights), 'one record per period');
  assert.equal(profileFacts(old).weightedLooks, false);
  assert.deepEqual(byStack(old), byStack(today));
});

test('old files, one record per period and no w: marks, read as they always did', async () => {
  // vmprof-python's own files and our sampler's before weights: every record weighs 1
  for (const name of ['vmprof/vmprof_cpuburn.prof', 'vmprof/pypy-primes.prof']) {
    const { fixture } = await import('../helpers.js');
    const profile = await loadProfile(fixture(name));
    const facts = profileFacts(profile);
    assert.equal(facts.weightedLooks, false, name);
    assert.equal(facts.totalWeight, facts.samples, name);
  }
});
