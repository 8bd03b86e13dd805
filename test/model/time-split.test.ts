import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { prng } from '../helpers.js';
import {
  callTreeBottomUp,
  callTreeTopDown,
  functionTable,
  stackWeights,
  type CallTree,
  type SampleFilter,
} from '../../src/model/analysis.js';
import type { Category, FunctionKind, Profile } from '../../src/model/profile.js';
import {
  callTreeTimeSplit,
  functionTimeSplit,
  invertedTreeTimeSplit,
  phaseClass,
  phaseSegments,
  splitRecord,
  stackTimeSplit,
  TIME_CLASS_COUNT,
  TIME_CLASS_LABELS,
  TIME_CLASSES,
  totalTimeSplit,
} from '../../src/model/time-split.js';

type FrameSpec = [name: string, kind: FunctionKind, category?: Category];

/** One thread, one sample per ms at times 0, 1, 2, ... (period 1 ms); markers as [name, start, end, depth]. */
function profileOf(samples: FrameSpec[][], markers: [string, number, number, number][] = []): Profile {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1', 'main');
  samples.forEach((frames, i) => {
    const ids = frames.map(([name, kind, category]) => b.frame(b.func(name, name === '<GC>' ? '' : 'p.py', 1, kind), 0, category));
    b.addSampleFrames(t, ids, i);
  });
  for (const [name, start, end, depth] of markers) b.addMarker(t, name, start, end, name.startsWith('gc') ? 'gc' : 'jit', null, depth);
  return b.build();
}

const MAIN: FrameSpec = ['main', 'python'];
const LOOP_JIT: FrameSpec = ['loop', 'python', 'jit'];
const LOOP: FrameSpec = ['loop', 'python'];

function byFunction(p: Profile): Map<string, Record<string, number>> {
  const split = functionTimeSplit(p, stackTimeSplit(p));
  const out = new Map<string, Record<string, number>>();
  for (let f = 0; f < p.funcs.length; f++) out.set(p.strings[p.funcs.name[f]], splitRecord(split, f));
  return out;
}

test('time split: the innermost frame says JIT code, interpreted, native, idle; GC and the JIT compiler anywhere on the stack win', () => {
  const p = profileOf([
    [MAIN, LOOP_JIT],
    [MAIN, LOOP_JIT],
    [MAIN, LOOP],
    [MAIN, LOOP_JIT, ['memcpy', 'native']],
    [MAIN, ['<GC>', 'gc'], ['memset', 'native']],
    [MAIN, ['<JIT compiler>', 'jit']],
    [MAIN, ['<blackhole interpreter>', 'jit']],
    [MAIN, ['sleep', 'native', 'idle']],
  ]);
  const f = byFunction(p);
  assert.deepEqual(f.get('main'), { jit: 2, interpreted: 2, gc: 1, compiling: 1, native: 1, idle: 1 });
  assert.deepEqual(f.get('loop'), { jit: 2, interpreted: 1, native: 1 });
  assert.deepEqual(f.get('memset'), { gc: 1 });
  assert.deepEqual(f.get('<JIT compiler>'), { compiling: 1 });
  // "JIT code" and "compiling" are told apart by name everywhere
  assert.notEqual(TIME_CLASS_LABELS.jit, TIME_CLASS_LABELS.compiling);
  assert.equal(TIME_CLASS_LABELS.jit, 'JIT code');
  assert.equal(TIME_CLASS_LABELS.compiling, 'JIT compiling');
});

test('time split: PyPy log phases take the part of each sample they overlap; nested sections: the innermost wins', () => {
  // samples at 0..3 ms each stand for 1 ms; tracing 0.5-2.5 with a minor collection 1.0-1.5 inside;
  // a major step 3.0-3.25; jit-summary and gc-set-nursery-size are not time spent
  const p = profileOf(
    [
      [MAIN, LOOP_JIT],
      [MAIN, LOOP_JIT],
      [MAIN, LOOP_JIT],
      [MAIN, LOOP_JIT],
    ],
    [
      ['jit-tracing', 0.5, 2.5, 0],
      ['gc-minor', 1, 1.5, 1],
      ['gc-minor-walkroots', 1, 1.25, 2],
      ['gc-collect-step', 3, 3.25, 0],
      ['jit-summary', 0, 4, 0],
      ['gc-set-nursery-size', 0, 4, 0],
    ],
  );
  const seg = phaseSegments(p);
  assert.deepEqual(
    Array.from({ length: seg.length }, (_, i) => [seg.start[i], seg.end[i], TIME_CLASSES[seg.cls[i]]]),
    [
      [0.5, 1, 'compiling'],
      [1, 1.5, 'gc-minor'],
      [1.5, 2.5, 'compiling'],
      [3, 3.25, 'gc-major'],
    ],
  );
  assert.deepEqual(byFunction(p).get('loop'), { jit: 1.75, 'gc-minor': 0.5, 'gc-major': 0.25, compiling: 1.5 });
  // the split of the whole profile sums to its samples
  const total = totalTimeSplit(stackTimeSplit(p));
  assert.equal(
    total.reduce((a, b) => a + b, 0),
    4,
  );
});

