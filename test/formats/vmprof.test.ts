/**
 * The VMProf reader on every real file in test/fixtures/vmprof.
 *
 * Expected numbers come from vmprof-python's own reader (git d30caa8, 2025-03-25; run on
 * 2026-11-22 with CPython 3.11 beside the project, never from these tests):
 * - samples: len(state.profiles) from vmprof.reader.LogReader.read_all;
 * - threads: distinct thread ids in those profiles;
 * - self: Node.self_count of vmprof.stats.Stats.get_tree() (without filter_top, so the whole
 *   tree), summed over the nodes of the function's name. That tree skips ASSEMBLER entries,
 *   treats addresses <= 0 as line numbers and collapses an address equal to its parent's
 *   (direct self-recursion, and PyPy's CODE+JITTED pair of one call). Our self is "innermost
 *   frame"; none of these files has self-recursion at a leaf, so the two agree;
 * - total: samples whose stack contains the function at least once (Stats.functions counts
 *   an address once per sample; summed by name here), skipping ASSEMBLER entries and lines.
 *   Ours is functionTable's total, also once per sample.
 * - jit: Stats.get_tree().cumulative_meta()['jit'], samples whose innermost entry is JITTED;
 *   ours: samples whose innermost frame has category 'jit'.
 * The two legacy files (0x04 interpreter-name record, pre-2016) are rejected by the current
 * reader (it asserts on marker 0x04), so their numbers come from the same reader with one
 * added branch that reads the 0x04 record as vmprof-python's 2015 reader did (u8 length,
 * name; git 0215e31), everything else unchanged. Their stacks are native C stacks with the
 * Python code ids interleaved: the hottest "function" is an unnamed native address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { fixtureBytes, fixture } from '../helpers.js';
import { assertSniffsAs, assertNotSniffedAs } from './format-helpers.js';
import { vmprofFormat, readVmprof } from '../../src/formats/vmprof/index.js';
import { loadProfile, loadProfileBytes } from '../../src/formats/load.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { CATEGORY_JIT, KIND_NATIVE, KIND_PYTHON, type Profile, totalSamples } from '../../src/model/profile.js';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertModelInvariants } from '../model/invariants.js';

interface Expected {
  samples: number;
  threads: number;
  hottest: string;
  self: number;
  total: number;
  jit?: number;
}

const EXPECTED: Record<string, Expected> = {
  'example.prof': { samples: 2535, threads: 1, hottest: 'function_a', self: 2518, total: 2518 },
  'example_with_lines.prof': { samples: 3431, threads: 1, hottest: 'function_a', self: 3408, total: 3408 },
  'pypy-primes-mem.prof': { samples: 114, threads: 1, hottest: 'primes', self: 114, total: 114, jit: 106 },
  'pypy-primes.prof': { samples: 110, threads: 1, hottest: 'primes', self: 110, total: 110, jit: 99 },
  // three Python threads, but PyPy writes thread id 0 for every sample
  'pypy-threads-realtime.prof': { samples: 227, threads: 1, hottest: '_wait_for_tstate_lock', self: 200, total: 200, jit: 0 },
  'pypy-wordcount-opt.prof': { samples: 66, threads: 1, hottest: '_count_elements', self: 32, total: 32, jit: 32 },
  'pypy-wordcount.prof': { samples: 70, threads: 1, hottest: '<module>', self: 35, total: 70, jit: 62 },
  'richards.cpython.prof': { samples: 362, threads: 1, hottest: '<unknown 0x560e79>', self: 15, total: 15 },
  'simple_nested.pypy.prof': { samples: 120, threads: 1, hottest: '<unknown 0x7fce358acd07>', self: 5, total: 5 },
  // vmprof-python wrote "<native symbol 0x...>" itself when it could not resolve an address
  'vmprof_cpuburn.prof': { samples: 5551, threads: 1, hottest: '<native symbol 0x4f86a1>', self: 1712, total: 1712 },
};

function costs(profile: Profile) {
  const weights = stackWeights(profile);
  return { weights, table: functionTable(profile, weights) };
}

function hottest(profile: Profile): { name: string; self: number; total: number } {
  const { table } = costs(profile);
  let best = 0;
  for (let f = 1; f < profile.funcs.length; f++) if (table.self[f] > table.self[best]) best = f;
  return { name: profile.strings[profile.funcs.name[best]], self: table.self[best], total: table.total[best] };
}

function funcsNamed(profile: Profile, name: string): number[] {
  const out: number[] = [];
  for (let f = 0; f < profile.funcs.length; f++) if (profile.strings[profile.funcs.name[f]] === name) out.push(f);
  return out;
}

function totalOf(profile: Profile, name: string): number {
  const { table } = costs(profile);
  const fs = funcsNamed(profile, name);
  assert.equal(fs.length, 1, `one function named ${name}`);
  return table.total[fs[0]];
}

function jitLeafSamples(profile: Profile): number {
  let n = 0;
  for (const t of profile.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0 && profile.frames.category[profile.stacks.frame[s]] === CATEGORY_JIT) n += t.samples.weight[i];
    }
  }
  return n;
}

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`vmprof fixture ${file}: counts match vmprof-python's reader`, () => {
    const bytes = fixtureBytes(`vmprof/${file}`);
    assertSniffsAs(bytes, 'vmprof', file);
    const profile = readVmprof(bytes);
    assert.equal(profile.meta.format, 'vmprof');
    assert.equal(totalSamples(profile), expected.samples);
    assert.equal(profile.threads.length, expected.threads);
    assert.deepEqual(hottest(profile), { name: expected.hottest, self: expected.self, total: expected.total });
    if (expected.jit !== undefined) assert.equal(jitLeafSamples(profile), expected.jit);
    assert.deepEqual(profile.meta.warnings, [], 'complete files read without warnings');
    assert.equal(profile.meta.interval, 1);
    assertModelInvariants(profile, file);
  });
}

test('vmprof: Win64 files have 4-byte words, 8-byte addresses and decimal OS thread ids', () => {
  const p = readVmprof(fixtureBytes('vmprof/example.prof'));
  assert.equal(p.meta.extra.word_size, '4');
  assert.equal(p.meta.extra.addr_size, '8');
  assert.equal(p.meta.extra.os, 'win64');
  assert.equal(p.meta.extra.bits, '64');
  assert.deepEqual(
    p.threads.map((t) => t.id),
    ['14348'],
  );
  assert.equal(p.meta.interpreter, 'cpython');
  assert.equal(p.meta.formatVersion, 6);
  // start from the 0x06 record, stop from the trailer (vmprof-python: 07:42:59.831 to 07:43:00.325 UTC)
  assert.equal(p.meta.startTime, Date.UTC(2023, 3, 19, 7, 42, 59, 831));
  assert.equal(p.meta.endTime, Date.UTC(2023, 3, 19, 7, 43, 0, 325));
  const [fa] = funcsNamed(p, 'function_a');
  assert.equal(p.funcs.kind[fa], KIND_PYTHON);
  assert.match(p.strings[p.funcs.file[fa]], /\.py$/);
  assert.ok(p.funcs.line[fa] > 0);
});

test('vmprof: lines mode puts the line of each pair on the frame', () => {
  const p = readVmprof(fixtureBytes('vmprof/example_with_lines.prof'));
  assert.deepEqual(p.meta.flags, ['lines']);
  const [fa] = funcsNamed(p, 'function_a');
  const lines = new Set<number>();
  for (let f = 0; f < p.frames.length; f++) if (p.frames.func[f] === fa) lines.add(p.frames.line[f]);
  // the body of function_a: several lines, all after its first line
  assert.ok(lines.size >= 2, `lines seen: ${[...lines]}`);
  for (const line of lines) assert.ok(line > p.funcs.line[fa], `line ${line} after def line ${p.funcs.line[fa]}`);
});

test('vmprof: native symbols, memory and pointer thread ids (CPython on Linux)', () => {
  const p = readVmprof(fixtureBytes('vmprof/vmprof_cpuburn.prof'));
  assert.deepEqual(p.meta.flags, ['memory', 'lines', 'native']);
  assert.deepEqual(
    p.threads.map((t) => t.id),
    ['0xeb6910'],
  );
  // 0x08 records are also written for Python code ids: the 0x02 py: names must win
  const [iterate] = funcsNamed(p, '_iterate');
  assert.equal(p.funcs.kind[iterate], KIND_PYTHON);
  assert.equal(totalOf(p, '_next_rand') > 0, true);
  const natives = [...Array(p.funcs.length).keys()].filter((f) => p.funcs.kind[f] === KIND_NATIVE);
  assert.ok(natives.length > 5);
  const rss = p.threads[0].samples.rss!;
  assert.equal(rss[0], 11972); // vmprof-python: first sample's mem_in_kb
  const counter = p.counters.find((c) => c.name === 'RSS')!;
  assert.equal(counter.unit, 'KiB');
  assert.equal(counter.value.length, 5551);
  assert.equal(counter.value[0], 11972);
});

test('vmprof: PyPy memory profile has RSS per sample and JIT frames of Python functions', () => {
  const p = readVmprof(fixtureBytes('vmprof/pypy-primes-mem.prof'));
  assert.deepEqual(p.meta.flags, ['memory', 'rpython']);
  assert.equal(p.meta.interpreter, 'pypy');
  assert.equal(p.threads[0].samples.rss![0], 60216);
  const [primes] = funcsNamed(p, 'primes');
  assert.equal(p.funcs.kind[primes], KIND_PYTHON, 'a JIT frame belongs to its Python function');
  const categories = new Set<number>();
  for (let f = 0; f < p.frames.length; f++) if (p.frames.func[f] === primes) categories.add(p.frames.category[f]);
  assert.ok(categories.has(CATEGORY_JIT));
  // no sample times in PyPy's file: sample i of n at i/n of the recorded duration, the RSS counter with it
  const { length, time } = p.threads[0].samples;
  assert.equal(p.meta.sampleTimes, 'spread');
  assert.ok(Math.abs(time[10] - (10 * (p.meta.endTime - p.meta.startTime)) / length) < 1e-9);
  assert.equal(p.counters.find((c) => c.name === 'RSS')!.time[10], time[10]);
});

test('vmprof: legacy files (0x04 record, raw text after the trailer) parse', () => {
  const richards = readVmprof(fixtureBytes('vmprof/richards.cpython.prof'));
  assert.equal(richards.meta.interpreter, 'cpython');
  assert.equal(richards.meta.formatVersion, 0);
  // Python functions named by 0x02 records inside native stacks; vmprof-python (with the 0x04
  // branch) counts 357 samples containing schedule's code id.
  assert.equal(totalOf(richards, 'schedule'), 357);
  const nested = readVmprof(fixtureBytes('vmprof/simple_nested.pypy.prof'));
  assert.equal(nested.meta.interpreter, 'pypy');
  assert.ok(!nested.meta.flags.includes('rpython'), 'legacy PyPy stacks are not tagged');
  assert.equal(totalOf(nested, 'foo'), 120);
  assert.equal(totalOf(nested, 'bar'), 101);
  // its code ids are tagged 0x70.../0x77... in the top byte: above 2^53, still exact
  assert.ok(
    nested.strings.some((s) => /^<unknown 0x77000000000001[0-9a-f]{2}>$/.test(s)),
    'exact 64-bit unknown names',
  );
});

test('vmprof: gzip-compressed input through the loader', async () => {
  const bytes = fixtureBytes('vmprof/pypy-primes.prof');
  const plain = readVmprof(bytes);
  const gz = gzipSync(bytes);
  const fromBytes = await loadProfileBytes(new Uint8Array(gz), 'pypy-primes.prof.gz');
  assert.deepEqual(fromBytes, plain);
  const dir = mkdtempSync(join(tmpdir(), 'vmprof-'));
  try {
    const path = join(dir, 'p.prof.gz');
    writeFileSync(path, gz);
    const streamed = await loadProfile(path, { streamThreshold: 0 });
    assert.deepEqual(streamed, plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // the pure reader names the problem instead of misreading compressed bytes
  assert.throws(() => readVmprof(new Uint8Array(gz)), /vmprof: .*gzip/);
});

test('vmprof: sniffing accepts the fixtures and rejects other formats', () => {
  assert.equal(vmprofFormat.sniff!(fixtureBytes('vmprof/example.prof').subarray(0, 64)), true);
  assertNotSniffedAs(fixtureBytes('cprofile/cprofile-python3-primes.pstats'), 'vmprof');
  assertNotSniffedAs(fixtureBytes('pypy/pypy-wordcount.prof.jit'), 'vmprof');
  assertNotSniffedAs(new TextEncoder().encode('main;foo 1\n'), 'vmprof');
  void fixture;
});
