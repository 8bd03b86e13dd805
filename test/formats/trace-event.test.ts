import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { testData } from '../helpers.js';
import { readTraceEvents, readTraceEventStream } from '../../src/formats/trace-event.js';
import { loadProfile } from '../../src/formats/load.js';
import { funcName, funcFile, type Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertSniffsAs, assertNotSniffedAs, stackMultiset, utf8 } from './format-helpers.js';

const stacks = (p: Profile) => Object.fromEntries([...stackMultiset(p)].sort().map(([k, w]) => [k, Number(w.toFixed(6))]));
const json = (v: unknown) => utf8(JSON.stringify(v));
const markers = (p: Profile, t = 0) => {
  const m = p.threads[t].markers;
  return Array.from({ length: m.length }, (_, i) => [p.strings[m.name[i]], m.start[i], m.end[i], m.depth[i]]);
};

test('trace-event: B/E/X slices are the stacks, weighted by real time, per thread', () => {
  const events = [
    { name: 'process_name', ph: 'M', pid: 1, args: { name: 'app' } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 2, args: { name: 'worker' } },
    { name: 'main', ph: 'B', pid: 1, tid: 1, ts: 1000 },
    { name: 'parse', ph: 'X', pid: 1, tid: 1, ts: 1100, dur: 300 },
    // Two X slices starting together: the longer one encloses the shorter.
    { name: 'inner', ph: 'X', pid: 1, tid: 1, ts: 1500, dur: 100 },
    { name: 'outer', ph: 'X', pid: 1, tid: 1, ts: 1500, dur: 400 },
    { name: 'main', ph: 'E', pid: 1, tid: 1, ts: 2000 },
    { name: 'job', ph: 'B', pid: 1, tid: 2, ts: 1200 },
    { name: 'job', ph: 'E', pid: 1, tid: 2, ts: 1700 },
    { name: 'tick', ph: 'i', pid: 1, tid: 1, ts: 1250, s: 't' },
    { name: 'heap', ph: 'C', pid: 1, ts: 1000, args: { used: 10, total: 20 } },
    { name: 'heap', ph: 'C', pid: 1, ts: 1800, args: { used: 15, total: 20 } },
  ];
  const bytes = json(events);
  assertSniffsAs(bytes, 'trace-event');
  const p = readTraceEvents(bytes);
  assert.equal(p.meta.format, 'trace-event');
  assert.equal(p.meta.weightUnit, 'ms');
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id, t.name]),
    [
      ['1', '1', 'app'],
      ['1', '2', 'worker'],
    ],
  );
  assert.deepEqual(stacks(p), {
    main: 0.3, // 1000-1100, 1400-1500, 1900-2000
    'main;parse': 0.3,
    'main;outer': 0.3,
    'main;outer;inner': 0.1,
    job: 0.5,
  });
  // Real times: ms from the earliest event; the worker's slice starts 0.2 ms in.
  assert.deepEqual([...p.threads[0].samples.time], [0, 0.1, 0.4, 0.5, 0.6, 0.9]);
  assert.deepEqual([...p.threads[1].samples.time], [0.2]);
  assert.deepEqual(markers(p), [['tick', 0.25, 0.25, 0]]);
  assert.deepEqual(
    p.counters.map((c) => [c.name, [...c.time], [...c.value]]),
    [
      ['heap.used (app, pid 1)', [0, 0.8], [10, 15]],
      ['heap.total (app, pid 1)', [0, 0.8], [20, 20]],
    ],
  );
  assert.deepEqual(p.meta.warnings, []);
  assertExportRoundTrip(p, 'speedscope');
  assertExportRoundTrip(p, 'collapsed', { scale: 1000 });
});

test('trace-event: ends are matched like speedscope matches them', () => {
  // An end that does not match the innermost slice is skipped; same-time ends are reordered to match.
  const p = readTraceEvents(
    json([
      { name: 'a', ph: 'B', pid: 0, tid: 0, ts: 0 },
      { name: 'b', ph: 'B', pid: 0, tid: 0, ts: 1000 },
      { name: 'a', ph: 'E', pid: 0, tid: 0, ts: 3000 },
      { name: 'b', ph: 'E', pid: 0, tid: 0, ts: 3000 },
      { name: 'zzz', ph: 'E', pid: 0, tid: 0, ts: 3500 },
      { name: 'c', ph: 'B', pid: 0, tid: 0, ts: 4000 },
      { name: 'c', ph: 'E', pid: 0, tid: 0, ts: 4000 }, // zero length: opens, then closes
    ]),
  );
  assert.deepEqual(stacks(p), { a: 1, 'a;b': 2 });
  assert.deepEqual(p.meta.warnings, ['1 end events matched no open slice of the same name and were skipped']);
  // Slices left open end at the thread's last matched event.
  const open = readTraceEvents(
    json([
      { name: 'a', ph: 'B', pid: 0, tid: 0, ts: 0 },
      { name: 'b', ph: 'X', pid: 0, tid: 0, ts: 500, dur: 500 },
    ]),
  );
  assert.deepEqual(stacks(open), { a: 0.5, 'a;b': 0.5 });
  assert.match(open.meta.warnings.join(), /1 slices were still open/);
});

