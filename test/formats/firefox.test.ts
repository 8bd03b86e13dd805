import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { firefoxFormat, FIREFOX_PROCESSED_VERSION } from '../../src/formats/firefox/index.js';
import { pstatsFormat } from '../../src/formats/pstats/index.js';
import { callgrindFormat } from '../../src/formats/callgrind/index.js';
import { vmprofFormat } from '../../src/formats/vmprof/index.js';
import { attachPypyLog, parsePypyLog } from '../../src/formats/pypylog/index.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { fixture } from '../helpers.js';
import { validateFirefoxProfile } from './firefox-schema.js';
import { HOSTILE_NAMES, syntheticProfile } from './writer-profiles.js';

type Json = Record<string, any>;

function exportJson(profile: Profile, options = {}): Json {
  return JSON.parse(firefoxFormat.write!(profile, options) as string);
}

/** Function-name stacks (root first) of every sample of a Firefox thread, read back from its tables. */
function firefoxStacks(json: Json, thread: number): (string[] | null)[] {
  const { stackTable, frameTable, funcTable, stringArray } = json.shared;
  const prefixOf = (s: number) => (stackTable.prefixOffset[s] === 0 ? -1 : s - stackTable.prefixOffset[s]);
  return json.threads[thread].samples.stack.map((s: number | null) => {
    if (s === null) return null;
    const names: string[] = [];
    for (let cur = s; cur >= 0; cur = prefixOf(cur)) names.unshift(stringArray[funcTable.name[frameTable.func[stackTable.frame[cur]]]]);
    return names;
  });
}

function modelStacks(profile: Profile, thread: number): (string[] | null)[] {
  const { samples } = profile.threads[thread];
  return Array.from(samples.stack.subarray(0, samples.length), (s) => {
    if (s < 0) return null;
    const names: string[] = [];
    for (let cur = s; cur >= 0; cur = profile.stacks.prefix[cur])
      names.unshift(funcName(profile, profile.frames.func[profile.stacks.frame[cur]]));
    return names;
  });
}

test('synthetic profile: valid processed format, every sample stack and name kept', () => {
  const profile = syntheticProfile();
  const json = exportJson(profile);
  assert.deepEqual(validateFirefoxProfile(json), []);
  assert.equal(json.meta.preprocessedProfileVersion, FIREFOX_PROCESSED_VERSION);
  assert.equal(json.meta.product, 'pyrometer');
  assert.equal(json.meta.interval, 1);
  assert.equal(json.meta.startTime, 1_700_000_000_000);
  assert.deepEqual(
    json.meta.categories.map((c: Json) => c.name),
    ['Python', 'Native', 'JIT', 'GC', 'Other', 'Idle', 'Kernel'],
  );
  assert.equal(json.threads.length, 2);
  for (let t = 0; t < 2; t++) {
    assert.deepEqual(firefoxStacks(json, t), modelStacks(profile, t), `thread ${t} stacks`);
    assert.deepEqual(json.threads[t].samples.time, Array.from(profile.threads[t].samples.time));
  }
  assert.equal(json.threads[1].name, 'worker <&>');
  // Every hostile name comes back byte for byte.
  for (const name of HOSTILE_NAMES) assert.ok(json.shared.stringArray.includes(name), JSON.stringify(name));
  // Lines: frames carry their line, functions their first line and file.
  const work = json.shared.funcTable.name.findIndex((n: number) => json.shared.stringArray[n] === 'work');
  assert.equal(json.shared.funcTable.lineNumber[work], 10);
  assert.equal(json.shared.stringArray[json.shared.sources.filename[json.shared.funcTable.source[work]]], 'app/work.py');
  const workLines = json.shared.frameTable.func.flatMap((f: number, i: number) => (f === work ? [json.shared.frameTable.line[i]] : []));
  assert.deepEqual([...new Set(workLines)].sort(), [12, 14]);
  // The JIT frame of `work` is in the JIT category; the idle frame in Idle.
  const categoriesOfWork = json.shared.frameTable.func.flatMap((f: number, i: number) =>
    f === work ? [json.meta.categories[json.shared.frameTable.category[i]].name] : [],
  );
  assert.ok(categoriesOfWork.includes('JIT') && categoriesOfWork.includes('Python'));
});

