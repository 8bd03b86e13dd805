/**
 * The VMProf reader on synthesized bytes: every record type, versions 0 to 7, word sizes 4
 * and 8, Win64, each flag, PyPy tagged stacks, truncation at every byte, bad input and a
 * seeded fuzz over real fixtures. Files are made with the project's own encoder (write.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes, prng } from '../helpers.js';
import { assertFormatError } from './format-helpers.js';
import { readVmprof, readVmprofStream } from '../../src/formats/vmprof/index.js';
import { VmprofEncoder, type Address } from '../../src/formats/vmprof/write.js';
import { FLAG_LINES, FLAG_MEMORY, FLAG_NATIVE, FLAG_REAL_TIME, FLAG_RPYTHON } from '../../src/formats/vmprof/records.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { CATEGORIES, FUNCTION_KINDS, type Profile, totalSamples } from '../../src/model/profile.js';

const MAIN = 0x1000;
const WORK = 0x2000;
const START_MS = 1_700_000_000_123;

/** name -> {self, total}, with kinds, for compact assertions. */
function table(p: Profile): Record<string, { self: number; total: number; kind: string }> {
  const t = functionTable(p, stackWeights(p));
  const out: Record<string, { self: number; total: number; kind: string }> = {};
  for (let f = 0; f < p.funcs.length; f++) {
    out[p.strings[p.funcs.name[f]]] = { self: t.self[f], total: t.total[f], kind: FUNCTION_KINDS[p.funcs.kind[f]] };
  }
  return out;
}

/** Stacks of all samples as "name@line[category]" paths, root first. */
function paths(p: Profile): string[] {
  const out: string[] = [];
  for (const t of p.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const parts: string[] = [];
      for (let s = t.samples.stack[i]; s >= 0; s = p.stacks.prefix[s]) {
        const fr = p.stacks.frame[s];
        const line = p.frames.line[fr];
        parts.unshift(`${p.strings[p.funcs.name[p.frames.func[fr]]]}${line ? `@${line}` : ''}[${CATEGORIES[p.frames.category[fr]]}]`);
      }
      out.push(parts.join(' > '));
    }
  }
  return out;
}

interface Layout {
  wordSize: 4 | 8;
  addrSize: 4 | 8;
}
const LAYOUTS: Layout[] = [
  { wordSize: 4, addrSize: 4 },
  { wordSize: 8, addrSize: 8 },
  { wordSize: 4, addrSize: 8 }, // Win64
];

/** A small CPython-style file; `boundaries` are the offsets after each record. */
function cpythonFile(layout: Layout, version: number, flags = 0, legacy = false) {
  const enc = new VmprofEncoder(layout);
  const boundaries: number[] = [];
  const mark = () => boundaries.push(enc.size);
  enc.staticHeader(2000);
  mark();
  if (legacy) enc.legacyInterpreter('cpython');
  else enc.header(version, flags, 'cpython');
  mark();
  enc.startTime(START_MS);
  mark();
  enc.meta('os', 'linux');
  mark();
  if (version >= 7) {
    enc.meta('start_time_offset', '100');
    mark();
  }
  // Win64 thread ids are OS ids, shown in decimal; elsewhere (CPython) PyThreadState pointers in hex
  enc.meta(layout.addrSize > layout.wordSize ? 'thread_name:16' : 'thread_name:0x10', 'worker');
  mark();
  enc.name(WORK, 'py:work:10:/src/a.py');
  mark();
  const t = (i: number) => (version >= 7 ? 100 + i * 0.5 : 1);
  enc.stack([WORK, MAIN], 0x10, 5000, t(0));
  mark();
  enc.stack([WORK, MAIN], 0x10, 5100, t(1));
  mark();
  enc.stack([MAIN], 0x20, 5200, t(2));
  mark();
  enc.stack([WORK, MAIN], 0x10, 5300, t(3));
  mark();
  // named after its first use, like real files' late 0x02/0x08 records
  enc.name(MAIN, 'py:main:1:/src/a.py');
  mark();
  enc.trailer(START_MS + 50);
  mark();
  return { bytes: enc.bytes(), boundaries, stackEnds: boundaries.slice(-6, -2) };
}

