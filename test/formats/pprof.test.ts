import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { fixture, fixtureBytes } from '../helpers.js';
import { loadProfile, loadProfileBytes } from '../../src/formats/load.js';
import { decodePprof, pprofProfileType, readPprof, writePprof } from '../../src/formats/pprof/index.js';
import { readCollapsed } from '../../src/formats/collapsed.js';
import { readPstats } from '../../src/formats/pstats/index.js';
import { readSpeedscope } from '../../src/formats/speedscope.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { syntheticProfile } from './writer-profiles.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertNotSniffedAs, assertSniffsAs, utf8 } from './format-helpers.js';

/** Function-name stacks -> weight. */
function nameStacks(p: Profile): Map<string, number> {
  const names: string[] = [];
  for (let s = 0; s < p.stacks.length; s++) {
    const pre = p.stacks.prefix[s];
    const n = funcName(p, p.frames.func[p.stacks.frame[s]]);
    names[s] = pre < 0 ? n : `${names[pre]};${n}`;
  }
  const out = new Map<string, number>();
  for (const t of p.threads)
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0) out.set(names[s], (out.get(names[s]) ?? 0) + t.samples.weight[i]);
    }
  return out;
}

const fixtureBody = () => new Uint8Array(gunzipSync(fixtureBytes('pprof/simple.pb.gz')));

// Expected values from a schema-free walk of the fixture's wire format (varints and
// length-delimited fields only, in Python; /work/ext/scratch-conv/pb.py when written):
// sample types [samples/count, cpu/nanoseconds]; 9 samples; totals 150 and 1.5e9 ns;
// period 10000000; the heaviest stacks (cpu ns) below.
test('pprof: simple.pb.gz (Go pprof, via speedscope)', () => {
  const bytes = fixtureBody();
  assertSniffsAs(bytes, 'pprof', 'simple.pb');
  const p = readPprof(bytes);
  assert.equal(p.meta.format, 'pprof');
  assert.equal(p.meta.weightUnit, 'ns', 'cpu/nanoseconds is preferred over samples/count');
  assert.equal(p.meta.extra.sampleTypes, 'samples/count, cpu/nanoseconds');
  assert.equal(p.meta.interval, 10);
  assert.equal(p.threads.length, 1);
  assert.equal(p.threads[0].samples.length, 9);
  const stacks = nameStacks(p);
  assert.equal(
    [...stacks.values()].reduce((a, b) => a + b, 0),
    1.5e9,
  );
  const top = [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 3);
  assert.deepEqual(top, [
    ['runtime.main;main.main;main.gamma', 270000000],
    ['runtime.main;main.main;main.alpha', 260000000],
    ['runtime.main;main.main;main.beta', 250000000],
  ]);
  assert.equal(
    stacks.get(
      'runtime.timerproc;runtime.goroutineReady;runtime.goready;runtime.systemstack;runtime.goready.func1;runtime.ready;runtime.wakep;runtime.startm;runtime.notewakeup;runtime.semawakeup;runtime.mach_semrelease;runtime.mach_semaphore_signal',
    ),
    10000000,
  );
  // time_nanos 1537130863468834518, duration_nanos 1911739507
  assert.equal(Math.round(p.meta.startTime), 1537130863469);
  assert.equal(Math.round(p.meta.endTime - p.meta.startTime), 1912);
  assertExportRoundTrip(p, 'pprof');
  assertExportRoundTrip(p, 'speedscope');
  assertExportRoundTrip(p, 'collapsed', { scale: 1 });
});

test('pprof: writer output decodes against profile.proto with the expected tables', () => {
  const b = new ProfileBuilder('test', { weightUnit: 'samples', interval: 2, startTime: 1_700_000_000_000, endTime: 1_700_000_001_000 });
  const main = b.thread('1', 'MainThread', '99');
  const other = b.thread('2', 'worker', '99');
  const mod = b.func('<module>', 'app.py', 1);
  const work = b.func('work', 'app.py', 10);
  const fMod = b.frame(mod, 20);
  const fWork = b.frame(work, 12);
  b.addSampleFrames(main, [fMod, fWork], 0, 1);
  b.addSampleFrames(main, [fMod, fWork], 2, 1);
  b.addSampleFrames(main, [fMod], 4, 1);
  b.addSampleFrames(other, [fWork], 0, 3);
  const gz = writePprof(b.build());
  assert.deepEqual([gz[0], gz[1]], [0x1f, 0x8b], 'gzip');
  const m = decodePprof(new Uint8Array(gunzipSync(gz)));
  const s = (i: number | undefined) => m.string_table[i ?? 0];
  assert.equal(m.string_table[0], '');
  assert.deepEqual(
    m.sample_type.map((t) => `${s(t.type)}/${s(t.unit)}`),
    ['samples/count', 'cpu/nanoseconds'],
  );
  assert.equal(`${s(m.period_type!.type)}/${s(m.period_type!.unit)}`, 'cpu/nanoseconds');
  assert.equal(m.period, 2_000_000, '2 ms interval in ns');
  assert.equal(m.time_nanos, 1_700_000_000_000 * 1e6);
  assert.equal(m.duration_nanos, 1e9);
  assert.equal(s(m.default_sample_type), 'cpu');
  assert.deepEqual(m.function.map((f) => [s(f.name), s(f.filename), f.start_line]).sort(), [
    ['<module>', 'app.py', 1],
    ['work', 'app.py', 10],
  ]);
  assert.equal(m.location.length, 2);
  const fnName = new Map(m.function.map((f) => [f.id, s(f.name)]));
  const loc = new Map(m.location.map((l) => [l.id, `${fnName.get(l.line[0].function_id!)}:${l.line[0].line}`]));
  // Samples aggregated per (thread, stack), leaf first, values [count, ns], thread labels.
  const rows = m.sample.map((x) => [
    x.location_id.map((id) => loc.get(id)).join(' < '),
    x.value,
    Object.fromEntries(x.label.map((l) => [s(l.key), s(l.str)])),
  ]);
  assert.deepEqual(rows, [
    ['work:12 < <module>:20', [2, 4_000_000], { 'thread id': '1', 'thread name': 'MainThread', pid: '99' }],
    ['<module>:20', [1, 2_000_000], { 'thread id': '1', 'thread name': 'MainThread', pid: '99' }],
    ['work:12', [3, 6_000_000], { 'thread id': '2', 'thread name': 'worker', pid: '99' }],
  ]);
  // Reading it back: weights are cpu ns, threads come back from the labels, labels are kept.
  const back = readPprof(new Uint8Array(gunzipSync(gz)));
  assert.equal(back.meta.weightUnit, 'ns');
  assert.deepEqual(
    back.threads.map((t) => [t.processId, t.id, t.name]),
    [
      ['99', '1', 'MainThread'],
      ['99', '2', 'worker'],
    ],
  );
  const labels = (back.attachments.pprof as { labels: unknown[][] }).labels;
  assert.deepEqual(labels[1], [{ 'thread id': '2', 'thread name': 'worker', pid: '99' }]);
});