test('markers become schema-described thread markers; RSS becomes a memory counter', () => {
  const profile = syntheticProfile();
  const json = exportJson(profile);
  const markers = json.threads[0].markers;
  const names = markers.name.map((n: number) => json.shared.stringArray[n]);
  assert.deepEqual(names, ['gc-minor', 'gc-minor-walkroots', 'jit-tracing', HOSTILE_NAMES[0]]);
  assert.deepEqual(markers.phase, [1, 1, 1, 0]);
  assert.deepEqual(
    markers.category.map((c: number) => json.meta.categories[c].name),
    ['GC', 'GC', 'JIT', 'JIT'],
  );
  assert.equal(markers.data[0].type, 'PyPyLog');
  assert.equal(markers.data[0].freed, 1024);
  assert.equal(markers.data[0].note, 'walk <roots> & "x"');
  assert.equal(markers.data[1].depth, 1);
  assert.equal(json.threads[0].showMarkersInTimeline, true);
  const schema = json.meta.markerSchema.find((s: Json) => s.name === 'PyPyLog');
  assert.deepEqual(
    schema.fields.find((f: Json) => f.key === 'freed'),
    { key: 'freed', format: 'integer' },
  );

  assert.equal(json.counters.length, 1);
  const counter = json.counters[0];
  assert.equal(counter.category, 'Memory');
  assert.equal(counter.mainThreadIndex, 0);
  // The profiler accumulates deltas: their running sum is the RSS in bytes at each sample.
  const rss = profile.threads[0].samples.rss!;
  let sum = 0;
  counter.samples.count.forEach((delta: number, i: number) => {
    sum += delta;
    assert.equal(sum, rss[i] * 1024);
  });
});

test('a recording span: absolute endTime, relative profiling range; unnamed processes get a shared pid', () => {
  const b = new ProfileBuilder('synthetic', { interval: 1, startTime: 1_000_000, endTime: 1_000_290.5 });
  const t = b.thread('7');
  b.addSampleFrames(t, [b.frame(b.func('f', 'f.py', 1))], 0, 1, 5000);
  b.addSampleFrames(t, [b.frame(b.func('f', 'f.py', 1))], 1, 1, 5100);
  b.addMarker(t, 'gc-minor', 200, 250, 'gc-minor');
  const json = exportJson(b.build());
  assert.deepEqual(validateFirefoxProfile(json), []);
  assert.equal(json.meta.endTime, 1_000_290.5);
  assert.equal(json.meta.profilingStartTime, 0);
  assert.equal(json.meta.profilingEndTime, 290.5);
  assert.equal(json.threads[0].pid, '0');
  assert.equal(json.counters[0].pid, '0');
  const broken = structuredClone(json);
  broken.counters[0].pid = '';
  assert.match(validateFirefoxProfile(broken).join(), /counters\[0\]\.pid/);
});

test('weights in other units: durations as tracing-ms, bytes as bytes', () => {
  for (const [unit, type, factor] of [
    ['ns', 'tracing-ms', 1e-6],
    ['bytes', 'bytes', 1],
    ['samples', 'samples', 1],
  ] as const) {
    const b = new ProfileBuilder('synthetic', { weightUnit: unit });
    const t = b.thread('1');
    b.addSampleFrames(t, [b.frame(b.func('f', 'f.py', 1))], 0, 3_000_000);
    b.addSampleFrames(t, [b.frame(b.func('g', 'g.py', 1))], 1, 1_000_000);
    const json = exportJson(b.build());
    assert.deepEqual(validateFirefoxProfile(json), []);
    assert.equal(json.threads[0].samples.weightType, type);
    assert.deepEqual(json.threads[0].samples.weight, [3_000_000 * factor, 1_000_000 * factor]);
  }
});

test('thread selection keeps only the chosen threads', () => {
  const json = exportJson(syntheticProfile(), { threads: [1] });
  assert.deepEqual(validateFirefoxProfile(json), []);
  assert.deepEqual(
    json.threads.map((t: Json) => t.name),
    ['worker <&>'],
  );
  assert.equal(json.counters, undefined, 'the worker recorded no RSS');
});

test('real fixtures (cProfile, callgrind) export to valid processed profiles', () => {
  const cases: [Profile, string][] = [
    [pstatsFormat.read!(new Uint8Array(readFileSync(fixture('cprofile/cprofile-python3-primes.pstats')))), 'pstats'],
    [callgrindFormat.read!(new Uint8Array(readFileSync(fixture('callgrind/callgrind.python3-tiny.out')))), 'callgrind'],
  ];
  for (const [profile, name] of cases) {
    const json = exportJson(profile);
    assert.deepEqual(validateFirefoxProfile(json), [], name);
    assert.deepEqual(firefoxStacks(json, 0), modelStacks(profile, 0), name);
    assert.equal(json.meta.importedFrom, name);
  }
});

