import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsName, readV8Log } from '../../src/formats/v8log.js';
import { readV8LogJson } from '../../src/formats/v8log-json.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { SpeedscopeImporter, viewerTotal } from './speedscope-harness.js';
import { CATEGORY_GC, funcName, type Profile } from '../../src/model/profile.js';
import {
  assertExportRoundTrip,
  assertFormatError,
  assertModelInvariants,
  assertNotSniffedAs,
  assertSniffsAs,
  stackMultiset,
  utf8,
} from './format-helpers.js';

const stacks = (p: Profile) => Object.fromEntries([...stackMultiset(p)].sort());

// Addresses: node's text at 0x1000-0x9000; JS code at 0x20000+.
const SYNTH = [
  'v8-version,11,3,244,8,-node.38,0',
  'shared-library,/usr/bin/node,0x1000,0x9000,0',
  'profiler,begin,1000',
  'code-creation,Builtin,2,10,0x2000,64,InterpreterEntryTrampoline',
  'code-creation,JS,10,20,0x20000,100,main /app/main.js:1:1,0x90000,~',
  'code-creation,JS,10,21,0x20100,100,work /app/main.js:5:14,0x90010,~',
  'script-source,7,/app/main.js,function main() {\\n  work()\\n}\\n\\nfunction work() {\\n  let s = 0\\x2C t = 1\\n  return s\\n}\\n',
  // work's bytecode: code offsets 0-9 map to the source's line 6, 10+ to line 7.
  'code-source-info,0x20100,7,44,90,C0O50C10O70,,',
  'tick,0x20105,1000,0,0x0,0,0x2010,0x20010', // work line 6 <- trampoline <- main
  'tick,0x20150,2000,0,0x0,0,-0x140', // a frame relative to the pc: 0x20010
  // Optimised work replaces the bytecode: same function, jit category, own line (no source info).
  'code-creation,JS,11,25,0x30000,200,work /app/main.js:5:14,0x90010,*',
  'tick,0x30010,3000,0,0x0,0,0x20010,overflow',
  // The GC moves main's code; the old address no longer resolves.
  'code-move,0x20000,0x40000',
  'tick,0x30010,4000,0,0x0,1,0x40010,0x20010',
  // A frameless call: top of stack is JS code (main), pc in a library.
  'tick,0x5000,5000,0,0x40020,6',
  // An external callback: the callback address stands for the pc.
  'tick,0x7fff0000,6000,1,0x6000,6,0x40010',
  'code-delete,0x30000',
  'tick,0x30010,7000,0,0x0,8,0x40010', // deleted code and idle state
].join('\n');

// Older V8 (node 8): quoted names and paths, a quote doubled inside one, no timestamp in code-creation.
const OLD = [
  'v8-version,6,0,287,53,0',
  'shared-library,"/usr/local/bin/node",0x1000,0x9000,0',
  'code-creation,LazyCompile,0,0x50000,10,"a,b /old.js:3",0x90020,~',
  'code-creation,LazyCompile,0,0x50010,10,"say""hi"" /old.js:7",0x90020,~',
  'tick,0x50004,8000,0,0x0,0,0x50012',
  'tick,0x0,9000,0,0x0,4',
].join('\n');

test('v8log: ticks become stacks through the code map as it stands at each tick', () => {
  const bytes = utf8(SYNTH);
  assertSniffsAs(bytes, 'v8log', 'isolate-0x31375e80-19881-v8.log');
  const p = readV8Log(bytes);
  assertModelInvariants(p);
  assert.equal(p.meta.interval, 1);
  assert.equal(p.meta.extra['v8-version'], '11.3.244.8-node.38');
  assert.deepEqual([...p.threads[0].samples.time], [1, 2, 3, 4, 5, 6, 7], 'tick µs become ms');
  assert.deepEqual(stacks(p), {
    'main (/app/main.js:1);InterpreterEntryTrampoline;work (/app/main.js:6)': 1,
    'main (/app/main.js:1);work (/app/main.js:7)': 1,
    'main (/app/main.js:1);work (/app/main.js:5)': 1,
    'main (/app/main.js:1);work (/app/main.js:5);(garbage collector)': 1,
    'main (/app/main.js:1);node (/usr/bin/node)': 2,
    'main (/app/main.js:1);(idle)': 1,
  });
  const jitFrames = [...Array(p.frames.length).keys()].filter((f) => p.frames.category[f] === 2);
  assert.deepEqual(
    jitFrames.map((f) => funcName(p, p.frames.func[f])),
    ['work'],
    'only the TurboFan code is a jit frame',
  );
  assertExportRoundTrip(p, 'speedscope');
});