test('time split: an idle sample takes no phase time; hidden idle samples and filtered threads or ranges drop out as in stackWeights', () => {
  const p = profileOf(
    [
      [MAIN, ['sleep', 'native', 'idle']],
      [MAIN, LOOP],
      [MAIN, LOOP],
    ],
    [['gc-minor', 0, 3, 0]],
  );
  assert.deepEqual(byFunction(p).get('main'), { idle: 1, 'gc-minor': 2 });
  for (const filter of [{ hideIdle: true }, { startTime: 1, endTime: 2 }, { threads: [0] }]) {
    const split = stackTimeSplit(p, filter);
    const weights = stackWeights(p, filter);
    for (let s = 0; s < p.stacks.length; s++) {
      let sum = 0;
      for (let c = 0; c < TIME_CLASS_COUNT; c++) sum += split[s * TIME_CLASS_COUNT + c];
      assert.equal(sum, weights[s], `stack ${s} with ${JSON.stringify(filter)}`);
    }
  }
});

/** Recursion, a native leaf, a <GC> frame; gc-minor 0.5-1.75 takes half of sample 0 and three quarters of sample 1. */
function recursionProfile(): Profile {
  return profileOf(
    [
      [MAIN, LOOP_JIT, LOOP_JIT],
      [MAIN, LOOP, LOOP_JIT, ['x', 'native']],
      [MAIN, ['<GC>', 'gc']],
      [MAIN, LOOP],
    ],
    [['gc-minor', 0.5, 1.75, 0]],
  );
}

test('time split: per function (recursion counted once) and per call-tree node, the classes sum to the total time', () => {
  const p = recursionProfile();
  const split = stackTimeSplit(p);
  const weights = stackWeights(p);
  const table = functionTable(p, weights);
  const perFunc = functionTimeSplit(p, split);
  for (let f = 0; f < p.funcs.length; f++) {
    const sum = perFunc.subarray(f * TIME_CLASS_COUNT, (f + 1) * TIME_CLASS_COUNT).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - table.total[f]) < 1e-12, `${p.strings[p.funcs.name[f]]}: ${sum} vs ${table.total[f]}`);
  }
  const tree = callTreeTopDown(p, weights);
  const perNode = callTreeTimeSplit(tree, split);
  for (let n = 0; n < tree.length; n++) {
    const sum = perNode.subarray(n * TIME_CLASS_COUNT, (n + 1) * TIME_CLASS_COUNT).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - tree.total[n]) < 1e-12, `node ${n}: ${sum} vs ${tree.total[n]}`);
  }
});

/** Each node of an inverted tree by its path (innermost first, callers after '<'), with its split. */
function byInvertedPath(
  p: Profile,
  filter: SampleFilter = {},
): { tree: CallTree; paths: Map<string, Record<string, number>>; perNode: Float64Array } {
  const tree = callTreeBottomUp(p, stackWeights(p, filter));
  const perNode = invertedTreeTimeSplit(p, tree, stackTimeSplit(p, filter));
  const paths = new Map<string, Record<string, number>>();
  for (let n = 0; n < tree.length; n++) {
    const names: string[] = [];
    for (let cur = n; cur >= 0; cur = tree.parent[cur]) names.unshift(p.strings[p.funcs.name[tree.func[cur]]]);
    paths.set(names.join('<'), splitRecord(perNode, n));
  }
  return { tree, paths, perNode };
}

test('time split: per inverted-tree node, the split of the samples whose stack ends with its path', () => {
  const p = recursionProfile();
  const { paths } = byInvertedPath(p);
  assert.deepEqual(Object.fromEntries(paths), {
    loop: { jit: 0.5, 'gc-minor': 0.5, interpreted: 1 },
    'loop<loop': { jit: 0.5, 'gc-minor': 0.5 },
    'loop<loop<main': { jit: 0.5, 'gc-minor': 0.5 },
    'loop<main': { interpreted: 1 },
    x: { native: 0.25, 'gc-minor': 0.75 },
    'x<loop': { native: 0.25, 'gc-minor': 0.75 },
    'x<loop<loop': { native: 0.25, 'gc-minor': 0.75 },
    'x<loop<loop<main': { native: 0.25, 'gc-minor': 0.75 },
    '<GC>': { gc: 1 },
    '<GC><main': { gc: 1 },
  });
});

