import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import { readChrome } from '../../src/formats/chrome.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { CATEGORY_IDLE, type Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertSniffsAs, stackMultiset, utf8 } from './format-helpers.js';

const stacks = (p: Profile) => Object.fromEntries([...stackMultiset(p)].sort().map(([k, w]) => [k, Number(w.toFixed(6))]));

// Both fixtures record the same run: node 2 = "" (anonymous), 5 = ""->a->b->d, 7 = ""->a->c->d.
// Expected weights (ms) = time to the next sample, computed from the fixtures:
//   simple:  node -e 'p=JSON.parse(fs.readFileSync(F));t=p.startTime;ts=p.timeDeltas.map(d=>t+=d);
//            p.samples.forEach((s,i)=>w[s]+=(i+1<ts.length?ts[i+1]:p.endTime)-ts[i])'  -> {2: 1060, 5: 17002, 7: 18255} us
//   legacy:  timestamps has 30 entries for 29 samples; sample i is at timestamps[i+1], the last one
//            weighs the mean interval (45920-11575)/28 us  -> {2: 1060, 5: 17002, 7: 17509.607142857} us
const cases = [
  {
    file: 'chrome/simple.cpuprofile',
    samples: 29,
    stacks: { '(anonymous)': 1.06, '(anonymous);a;b;d': 17.002, '(anonymous);a;c;d': 18.255 },
  },
  {
    file: 'chrome/node-example.cpuprofile',
    samples: 29,
    stacks: { '(anonymous)': 1.06, '(anonymous);a;b;d': 17.002, '(anonymous);a;c;d': 17.509607 },
  },
];

for (const c of cases) {
  test(`chrome: ${c.file}`, () => {
    const bytes = fixtureBytes(c.file);
    assertSniffsAs(bytes, 'chrome', c.file);
    const p = readChrome(bytes);
    assert.equal(p.meta.format, 'chrome');
    assert.equal(p.meta.weightUnit, 'ms');
    assert.equal(p.threads.length, 1);
    assert.equal(p.threads[0].samples.length, c.samples);
    assert.deepEqual(stacks(p), c.stacks);
    // First sample at time 0, the second 1.06 ms later.
    assert.deepEqual([...p.threads[0].samples.time.slice(0, 2)], [0, 1.06]);
    assertExportRoundTrip(p, 'speedscope');
    assertExportRoundTrip(p, 'pprof', { tolerance: 1e-6 });
  });
}

test('chrome: negative time deltas are sorted, special nodes get categories', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' }, children: [2, 3, 4] },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' } },
      { id: 3, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' } },
      { id: 4, callFrame: { functionName: 'work', url: 'file:///app.js', lineNumber: 9, columnNumber: 2, scriptId: '5' } },
    ],
    startTime: 1000,
    endTime: 1400,
    samples: [4, 2, 3],
    timeDeltas: [200, -100, 150],
  };
  const p = readChrome(utf8(JSON.stringify(profile)));
  // Times 1200, 1100, 1250 us -> sorted 1100 (idle), 1200 (work), 1250 (gc); end 1400.
  assert.deepEqual([...p.threads[0].samples.time], [0, 0.1, 0.15]);
  assert.deepEqual(
    [...p.threads[0].samples.weight].map((w) => Number(w.toFixed(6))),
    [0.1, 0.05, 0.15],
  );
  assert.deepEqual(stacks(p), { '(idle)': 0.1, 'work (file:///app.js:10)': 0.05, '(garbage collector)': 0.15 });
  assert.equal(totalWeight(stackWeights(p, { hideIdle: true })).toFixed(6), '0.200000');
  const idle = [...Array(p.frames.length).keys()].filter((f) => p.frames.category[f] === CATEGORY_IDLE);
  assert.equal(idle.length, 1);
});

test('chrome: bad input is one error', () => {
  assertFormatError(() => readChrome(utf8('{"nodes": [')), 'chrome', /unexpected end of input/);
  const shape = (json: unknown, pattern: RegExp) => {
    let caught: unknown;
    try {
      readChrome(utf8(JSON.stringify(json)));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ProfileFormatError && caught.format === 'chrome', String(caught));
    assert.match(caught.message, pattern);
  };
  shape({ nodes: 'x' }, /\$\.nodes: expected an array/);
  shape({ nodes: [{ id: 1, callFrame: { functionName: 'f' } }], samples: [9], timeDeltas: [1] }, /no node with id 9/);
  shape({ nodes: [{ id: 1, callFrame: { functionName: 'f' } }], samples: [1], timeDeltas: [] }, /0 deltas for 1 samples/);
  shape(
    {
      nodes: [
        { id: 1, parent: 2, callFrame: {} },
        { id: 2, parent: 1, callFrame: {} },
      ],
      samples: [1],
      timeDeltas: [1],
    },
    /its own ancestor/,
  );
  shape([{ name: 'Other' }], /\$: expected an object, found an array/);
  shape({ something: 1 }, /expected "nodes"/);
});

test('chrome: sniffed whatever the key order', () => {
  const p = JSON.parse(new TextDecoder().decode(fixtureBytes('chrome/simple.cpuprofile')));
  const sorted = Object.fromEntries(Object.entries(p).sort(([a], [b]) => a.localeCompare(b)));
  const bytes = utf8(JSON.stringify(sorted, null, 2));
  assertSniffsAs(bytes, 'chrome');
  assert.equal(readChrome(bytes).threads[0].samples.length, 29);
});

test("chrome: V8's internal `native dummy.js` frames are not frames", () => {
  const p = readChrome(
    utf8(
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 3] },
          { id: 2, callFrame: { functionName: '', url: 'native dummy.js', lineNumber: 0 } },
          { id: 3, callFrame: { functionName: 'run', url: 'app.js', lineNumber: 0 } },
        ],
        samples: [2, 3],
        timeDeltas: [0, 10],
        startTime: 0,
        endTime: 30,
      }),
    ),
  );
  assert.deepEqual(stacks(p), { 'run (app.js:1)': 0.02 });
  assert.equal(p.threads[0].samples.stack[0], -1, 'the dummy-only sample has no stack');
});