test('v8log: an old (node 8) log with quoted names and paths', () => {
  const p = readV8Log(utf8(OLD));
  assertModelInvariants(p);
  assert.deepEqual(stacks(p), { 'say"hi" (/old.js:7);a,b (/old.js:3)': 1 });
  assert.equal(p.threads[0].samples.length, 2, 'a tick with no frame is still a sample (an empty stack)');
});

test('v8log: bad records are one error with a line; other logs are not V8 logs', () => {
  assertFormatError(() => readV8Log(utf8('v8-version,11,3,0,0,0,0\ntick,zz,1,0,0x0,0\n')), 'v8log', /bad tick address.*\(line 2\)/);
  assertFormatError(() => readV8Log(utf8('v8-version,11,3,0,0,0,0\ntick,0x1\n')), 'v8log', /tick needs/);
  assertFormatError(() => readV8Log(utf8('code-creation,JS,1,2,0xq,x,f\n')), 'v8log', /bad code address/);
  assertFormatError(() => readV8Log(utf8('hello,world\n')), 'v8log', /not a V8 log/);
  assertNotSniffedAs(utf8('tick,tock\nsome other,csv\n'), 'v8log');
  assertNotSniffedAs(utf8('[1a2b] {gc-minor\n[1a2c] gc-minor}\n'), 'v8log');
});

const WORKLOAD = `function hot() {
  let s = 0;
  for (let i = 0; i < 2e6; i++) {
    s += Math.sqrt(i) * Math.sin(i);
  }
  return s;
}
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
// A fixed amount of work, not a time: on a loaded machine a timed loop gets few ticks.
for (let k = 0; k < 25; k++) { hot(); fib(20); }
`;

/** Per sample in time order: its JS functions (kind other, not idle), root first, joined. */
function jsStacksPerTick(p: Profile): string[] {
  const out: string[] = [];
  const samples = p.threads[0].samples;
  for (let i = 0; i < samples.length; i++) {
    const names: string[] = [];
    for (let s = samples.stack[i]; s >= 0; s = p.stacks.prefix[s]) {
      const frame = p.stacks.frame[s];
      const func = p.frames.func[frame];
      if (p.funcs.kind[func] === 4 /* other: JS */ && p.frames.category[frame] !== 5) names.push(funcName(p, func));
    }
    out.push(names.reverse().join(';'));
  }
  return out;
}

/** The preprocessed output of the real log, for speedscope's importer below. */
let sharedPreprocessed: Uint8Array | null = null;

/** The JS function names of a --prof-process --preprocess tick, root first. */
function preprocessedJsNames(pre: { code: { name: string; type: string }[] }, s: number[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < s.length; i += 2) {
    const entry = pre.code[s[i]];
    if (s[i] < 0 || entry?.type !== 'JS') continue;
    const name = entry.name.slice(0, entry.name.lastIndexOf(' '));
    names.push(name === '' ? '(anonymous)' : name);
  }
  return names.reverse();
}