for (const layout of LAYOUTS) {
  for (let version = 0; version <= 7; version++) {
    const label = `words ${layout.wordSize}, addrs ${layout.addrSize}, version ${version}`;
    test(`vmprof synthesized: ${label}`, () => {
      const memoryFlag = version >= 4 ? FLAG_MEMORY : 0;
      const { bytes } = cpythonFile(layout, version, memoryFlag);
      const p = readVmprof(bytes);
      assert.deepEqual(p.meta.warnings, []);
      assert.equal(p.meta.formatVersion, version);
      assert.equal(p.meta.interval, 2);
      assert.equal(p.meta.startTime, START_MS);
      assert.equal(p.meta.endTime, version >= 5 ? START_MS + 50 : 0, 'stop time only from version 5');
      assert.equal(p.meta.extra.word_size, String(layout.wordSize));
      assert.equal(p.meta.extra.addr_size, String(layout.addrSize));
      assert.equal(totalSamples(p), 4);
      const t = table(p);
      assert.deepEqual(t.work, { self: 3, total: 3, kind: 'python' });
      assert.deepEqual(t.main, { self: 1, total: 4, kind: 'python' });
      if (version >= 1) {
        assert.deepEqual(
          p.threads.map((th) => th.id),
          layout.addrSize > layout.wordSize ? ['16', '32'] : ['0x10', '0x20'],
        );
        assert.equal(p.threads[0].name, 'worker');
        // version 7 records times; 5 and 6 have a stop time: 4 samples spread over its 50 ms; older ones keep i x period
        const expected = version >= 7 ? [0, 500, 1500] : version >= 5 ? [0, 12.5, 37.5] : [0, 2, 6];
        assert.deepEqual(Array.from(p.threads[0].samples.time), expected);
        assert.equal(p.meta.sampleTimes, version >= 7 ? 'recorded' : version >= 5 ? 'spread' : 'order');
      } else {
        assert.deepEqual(
          p.threads.map((th) => th.id),
          ['0'],
        );
        assert.deepEqual(Array.from(p.threads[0].samples.time), [0, 2, 4, 6]);
      }
      const memory = version === 3 || version >= 4;
      assert.deepEqual(p.meta.flags, memory ? ['memory'] : []);
      if (memory) {
        const rss = p.counters.find((c) => c.name === 'RSS')!;
        assert.deepEqual(Array.from(rss.value), [5000, 5100, 5200, 5300]);
        assert.equal(rss.unit, 'KiB');
      } else {
        assert.equal(p.threads[0].samples.rss, null);
        assert.equal(p.counters.length, 0);
      }
    });
  }
}

test('vmprof synthesized: legacy 0x04 interpreter record, raw text after the trailer', () => {
  const { bytes } = cpythonFile({ wordSize: 8, addrSize: 8 }, 0, 0, true);
  const withText = new Uint8Array(bytes.length + 40);
  withText.set(bytes);
  withText.set(new TextEncoder().encode('7f0000000000-7f0000001000 r-xp libc.so\n'), bytes.length);
  const p = readVmprof(withText);
  assert.equal(p.meta.interpreter, 'cpython');
  assert.deepEqual(p.meta.warnings, []);
  assert.equal(totalSamples(p), 4);
  // the legacy unnamed addresses are native C frames
  assert.equal(table(p).main.kind, 'python');
});

test('vmprof synthesized: bytes after a modern trailer are reported, not parsed', () => {
  const { bytes } = cpythonFile({ wordSize: 8, addrSize: 8 }, 6);
  const extra = new Uint8Array(bytes.length + 3);
  extra.set(bytes);
  extra.set([9, 9, 9], bytes.length);
  const p = readVmprof(extra);
  assert.equal(totalSamples(p), 4);
  assert.deepEqual(p.meta.warnings, ['3 bytes after the trailer were ignored']);
});