test('pprof: round trips of other formats', () => {
  const collapsed = readCollapsed(fixtureBytes('collapsed/recursion.txt'));
  assertExportRoundTrip(collapsed, 'pprof', { scale: 1 }); // counts come back as samples/count
  assertExportRoundTrip(readSpeedscope(fixtureBytes('speedscope/two-sampled.speedscope.json')), 'pprof', { threads: 2, tolerance: 1e-6 });
  // pstats ms -> integer ns: each stack within 1 ns.
  const pstats = readPstats(fixtureBytes('cprofile/cprofile-python3-primes.pstats'));
  assertExportRoundTrip(pstats, 'pprof', { tolerance: 1e-5 });
});

test('pprof: bad input is one error naming where', () => {
  const good = fixtureBody();
  // Truncated in the middle of a field.
  assertFormatError(() => readPprof(good.subarray(0, 100)), 'pprof', /truncated field or bad varint/);
  // A varint that never ends (11 bytes with the continuation bit).
  assertFormatError(() => readPprof(new Uint8Array([0x48, ...Array(11).fill(0xff)])), 'pprof', /not a valid pprof protobuf/);
  // Wire type 7 does not exist.
  assertFormatError(() => readPprof(new Uint8Array([0x0f, 0x01])), 'pprof', /invalid wire type/);
  // gzip must be undone by the loader.
  assertFormatError(() => readPprof(fixtureBytes('pprof/simple.pb.gz')), 'pprof', /gzip/);
  // Dangling references are errors naming the sample or location.
  const type = pprofProfileType();
  const encode = (o: object) => type.encode(type.fromObject(o)).finish();
  const base = { sample_type: [{ type: 1, unit: 2 }], string_table: ['', 'samples', 'count', 'f'] };
  assert.throws(() => readPprof(encode({ ...base, sample: [{ location_id: [5], value: [1] }] })), /pprof: sample 0 refers to location 5/);
  assert.throws(
    () => readPprof(encode({ ...base, sample: [{ location_id: [1], value: [1] }], location: [{ id: 1, line: [{ function_id: 9 }] }] })),
    /location 1 refers to function 9/,
  );
  assert.throws(
    () => readPprof(encode({ ...base, sample: [{ location_id: [], value: [1, 2] }] })),
    /sample 0 has 2 values for 1 sample types/,
  );
  assert.throws(
    () =>
      readPprof(
        encode({
          ...base,
          function: [{ id: 1, name: 99 }],
          location: [{ id: 1, line: [{ function_id: 1 }] }],
          sample: [{ location_id: [1], value: [1] }],
        }),
      ),
    /function 1 name refers to string 99/,
  );
  // Hostile names are kept as text; an empty profile is empty with a warning.
  const hostile = readPprof(
    encode({
      ...base,
      string_table: ['', 'samples', 'count', '<script>x</script>'],
      function: [{ id: 1, name: 3 }],
      location: [{ id: 1, line: [{ function_id: 1 }] }],
      sample: [{ location_id: [1], value: [7] }],
    }),
  );
  assert.deepEqual([...nameStacks(hostile)], [['<script>x</script>', 7]]);
  const empty = readPprof(encode(base));
  assert.equal(empty.threads.length, 0);
  assert.match(empty.meta.warnings.join(), /no samples/);
  // Text and JSON are not pprof.
  assertNotSniffedAs(utf8('a;b;c 1\na;b 2\n'.repeat(10)), 'pprof');
  assertNotSniffedAs(utf8('{"nodes": []}'.padEnd(100)), 'pprof');
});

test('pprof: round trip of the shared synthetic profile (hostile names, two threads by label)', () => {
  // Sample counts with a 1 ms interval come back as cpu nanoseconds: 1e6 ns per sample.
  assertExportRoundTrip(syntheticProfile(), 'pprof', { threads: 2, scale: 1e6 });
});

test('pprof: the loader gunzips .pb.gz files and uploads, then sniffs pprof by content', async () => {
  const fromFile = await loadProfile(fixture('pprof/simple.pb.gz'));
  assert.equal(fromFile.meta.format, 'pprof');
  assert.equal(fromFile.threads[0].samples.length, 9);
  // An upload without a useful name: gzip magic, then content sniffing.
  const uploaded = await loadProfileBytes(writePprof(fromFile), 'upload.bin');
  assert.equal(uploaded.meta.format, 'pprof');
  assert.deepEqual(nameStacks(uploaded), nameStacks(fromFile));
});