test('time split: a function called from many places (looked up by map) gets each caller its own samples; filters as in the tree', () => {
  // loop called from 12 callers, as machine code from the even ones; thread 2 sleeps
  const b = new ProfileBuilder('test', { interval: 1 });
  const t1 = b.thread('1', 'main');
  const t2 = b.thread('2', 'sleeper');
  for (let i = 0; i < 12; i++) {
    const caller = b.frame(b.func(`c${i}`, 'p.py', 1, 'python'), 0);
    const loop = b.frame(b.func('loop', 'p.py', 1, 'python'), 0, i % 2 === 0 ? 'jit' : undefined);
    for (let k = 0; k <= i; k++) b.addSampleFrames(t1, [caller, loop], i * 100 + k);
    b.addSampleFrames(t2, [caller, b.frame(b.func('sleep', '', 0, 'native'), 0, 'idle')], i * 100);
  }
  const p = b.build();
  const { paths } = byInvertedPath(p);
  for (let i = 0; i < 12; i++)
    assert.deepEqual(paths.get(`loop<c${i}`), i % 2 === 0 ? { jit: i + 1 } : { interpreted: i + 1 }, `caller c${i}`);
  assert.deepEqual(paths.get('loop'), { jit: 1 + 3 + 5 + 7 + 9 + 11, interpreted: 2 + 4 + 6 + 8 + 10 + 12 });
  assert.deepEqual(paths.get('sleep'), { idle: 12 });
  assert.deepEqual(paths.get('sleep<c3'), { idle: 1 });
  // the same selection for the tree and the split: hidden idle, one thread, a time range
  assert.equal(byInvertedPath(p, { hideIdle: true }).paths.get('sleep'), undefined);
  assert.deepEqual(byInvertedPath(p, { threads: [1] }).paths.get('loop'), undefined);
  assert.deepEqual(byInvertedPath(p, { startTime: 200, endTime: 400 }).paths.get('loop'), { jit: 3, interpreted: 4 });
});

test('time split: inverted-tree nodes sum to their totals and equal a brute-force sum over stacks ending with their path', () => {
  // a deterministic mix: recursion, shared callers, GC and the JIT compiler on the stack, phases
  const names: FrameSpec[] = [
    MAIN,
    LOOP,
    LOOP_JIT,
    ['f', 'python'],
    ['g', 'python', 'jit'],
    ['<GC>', 'gc'],
    ['<JIT compiler>', 'jit'],
    ['m', 'native'],
  ];
  const random = prng(7);
  const next = (n: number) => Math.floor(random() * n);
  const samples: FrameSpec[][] = [];
  for (let i = 0; i < 300; i++) {
    const depth = 1 + next(7);
    samples.push([MAIN, ...Array.from({ length: depth }, () => names[1 + next(names.length - 1)])]);
  }
  const p = profileOf(samples, [
    ['gc-minor', 10.5, 40, 0],
    ['jit-tracing', 100, 180.25, 0],
    ['gc-collect-step', 120, 121.5, 1],
  ]);
  for (const filter of [{}, { startTime: 50, endTime: 150 }]) {
    const { tree, perNode } = byInvertedPath(p, filter);
    const split = stackTimeSplit(p, filter);
    const reversed = (s: number) => {
      const out: number[] = [];
      for (let cur = s; cur >= 0; cur = p.stacks.prefix[cur]) out.push(p.frames.func[p.stacks.frame[cur]]);
      return out;
    };
    assert.ok(tree.length > 100, `a tree of ${tree.length} nodes`);
    for (let n = 0; n < tree.length; n++) {
      const path: number[] = [];
      for (let cur = n; cur >= 0; cur = tree.parent[cur]) path.unshift(tree.func[cur]);
      const expected = new Float64Array(TIME_CLASS_COUNT);
      for (let s = 0; s < p.stacks.length; s++) {
        const funcs = reversed(s);
        if (funcs.length >= path.length && path.every((f, d) => funcs[d] === f))
          for (let c = 0; c < TIME_CLASS_COUNT; c++) expected[c] += split[s * TIME_CLASS_COUNT + c];
      }
      const got = perNode.subarray(n * TIME_CLASS_COUNT, (n + 1) * TIME_CLASS_COUNT);
      for (let c = 0; c < TIME_CLASS_COUNT; c++) assert.ok(Math.abs(got[c] - expected[c]) < 1e-9, `node ${n} class ${TIME_CLASSES[c]}`);
      const sum = got.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - tree.total[n]) < 1e-9, `node ${n}: ${sum} vs ${tree.total[n]}`);
    }
  }
});

test('time split: PyPy log section names map to phases', () => {
  const name = (s: string) => (phaseClass(s) < 0 ? null : TIME_CLASSES[phaseClass(s)]);
  assert.equal(name('gc-minor'), 'gc-minor');
  assert.equal(name('gc-minor-walkroots'), 'gc-minor');
  assert.equal(name('gc-collect-step'), 'gc-major');
  assert.equal(name('gc-collect-done'), 'gc-major');
  assert.equal(name('jit-tracing'), 'compiling');
  assert.equal(name('jit-optimize'), 'compiling');
  assert.equal(name('jit-backend'), 'compiling');
  assert.equal(name('jit-backend-dump'), 'compiling');
  assert.equal(name('jit-backend-counts'), null);
  assert.equal(name('jit-summary'), null);
  assert.equal(name('gc-hardware'), null);
});