for (const layout of LAYOUTS) {
  test(`vmprof synthesized: lines + native, 0x02 names win over 0x08 (words ${layout.wordSize}, addrs ${layout.addrSize})`, () => {
    const enc = new VmprofEncoder(layout);
    enc.staticHeader(1000).header(6, FLAG_LINES | FLAG_NATIVE | FLAG_REAL_TIME, 'cpython');
    enc.name(MAIN, 'py:main:1:C:\\src\\a.py').name(WORK, 'py:work:10:/src/a.py');
    // disk order: innermost first, (line, address) pairs; native frames are address|1 after a 0 line
    enc.stack([0, 0x5001, 12, WORK, 3, MAIN], 7);
    enc.stack([14, WORK, 3, MAIN], 7);
    enc.stack([4, MAIN, 99], 7); // odd depth: the outermost entry is an address without a line
    enc.nativeSymbol(0x5001, 'n:memcpy:0:-');
    enc.nativeSymbol(WORK, 'n:not_this_one:0:-'); // 0x08 for a Python uid: 0x02 wins
    enc.nativeSymbol(0, 'n:zero:0:-');
    enc.nativeSymbol(-8, 'n:negative:0:-');
    enc.trailer(0);
    const p = readVmprof(enc.bytes());
    assert.deepEqual(p.meta.flags, ['lines', 'native', 'real-time']);
    assert.deepEqual(paths(p), [
      'main@3[python] > work@12[python] > memcpy[native]',
      'main@3[python] > work@14[python]',
      '<unknown 0x63>[native] > main@4[python]',
    ]);
    const t = table(p);
    assert.equal(t.memcpy.kind, 'native');
    assert.equal(t.not_this_one, undefined);
    const main = p.strings.indexOf('main');
    const f = Array.from(p.funcs.name).indexOf(main);
    assert.equal(p.strings[p.funcs.file[f]], 'C:\\src\\a.py', 'file names may contain colons');
    assert.equal(p.funcs.line[f], 1);
  });
}

test('vmprof synthesized: PyPy tagged stacks with every kind', () => {
  for (const layout of LAYOUTS) {
    const enc = new VmprofEncoder(layout);
    enc.staticHeader(1000).header(6, FLAG_RPYTHON, 'pypy');
    enc.name(MAIN, 'py:main:1:a.py').name(WORK, 'py:f:5:a.py').name(0x3000, 'py:g:9:a.py');
    const pairs = (rootFirst: [number, Address][]): Address[] => rootFirst.reverse().flat();
    // CODE main > CODE f > JITTED f > JITTED g > ASSEMBLER: f and g run as JIT code
    enc.stack(
      pairs([
        [1, MAIN],
        [1, WORK],
        [3, WORK],
        [3, 0x3000],
        [6, 0x7000],
      ]),
      0,
    );
    enc.stack(
      pairs([
        [1, MAIN],
        [5, 0],
      ]),
      0,
    );
    enc.stack(
      pairs([
        [1, MAIN],
        [2, 0],
        [4, 0],
        [7, 0x9000],
        [6, 0x7100],
      ]),
      0,
    );
    enc.stack(
      pairs([
        [1, MAIN],
        [9, 1],
      ]),
      0,
    );
    enc.stack(
      pairs([
        [1, MAIN],
        [3, 0x4444],
      ]),
      0,
    );
    enc.nativeSymbol(0x9000, 'n:pypy_g_foo:0:-');
    enc.trailer(0);
    const p = readVmprof(enc.bytes());
    assert.deepEqual(p.meta.flags, ['rpython']);
    assert.deepEqual(
      p.threads.map((t) => t.id),
      ['0'],
    );
    assert.deepEqual(paths(p), [
      'main[python] > f[jit] > g[jit]',
      'main[python] > <GC>[gc]',
      'main[python] > <blackhole interpreter>[jit] > <JIT compiler>[jit] > pypy_g_foo[native] > <JIT code 0x7100>[jit]',
      'main[python] > <unknown frame kind 9>[other]',
      'main[python] > <unknown 0x4444>[jit]',
    ]);
    const t = table(p);
    assert.equal(t.f.kind, 'python', 'JIT frames belong to Python functions');
    assert.equal(t['<GC>'].kind, 'gc');
  }
});

test('vmprof synthesized: 64-bit addresses above 2^53 stay exact', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(6, 0, 'cpython');
  const a = 0x7700000000000114n;
  const b = 0x7700000000000118n; // the same double as a
  assert.equal(Number(a), Number(b));
  enc.name(a, 'py:a:1:x.py');
  enc.stack([b, a], 0xffffffffffff0000n);
  enc.stack([a], 0xffffffffffff0000n);
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  assert.deepEqual(paths(p), ['a[python] > <unknown 0x7700000000000118>[python]', 'a[python]']);
  assert.deepEqual(
    p.threads.map((t) => t.id),
    ['0xffffffffffff0000'],
  );
});

test('vmprof synthesized: a header after samples, and identical raw stacks on different threads', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(1, 0, 'cpython');
  for (let i = 0; i < 10; i++) enc.stack([WORK, MAIN], 1 + (i % 3));
  enc.name(MAIN, 'py:main:1:a.py').name(WORK, 'py:main:1:a.py'); // two code objects, one function
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  assert.equal(p.threads.length, 3);
  assert.deepEqual(new Set(paths(p)), new Set(['main[python] > main[python]']));
  assert.equal(p.stacks.length, 2, 'proto stacks of merged functions were renumbered');
});