test('trace-event: VizTracer and Hermes names carry files and lines; ts may be strings', () => {
  const p = readTraceEvents(
    json({
      traceEvents: [
        { name: 'fib (/home/u/fib.py:3)', ph: 'X', pid: 5, tid: 5, ts: '10', dur: 40, cat: 'FEE' },
        { name: 'run', ph: 'X', pid: 5, tid: 5, ts: '60', dur: 10, args: { url: 'app.js', line: 7, column: 1 } },
      ],
      viztracer_metadata: { version: '0.16.0' },
    }),
  );
  const fib = p.frames.func[p.stacks.frame[0]];
  assert.deepEqual([funcName(p, fib), funcFile(p, fib), p.funcs.line[fib]], ['fib', '/home/u/fib.py', 3]);
  const run = p.frames.func[p.stacks.frame[1]];
  assert.deepEqual([funcName(p, run), funcFile(p, run), p.funcs.line[run]], ['run', 'app.js', 7]);
});

test('trace-event: DevTools traces: CPU profile chunks are the samples, slices become markers', () => {
  const chunkNodes = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1, scriptId: 0 } },
    { id: 2, parent: 1, callFrame: { functionName: 'main', url: 'https://x/app.js', lineNumber: 0, columnNumber: 0, scriptId: 1 } },
    {
      id: 3,
      parent: 2,
      callFrame: { functionName: '<img src=x onerror=alert(1)>', url: 'https://x/app.js', lineNumber: 4, columnNumber: 0, scriptId: 1 },
    },
  ];
  const events = [
    { name: 'thread_name', ph: 'M', pid: 10, tid: 11, args: { name: 'CrRendererMain' } },
    { name: 'Profile', ph: 'P', id: '0x1', pid: 10, tid: 11, ts: 0, args: { data: { startTime: 5000 } } },
    // Chunks may come from a helper thread: the Profile event names the sampled one.
    {
      name: 'ProfileChunk',
      ph: 'P',
      id: '0x1',
      pid: 10,
      tid: 99,
      ts: 1,
      args: { data: { cpuProfile: { nodes: chunkNodes, samples: [2, 3] }, timeDeltas: [100, 100] } },
    },
    {
      name: 'ProfileChunk',
      ph: 'P',
      id: '0x1',
      pid: 10,
      tid: 99,
      ts: 2,
      args: { data: { cpuProfile: { samples: [3, 3, 77] }, timeDeltas: [100, 100, 250] } },
    },
    { name: 'ProfileChunk', ph: 'P', id: '0x1', pid: 10, tid: 99, ts: 3, args: {} },
    { name: 'RunTask', ph: 'X', pid: 10, tid: 11, ts: 5050, dur: 300, cat: 'toplevel' },
    { name: 'Profile', ph: 'P', id: '0x2', pid: 20, tid: 21, ts: 0, args: { data: { startTime: 5000 } } },
    {
      name: 'ProfileChunk',
      ph: 'P',
      id: '0x2',
      pid: 20,
      tid: 21,
      ts: 1,
      args: { data: { cpuProfile: { nodes: chunkNodes.slice(0, 2), samples: [2] }, timeDeltas: [7] } },
    },
  ];
  const bytes = json({ traceEvents: events });
  assertSniffsAs(bytes, 'trace-event');
  const p = readTraceEvents(bytes);
  assert.equal(p.meta.format, 'chrome');
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id, t.name, t.samples.length]),
    [
      ['10', '11', 'CrRendererMain', 4],
      ['20', '21', '', 1],
    ],
  );
  // Sample 77 names a node the trace lost: left out, the sample before it lasts until it.
  assert.deepEqual(stacks(p), {
    'main (https://x/app.js:1)': 0.1,
    'main (https://x/app.js:1);<img src=x onerror=alert(1)> (https://x/app.js:5)': 0.45,
  });
  assert.match(p.meta.warnings.join(), /1 samples name call tree nodes the profile does not have/);
  // Both profiles share the trace clock: the second's only sample is at 5007 us, 0.093 ms before the first's first.
  assert.deepEqual([...p.threads[1].samples.time], [0]);
  assert.deepEqual([...p.threads[0].samples.time], [0.093, 0.193, 0.293, 0.393]);
  assert.deepEqual(markers(p), [['RunTask', 0.043, 0.343, 0]]);
});