test('real PyPy VMProf files: RSS as a memory counter, PYPYLOG sections as markers', () => {
  const read = (path: string) => vmprofFormat.read!(new Uint8Array(readFileSync(fixture(path))));
  const withMemory = read('vmprof/pypy-primes-mem.prof');
  const memJson = exportJson(withMemory);
  assert.deepEqual(validateFirefoxProfile(memJson), []);
  assert.deepEqual(firefoxStacks(memJson, 0), modelStacks(withMemory, 0));
  assert.equal(memJson.counters.length, 1);
  const rss = withMemory.threads[0].samples.rss!;
  const lastRss = [...rss].filter(Number.isFinite).at(-1)!;
  assert.equal(
    memJson.counters[0].samples.count.reduce((a: number, b: number) => a + b, 0),
    lastRss * 1024,
  );

  const run = attachPypyLog(
    read('vmprof/pypy-wordcount.prof'),
    parsePypyLog(new Uint8Array(readFileSync(fixture('pypy/pypy-wordcount.pypylog')))),
  );
  const json = exportJson(run);
  assert.deepEqual(validateFirefoxProfile(json), []);
  const markers = json.threads.reduce((n: number, t: Json) => n + t.markers.length, 0);
  assert.equal(
    markers,
    run.threads.reduce((n, t) => n + t.markers.length, 0),
  );
  assert.ok(markers > 100);
  const names = new Set(json.threads.flatMap((t: Json) => t.markers.name.map((n: number) => json.shared.stringArray[n])));
  assert.ok(names.has('gc-minor') && names.has('jit-tracing'), [...names].join());
  // The timeline covers the whole run, including log sections after the last sample.
  assert.ok(json.meta.profilingEndTime >= Math.max(...json.threads[0].markers.endTime));
});

test('a profile without threads still gives a loadable file (one empty thread)', () => {
  const json = exportJson(new ProfileBuilder('jitlog').build());
  assert.deepEqual(validateFirefoxProfile(json), []);
  assert.equal(json.threads.length, 1);
  assert.equal(json.threads[0].samples.length, 0);
});

test('writeChunks streams the same text in bounded pieces', () => {
  const b = new ProfileBuilder('synthetic', { interval: 1 });
  const t = b.thread('1');
  const frames = Array.from({ length: 50 }, (_, i) => b.frame(b.func(`f${i}`, 'm.py', i + 1)));
  for (let i = 0; i < 60_000; i++) b.addSampleFrames(t, frames.slice(0, 1 + (i % 50)), i * 1.001);
  const profile = b.build();
  const chunks = [...firefoxFormat.writeChunks!(profile)] as string[];
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  assert.ok(
    chunks.every((c) => c.length < 200_000),
    'no chunk much bigger than the chunk size',
  );
  const text = chunks.join('');
  assert.equal(text, firefoxFormat.write!(profile));
  assert.deepEqual(validateFirefoxProfile(JSON.parse(text)), []);
});

test('the validator rejects broken profiles (it can fail)', () => {
  const good = exportJson(syntheticProfile());
  const broken = (mutate: (j: Json) => void) => {
    const j = structuredClone(good);
    mutate(j);
    return validateFirefoxProfile(j);
  };
  assert.match(broken((j) => j.shared.frameTable.func.push(0)).join(), /frameTable\.func: has/);
  assert.match(
    broken((j) => {
      j.shared.stackTable.frame[0] = 10_000;
    }).join(),
    /stackTable\.frame\[0\]/,
  );
  assert.match(
    broken((j) => {
      j.shared.stackTable.prefixOffset[0] = 1;
    }).join(),
    /prefixOffset\[0\]/,
  );
  assert.match(
    broken((j) => {
      j.threads[0].samples.stack[3] = -1;
    }).join(),
    /samples\.stack\[3\]/,
  );
  assert.match(
    broken((j) => {
      j.meta.categories[0].color = 'pink';
    }).join(),
    /categories\[0\]/,
  );
  assert.match(
    broken((j) => {
      delete j.shared.funcTable.relevantForJS;
    }).join(),
    /relevantForJS/,
  );
  assert.match(
    broken((j) => {
      j.threads[0].markers.data[0].type = 'Nope';
    }).join(),
    /markers\.data\[0\]/,
  );
  assert.match(
    broken((j) => {
      j.meta.preprocessedProfileVersion = 69;
    }).join(),
    /preprocessedProfileVersion/,
  );
});