test('vmprof synthesized: truncation at every byte of a small file', () => {
  for (const layout of LAYOUTS) {
    const { bytes, boundaries, stackEnds } = cpythonFile(layout, 6, FLAG_MEMORY);
    const headerEnd = boundaries[0];
    for (let cut = 0; cut <= bytes.length; cut++) {
      const part = bytes.slice(0, cut);
      if (cut < headerEnd) {
        assertFormatError(() => readVmprof(part), 'vmprof', /header/);
        continue;
      }
      const p = readVmprof(part);
      const complete = stackEnds.filter((end) => end <= cut).length;
      assert.equal(totalSamples(p), complete, `samples at cut ${cut}`);
      if (cut === bytes.length) assert.deepEqual(p.meta.warnings, []);
      else if (boundaries.includes(cut)) assert.match(p.meta.warnings.join(), /no trailer/, `cut ${cut}`);
      else assert.match(p.meta.warnings.join(), /truncated file: it ends inside a .* record/, `cut ${cut}`);
    }
  }
});

test('vmprof: truncation at every byte of the first 2 KiB of real files, and of the last 64 bytes', () => {
  for (const name of ['example.prof', 'vmprof_cpuburn.prof', 'pypy-primes-mem.prof']) {
    const bytes = fixtureBytes(`vmprof/${name}`);
    const cuts = [...Array(2049).keys(), ...Array.from({ length: 64 }, (_, i) => bytes.length - 64 + i)];
    let previous = 0;
    for (const cut of cuts) {
      let p: Profile;
      try {
        p = readVmprof(bytes.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof ProfileFormatError, `${name} cut ${cut}: ${String(e)}`);
        assert.ok(cut < 40, `only a cut inside the static header is an error (${name} cut ${cut})`);
        continue;
      }
      assert.equal(p.meta.warnings.length, 1, `${name} cut ${cut}`);
      assert.match(p.meta.warnings[0], /^truncated file/);
      const n = totalSamples(p);
      assert.ok(n >= previous, 'a longer prefix never has fewer samples');
      previous = n;
    }
    // the PyPy file starts with ~150 KB of code names: its samples are in the tail
    assert.ok(previous > 0, `${name}: samples before the cut`);
    // the last cut is inside the trailer: every sample is complete
    assert.equal(previous, totalSamples(readVmprof(bytes)));
  }
});

test('vmprof: seeded fuzz over mutated fixtures gives a Profile or one ProfileFormatError', () => {
  const random = prng(0x5eed);
  const sources = ['example.prof', 'example_with_lines.prof', 'pypy-primes-mem.prof', 'vmprof_cpuburn.prof', 'simple_nested.pypy.prof'].map(
    (n) => fixtureBytes(`vmprof/${n}`).slice(0, 32 * 1024),
  );
  let profiles = 0;
  let errors = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = sources[i % sources.length].slice();
    const mutations = 1 + Math.floor(random() * 6);
    for (let m = 0; m < mutations; m++) {
      // mostly within the first KiB, where headers and early records are
      const at = Math.floor(random() < 0.5 ? random() * 1024 : random() * bytes.length);
      bytes[at] = random() < 0.3 ? [0, 1, 2, 3, 5, 7, 8, 0xff][Math.floor(random() * 8)] : Math.floor(random() * 256);
    }
    const input = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    try {
      const p = readVmprof(input);
      profiles++;
      for (let s = 0; s < p.stacks.length; s++) assert.ok(p.stacks.prefix[s] < s && p.stacks.frame[s] < p.frames.length);
      for (const t of p.threads) for (let j = 0; j < t.samples.length; j++) assert.ok(t.samples.stack[j] < p.stacks.length);
    } catch (e) {
      assert.ok(e instanceof ProfileFormatError, `case ${i}: ${String(e)}`);
      assert.ok(!e.message.includes('\n'));
      errors++;
    }
  }
  assert.ok(profiles > 0 && errors > 0, `both outcomes happen (${profiles} profiles, ${errors} errors)`);
});

test('vmprof: streaming in chunks of 1, 7 and 4096 bytes gives the same profile as read()', async () => {
  for (const name of ['pypy-wordcount.prof', 'vmprof_cpuburn.prof', 'example.prof']) {
    const bytes = fixtureBytes(`vmprof/${name}`);
    const whole = readVmprof(bytes);
    for (const size of [1, 7, 4096]) {
      if (size === 1 && bytes.length > 200_000) continue; // one 1-byte pass is enough (pypy-wordcount)
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
      }
      assert.deepEqual(await readVmprofStream(chunks()), whole, `${name} in ${size}-byte chunks`);
    }
  }
});