test('trace-event: an old timeline CpuProfile event carries a whole profile', () => {
  const cpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2] },
      { id: 2, callFrame: { functionName: 'go', url: 'a.js', lineNumber: 1 } },
    ],
    samples: [2, 2, 1],
    timeDeltas: [10, 20, 30],
    startTime: 1000,
    endTime: 1100,
  };
  const p = readTraceEvents(json([{ name: 'CpuProfile', ph: 'I', pid: 1, tid: 2, ts: 1000, cat: 'x', args: { data: { cpuProfile } } }]));
  assert.deepEqual(stacks(p), { 'go (a.js:2)': 0.05 });
  assert.deepEqual(
    p.threads.map((t) => [t.id, t.samples.length]),
    [['2', 3]],
  );
});

test('trace-event: samples with stackFrames (the third layout)', () => {
  const p = readTraceEvents(
    json({
      traceEvents: [{ name: 'thread_name', ph: 'M', pid: 1, tid: '7', args: { name: 'js' } }],
      stackFrames: { 1: { name: 'root', category: 'c' }, 2: { name: 'f', category: 'c', parent: 1 } },
      samples: [
        { pid: 1, tid: '7', ts: '1000', sf: 1, weight: '1' },
        { pid: 1, tid: '7', ts: '1500', sf: 2, weight: '1' },
        { pid: 1, tid: '7', ts: '1600', sf: 2, weight: '1' },
      ],
    }),
  );
  assert.deepEqual(stacks(p), { 'root (c)': 0.5, 'root (c);f (c)': 0.1 });
  assert.equal(p.threads[0].name, 'js');
});

test('trace-event: a trace cut off mid-way is read up to the cut, with a warning', () => {
  const whole = '[{"name":"a","ph":"X","pid":1,"tid":1,"ts":0,"dur":10},\n{"name":"b","ph":"X","pid":1,"tid":1,"ts":20,"dur":10},';
  for (const [text, dropped] of [
    [whole, false],
    [whole + '\n\n', false],
    [whole.slice(0, -1), false],
    [whole + '{"name":"c","ph":"X","pi', true],
  ] as const) {
    const p = readTraceEvents(utf8(text));
    assert.deepEqual(stacks(p), { a: 0.01, b: 0.01 });
    assert.equal(
      p.meta.warnings[0],
      `the trace ends without closing its event list${dropped ? ' (the last, unfinished event was dropped)' : ''}`,
    );
  }
});

test('trace-event: the streaming reader gives the same profile whatever the chunking', async () => {
  const bytes = new Uint8Array(gunzipSync(readFileSync(testData('formats/trace-event/chromium-devtools-trace.json.gz'))));
  const whole = readTraceEvents(bytes);
  for (const size of [1, 7, 4096]) {
    if (size === 1 && bytes.length > 300000) continue;
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    const streamed = await readTraceEventStream(chunks());
    assert.deepEqual(stacks(streamed), stacks(whole), `chunks of ${size}`);
    assert.deepEqual(
      streamed.threads.map((t) => t.markers.length),
      whole.threads.map((t) => t.markers.length),
    );
  }
  // The loader streams big files: a tiny threshold forces the streaming path.
  const path = testData('formats/trace-event/node-trace-events.json');
  const streamed = await loadProfile(path, { streamThreshold: 0 });
  assert.deepEqual(stacks(streamed), stacks(readTraceEvents(new Uint8Array(readFileSync(path)))));
});