test('v8log: a real node --prof log matches node --prof-process --preprocess tick by tick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-v8log-'));
  try {
    writeFileSync(join(dir, 'work.js'), WORKLOAD);
    execFileSync(process.execPath, ['--prof', 'work.js'], { cwd: dir });
    const log = readdirSync(dir).find((f) => /^isolate-.*\.log$/.test(f));
    assert.ok(log, 'node --prof wrote an isolate log');
    const bytes = new Uint8Array(readFileSync(join(dir, log)));
    assertSniffsAs(bytes, 'v8log', log);
    const p = readV8Log(bytes);
    assertModelInvariants(p);
    const preBytes = new Uint8Array(
      execFileSync(process.execPath, ['--prof-process', '--preprocess', log], {
        cwd: dir,
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    const pre = JSON.parse(new TextDecoder().decode(preBytes)) as {
      code: { name: string; type: string }[];
      ticks: { tm: number; s: number[] }[];
    };

    const samples = p.threads[0].samples;
    assert.equal(samples.length, pre.ticks.length, 'one sample per tick');
    let mismatches = 0;
    const ours = jsStacksPerTick(p);
    for (let i = 0; i < samples.length; i++) {
      assert.equal(samples.time[i], pre.ticks[i].tm / 1000, `tick ${i} time`);
      if (ours[i] !== preprocessedJsNames(pre, pre.ticks[i].s).join(';')) mismatches++;
    }
    assert.equal(mismatches, 0, 'every tick has the JS frames the tick processor finds');

    // The tick processor's own output, read by its reader, gives each tick the same JS stack.
    assertSniffsAs(preBytes, 'v8log-json', 'work.v8log.json');
    const fromJson = readV8LogJson(preBytes);
    assertModelInvariants(fromJson);
    assert.deepEqual(jsStacksPerTick(fromJson), jsStacksPerTick(p));
    const json = fromJson.threads[0].samples;
    assert.equal(
      json.weight.reduce((a, b) => a + b, 0),
      pre.ticks.at(-1)!.tm,
      'ticks weigh the time since the one before',
    );
    sharedPreprocessed = preBytes;

    // The hot loop's body is where hot's own time goes: line 3 or 4 of work.js, never outside hot.
    const hotLines = new Map<number, number>();
    for (let i = 0; i < samples.length; i++) {
      const s = samples.stack[i];
      if (s < 0) continue;
      const frame = p.stacks.frame[s];
      if (funcName(p, p.frames.func[frame]) !== 'hot') continue;
      hotLines.set(p.frames.line[frame], (hotLines.get(p.frames.line[frame]) ?? 0) + 1);
    }
    const hotTotal = [...hotLines.values()].reduce((a, b) => a + b, 0);
    assert.ok(hotTotal > 20, `hot has its own samples: ${JSON.stringify([...hotLines])}`);
    assert.ok(
      [...hotLines.keys()].every((l) => l >= 1 && l <= 7),
      `hot's lines lie in hot: ${JSON.stringify([...hotLines])}`,
    );
    assert.ok(((hotLines.get(3) ?? 0) + (hotLines.get(4) ?? 0)) / hotTotal > 0.5, `mostly the loop: ${JSON.stringify([...hotLines])}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Milliseconds of samples whose whole stack is the garbage collector's frame. */
function gcOnlyWeight(p: Profile): number {
  let total = 0;
  for (const t of p.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0 && p.stacks.prefix[s] < 0 && p.frames.category[p.stacks.frame[s]] === CATEGORY_GC) total += t.samples.weight[i] / 1000;
    }
  }
  return total;
}

test("v8log-json: speedscope's own importer shows the total we read for node's preprocessed ticks", async () => {
  assert.ok(sharedPreprocessed, 'the real-log test made the file');
  const speedscope = new SpeedscopeImporter();
  await speedscope.start();
  try {
    const { importer, exported } = await speedscope.import('work.v8log.json', sharedPreprocessed, 60_000);
    assert.match(importer, /v8/i);
    assert.ok(exported);
    const profile = readV8LogJson(sharedPreprocessed);
    // a GC tick with no JS stack is one "(garbage collector)" frame here and an empty stack in
    // speedscope, which its views leave out: compare what both show
    const gcAlone = gcOnlyWeight(profile);
    const ours = viewerTotal(profile) - gcAlone;
    const theirs = viewerTotal(exported);
    assert.ok(theirs > 0 && Math.abs(ours - theirs) <= 1e-3 * theirs, `ours ${ours} (GC alone ${gcAlone} left out), speedscope ${theirs}`);
  } finally {
    await speedscope.stop();
  }
});

test('v8log-json: unresolved entries, raw addresses, GC ticks; bad input is one error', () => {
  const bytes = utf8(
    JSON.stringify({
      code: [
        { name: '/usr/bin/node', type: 'SHARED_LIB' },
        { name: 'main /app/m.js:1:1', type: 'JS', kind: 'Unopt', func: 0 },
        { name: 'hot /app/m.js:4:10', type: 'JS', kind: 'Opt', func: 1 },
      ],
      functions: [],
      ticks: [
        { tm: 2000, vm: 0, s: [2, 5, -1, 77, 1, 9] },
        { tm: 1000, vm: 0, s: [-1, 12345] },
        { tm: 3500, vm: 1, s: [99, 0, 1, 3] },
      ],
    }),
  );
  assertSniffsAs(bytes, 'v8log-json', 'x.v8log.json');
  const p = readV8LogJson(bytes);
  assertModelInvariants(p);
  assert.equal(p.meta.weightUnit, 'us');
  // Sorted by time, each weighing the time since the previous tick (the first: since the start).
  assert.deepEqual([...p.threads[0].samples.weight], [1000, 1000, 1500]);
  assert.deepEqual(stacks(p), {
    'main (/app/m.js:1);hot (/app/m.js:4)': 1, // ms
    'main (/app/m.js:1);0x63;(garbage collector)': 1.5,
  });
  const hot = [...Array(p.frames.length).keys()].find((f) => funcName(p, p.frames.func[f]) === 'hot')!;
  assert.equal(p.frames.category[hot], 2, 'optimised code is a JIT frame');
  // Shape errors name the JSON path instead of a byte offset.
  const shape = (text: string, pattern: RegExp) =>
    assert.throws(
      () => readV8LogJson(utf8(text)),
      (e) => e instanceof ProfileFormatError && e.format === 'v8log-json' && pattern.test(e.message) && !e.message.includes('\n'),
    );
  shape('{"code": [], "ticks": [{"tm": 1, "s": [0.5, 0]}]}', /\$\.ticks\[0\]\.s: code index 0\.5 is not an index/);
  shape('{"code": [], "ticks": 3}', /\$\.ticks: expected an array/);
  assertFormatError(() => readV8LogJson(utf8('{"code": [')), 'v8log-json', /unexpected end of input/);
  assertNotSniffedAs(utf8('{"head": {"callFrame": {}}}'), 'v8log-json');
});

test('JS names: function, script and line split from the end, in time linear in the name', () => {
  const cases: [string, { name: string; file: string; line: number }][] = [
    ['fib /tmp/a.js:3:10', { name: 'fib', file: '/tmp/a.js', line: 3 }],
    ['script.js:1:1', { name: '(anonymous)', file: 'script.js', line: 1 }],
    ['a b c.js:12', { name: 'a b', file: 'c.js', line: 12 }],
    ['x:1:2:3', { name: '(anonymous)', file: 'x:1', line: 2 }],
    ['f  /a.js:4', { name: 'f ', file: '/a.js', line: 4 }],
    ['f\t/a.js:9', { name: 'f\t', file: '/a.js', line: 9 }],
    [':1:2', { name: ':1:2', file: '', line: 0 }],
    ['fn', { name: 'fn', file: '', line: 0 }],
    ['', { name: '(anonymous)', file: '', line: 0 }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(jsName(input), expected, JSON.stringify(input));
  // the regular expression this replaced took seconds on such a name
  const long = `${'0'.repeat(200_000)}0`;
  assert.deepEqual(jsName(long), { name: long, file: '', line: 0 });
});