test('vmprof: bad input is one ProfileFormatError with its offset', () => {
  const enc = () => new VmprofEncoder({ wordSize: 8, addrSize: 8 }).staticHeader(1000);
  assertFormatError(() => readVmprof(new Uint8Array(0)), 'vmprof', /header.*too short/);
  assertFormatError(
    () => readVmprof(new TextEncoder().encode('hello, this is not a profile at all')),
    'vmprof',
    /VMProf header.*at byte 0/,
  );
  assertFormatError(() => readVmprof(enc().header(6, 0, 'cpython').u8(0x09).bytes()), 'vmprof', /record marker.*0x09.*at byte 52/);
  assertFormatError(() => readVmprof(enc().header(8, 0, 'cpython').bytes()), 'vmprof', /version from 0 to 7, found 8/);
  assertFormatError(() => readVmprof(enc().header(6, 0, 'x').header(6, 0, 'x').bytes()), 'vmprof', /one header record/);
  const deep = enc()
    .header(6, 0, 'cpython')
    .u8(1)
    .word(1)
    .word(1 << 20)
    .bytes();
  assertFormatError(() => readVmprof(deep), 'vmprof', /stack depth.*at byte 61/);
  const zeroCount = enc().header(6, 0, 'cpython').u8(1).word(0).word(0).word(0).bytes();
  assertFormatError(() => readVmprof(zeroCount), 'vmprof', /sample count/);
  const badName = enc().header(6, 0, 'cpython').u8(2).addr(16).word(-5).bytes();
  assertFormatError(() => readVmprof(badName), 'vmprof', /name length/);
  const badPeriod = new VmprofEncoder({ wordSize: 8 }).word(0).word(3).word(0).word(1000).word(7).bytes();
  assertFormatError(() => readVmprof(badPeriod), 'vmprof', /64-bit Windows/);
});

test('vmprof synthesized: the stack cache tells apart words that are equal as doubles (+0/-0) and handles NaN patterns', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(6, FLAG_RPYTHON, 'pypy');
  enc.name(MAIN, 'py:main:1:a.py');
  const negativeZero = 0x8000000000000000n; // -0.0 as a double: equal to +0.0
  const nan = 0x7ff8000000000001n; // a NaN: never equal to itself as a double
  for (let i = 0; i < 3; i++) {
    enc.stack([0n, 0n, 1n, BigInt(MAIN)]);
    enc.stack([negativeZero, 0n, 1n, BigInt(MAIN)]);
    enc.stack([1n, nan, 1n, BigInt(MAIN)]);
  }
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  const expected = [
    'main[python] > <unknown frame kind 0>[other]',
    'main[python] > <unknown frame kind -1>[other]',
    'main[python] > <unknown 0x7ff8000000000001>[python]',
  ];
  assert.deepEqual(paths(p), [...expected, ...expected, ...expected]);
});

test('vmprof synthesized: a PyPy stack of odd depth is read as plain addresses, with a warning', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(6, FLAG_RPYTHON, 'pypy');
  enc.name(MAIN, 'py:main:1:a.py');
  enc.stack([MAIN]);
  enc.stack([WORK, MAIN, MAIN]);
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  assert.deepEqual(paths(p), ['main[python]', 'main[python] > main[python] > <unknown 0x2000>[python]']);
  assert.match(p.meta.warnings.join(), /odd depth/);
});