test('trace-event: real files: Node --trace-event-categories and a Chromium DevTools trace', async () => {
  const node = await loadProfile(testData('formats/trace-event/node-trace-events.json'));
  assert.equal(node.meta.format, 'trace-event');
  assert.equal(node.threads.length, 1);
  const names = new Set(Array.from({ length: node.funcs.length }, (_, f) => funcName(node, f)));
  for (const n of ['V8.DeserializeIsolate', 'RunTimers', 'RunAndClearNativeImmediates']) assert.ok(names.has(n), n);
  // Node writes the whole trace in one thread; every X slice is within the thread's time span.
  const chromium = await loadProfile(testData('formats/trace-event/chromium-devtools-trace.json.gz'));
  assert.equal(chromium.meta.format, 'chrome');
  const main = chromium.threads.find((t) => t.name === 'CrRendererMain');
  assert.ok(main && main.samples.length > 100, 'the renderer main thread has the CPU samples');
  const fib = stackMultiset(chromium);
  const fibTime = [...fib].filter(([k]) => /(^|;)fib( \(|$)/.test(k)).reduce((a, [, w]) => a + w, 0);
  // The page spins in fib for 150 ms; the sampler saw most of it.
  assert.ok(fibTime > 75 && fibTime < 400, `fib ${fibTime} ms`);
  assert.ok(main.markers.length > 0, 'timeline slices became markers');
});

test('trace-event: sniffing', () => {
  assertSniffsAs(utf8('[{"ph":"X","name":"a","ts":1,"dur":1,"pid":1,"tid":1}]'), 'trace-event');
  assertSniffsAs(utf8('{"otherData":{},"traceEvents":[]}'), 'trace-event');
  assertSniffsAs(utf8('\uFEFF[ {"pid":1,"ph":"B","ts":1}'), 'trace-event');
  assertNotSniffedAs(utf8('[1, 2, 3]'), 'trace-event');
  assertNotSniffedAs(utf8('{"nodes":[{"callFrame":{}}]}'), 'trace-event');
});

test('trace-event: bad input is one error with a position', () => {
  assertFormatError(() => readTraceEvents(utf8('')), 'trace-event', /empty input/);
  assertFormatError(() => readTraceEvents(utf8('"x"')), 'trace-event', /expected '\[' or '\{'/);
  assertFormatError(() => readTraceEvents(utf8('[{"ph":"B","ts":1} x]')), 'trace-event', /expected ',' or '\]'/);
  assertFormatError(() => readTraceEvents(utf8('[{"ph":"B","ts":1}, {"ph": nope}]')), 'trace-event', /invalid JSON in event 1/);
  assertFormatError(() => readTraceEvents(utf8('[{"ph":"B","ts":"soon"}]')), 'trace-event', /event 0\.ts: expected a number/);
  assertFormatError(() => readTraceEvents(utf8('[3]')), 'trace-event', /event 0: expected an event object/);
  assertFormatError(() => readTraceEvents(utf8('{"traceEvents": [], "x": ')), 'trace-event', /unexpected end of input/);
  assertFormatError(() => readTraceEvents(utf8('{"traceEvents": [] "x": 1}')), 'trace-event', /expected ',' or '\}'/);
  assertFormatError(
    () =>
      readTraceEvents(
        json({ traceEvents: [{ name: 'ProfileChunk', ph: 'P', args: { data: { cpuProfile: { samples: [1] }, timeDeltas: [] } } }] }),
      ),
    'trace-event',
    /0 deltas for 1 samples/,
  );
});

test('trace-event: async spans (b/e, S/F) become markers on the thread that began them', () => {
  const p = readTraceEvents(
    json([
      { name: 'fetch', ph: 'b', cat: 'net', id: '0x1', pid: 1, tid: 1, ts: 0, args: { url: 'a' } },
      { name: 'fetch', ph: 'b', cat: 'net', id: '0x2', pid: 1, tid: 1, ts: 100 },
      { name: 'fetch', ph: 'e', cat: 'net', id: '0x1', pid: 1, tid: 2, ts: 500 },
      { name: 'fetch', ph: 'e', cat: 'net', id: '0x2', pid: 1, tid: 2, ts: 300 },
      { name: 'load', ph: 'S', cat: 'x', id: 7, pid: 1, tid: 1, ts: 50 },
      { name: 'load', ph: 'F', cat: 'x', id: 7, pid: 1, tid: 1, ts: 60 },
      { name: 'lost', ph: 'e', cat: 'x', id: 9, pid: 1, tid: 1, ts: 70 },
    ]),
  );
  assert.deepEqual(markers(p).sort(), [
    ['fetch', 0, 0.5, 0],
    ['fetch', 0.1, 0.3, 0],
    ['load', 0.05, 0.06, 0],
  ]);
  assert.deepEqual(p.threads[0].markers.data.filter(Boolean), [{ url: 'a' }]);
  assert.match(p.meta.warnings.join(), /1 "unmatched e"/);
});