test('vmprof synthesized: plain stacks of one length that differ only in words the cache hash skips stay apart', async () => {
  // The cache hashes a sample of a stack's words; a hit is confirmed entry by entry against
  // the proto stack tree. Stacks 40 deep that differ in one middle entry hash alike; the
  // entries include bit patterns that are NaN, infinity and -0 when read as doubles.
  const NAN = 0x7ff8000000000001n;
  const INF = 0x7ff0000000000000n;
  for (const layout of LAYOUTS) {
    const enc = new VmprofEncoder(layout);
    enc.staticHeader(1000).header(6, FLAG_MEMORY, 'cpython');
    const depth = 40;
    const base: Address[] = Array.from({ length: depth }, (_, i) => 0x10000 + i * 0x10);
    const names = new Map<Address, string>(base.map((a, i) => [a, `f${i}`]));
    names.set(0x90000, 'other');
    const wide = layout.addrSize === 8;
    if (wide) {
      names.set(NAN, 'nan');
      names.set(INF, 'inf');
    }
    for (const [a, n] of names) enc.name(a, `py:${n}:1:a.py`);
    const variantAt = (at: number, a: Address) => base.map((b, i) => (i === at ? a : b));
    const variants = [variantAt(5, 0x90000), variantAt(9, 0x90000), variantAt(17, 0x90000), variantAt(30, 0x90000)];
    if (wide) variants.push(variantAt(5, NAN), variantAt(5, INF), variantAt(9, NAN));
    // zero and negative entries are not code: a zero or -0 in another place is the same stack
    const skipped = wide ? 0x8000000000000000n : 0;
    variants.push(variantAt(3, 0), variantAt(5, skipped));
    const expected: string[] = [];
    const pathOf = (innermostFirst: Address[]) =>
      innermostFirst
        .filter((a) => names.has(a))
        .reverse()
        .map((a) => `${names.get(a)}[python]`)
        .join(' > ');
    for (let round = 0; round < 3; round++) {
      for (const s of [base, ...variants]) {
        enc.stack(s, 7, 100 + round);
        expected.push(pathOf(s));
      }
    }
    enc.trailer(0);
    const bytes = enc.bytes();
    assert.deepEqual(paths(readVmprof(bytes)), expected, `layout ${JSON.stringify(layout)}`);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 37) }, (_, i) => bytes.subarray(i * 37, (i + 1) * 37));
    assert.deepEqual(paths(await readVmprofStream(chunks)), expected);
  }
});

test('vmprof synthesized: two code objects of one function make one stack, not two', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(6, 0, 'cpython');
  enc.name(MAIN, 'py:main:1:a.py').name(WORK, 'py:main:1:a.py');
  enc.stack([MAIN]).stack([WORK]).stack([0x3000, MAIN]).stack([0x3000, WORK]);
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  assert.deepEqual(paths(p), [
    'main[python]',
    'main[python]',
    'main[python] > <unknown 0x3000>[python]',
    'main[python] > <unknown 0x3000>[python]',
  ]);
  assert.equal(p.stacks.length, 2);
  assert.deepEqual([...p.threads[0].samples.stack], [0, 0, 1, 1]);
});

test('vmprof synthesized: more threads than 16 bits count, across sample blocks, with memory', () => {
  const enc = new VmprofEncoder({ wordSize: 8, addrSize: 8 });
  enc.staticHeader(1000).header(6, FLAG_MEMORY, 'cpython');
  enc.name(MAIN, 'py:main:1:a.py').name(WORK, 'py:work:2:a.py');
  const threads = 70_000;
  // thread i gets samples i and threads + i: the second round crosses 2^16 threads mid-block
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < threads; i++) enc.stack(i % 3 === 0 ? [WORK, MAIN] : [MAIN], 0x1000 + i, 1000 * round + (i % 7));
  }
  enc.trailer(0);
  const p = readVmprof(enc.bytes());
  assert.equal(p.threads.length, threads);
  for (const i of [0, 1, 65_535, 65_536, 69_999]) {
    const t = p.threads[i];
    assert.equal(t.id, `0x${(0x1000 + i).toString(16)}`);
    assert.equal(t.samples.length, 2);
    assert.deepEqual([...(t.samples.rss ?? [])], [i % 7, 1000 + (i % 7)]);
    assert.deepEqual([...t.samples.time], [i, threads + i]);
    assert.equal(paths({ ...p, threads: [t] })[0], i % 3 === 0 ? 'main[python] > work[python]' : 'main[python]');
  }
  const rss = p.counters.find((c) => c.name === 'RSS');
  assert.equal(rss?.value.length, 2 * threads);
  assert.equal(rss?.value[threads + 65_536], 1000 + (65_536 % 7));
  // The parser's working blocks live in resizable buffers; the model's arrays must not (they are
  // transferred to and from worker threads and serialized as plain arrays).
  const views: ArrayBufferView[] = [];
  for (const table of [p.funcs, p.frames, p.stacks, ...p.threads.slice(0, 3).map((t) => t.samples), ...p.counters]) {
    for (const v of Object.values(table)) if (ArrayBuffer.isView(v)) views.push(v);
  }
  assert.ok(views.length > 10);
  for (const v of views) assert.notEqual((v.buffer as ArrayBuffer & { resizable?: boolean }).resizable, true);
});
