// The inverted flame graph's first paint builds only the top of the bottom-up tree
// (callTreeBottomUpTop): it must be the whole tree (callTreeBottomUp) cut at a width, node for node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { callTreeBottomUp, callTreeBottomUpTop, stackWeights, type CallTree } from '../../src/model/analysis.js';
import { loadProfile } from '../../src/formats/load.js';
import type { Profile } from '../../src/model/profile.js';
import { layoutFlame } from '../../web/src/layout.js';
import { generateProfile } from '../../bench/viewer.js';

const data = join(import.meta.dirname, '..', 'data');

/** Asserts that `top` is `full` restricted to the roots and the callers of nodes at least `minTotal` wide. */
function assertCutOf(profile: Profile, full: CallTree, minTotal: number, label: string): number {
  const weights = stackWeights(profile);
  const { tree: top, deepest } = callTreeBottomUpTop(profile, weights, minTotal);
  const fullLayout = layoutFlame(full);
  const topLayout = layoutFlame(top, deepest);
  assert.equal(topLayout.rows, fullLayout.rows, `${label}: rows`);
  assert.equal(topLayout.width, fullLayout.width, `${label}: width`);
  assert.equal(top.rootTotal, full.rootTotal, `${label}: root total`);
  // The full tree's nodes the cut keeps, in the full tree's (pre-)order.
  const kept: number[] = [];
  for (let m = 0; m < full.length; m++) if (full.parent[m] < 0 || full.total[full.parent[m]] >= minTotal) kept.push(m);
  assert.equal(top.length, kept.length, `${label}: node count`);
  // Weights of every node at each depth, in order, the same in both.
  const byDepth = (tree: CallTree, nodes: Iterable<number>) => {
    const rows: string[][] = [];
    for (const n of nodes) (rows[tree.depth[n]] ??= []).push(`${tree.func[n]}:${tree.total[n]}:${tree.self[n]}`);
    return rows.map((r) => r.join(' '));
  };
  assert.deepEqual(byDepth(top, top.func.keys()), byDepth(full, kept), `${label}: weights per depth`);
  for (let n = 0; n < top.length; n++) {
    const m = kept[n];
    const where = `${label}: node ${n} (full ${m})`;
    assert.equal(top.func[n], full.func[m], where);
    assert.equal(top.total[n], full.total[m], where); // equal to the last bit: the same sums in the same order
    assert.equal(top.self[n], full.self[m], where);
    assert.equal(top.depth[n], full.depth[m], where);
    assert.equal(top.parent[n] < 0 ? -1 : kept[top.parent[n]], full.parent[m], where);
    assert.equal(top.childCount[n], full.total[m] >= minTotal ? full.childCount[m] : 0, where);
    // what the canvas draws from: left edge, and how deep a node's whole subtree goes
    assert.equal(topLayout.x[n], fullLayout.x[m], where);
    assert.equal(deepest[n], fullLayout.deepest[m], where);
    assert.equal(topLayout.deepest[n], fullLayout.deepest[m], where);
  }
  return top.length;
}

async function realProfiles(): Promise<[string, Profile][]> {
  const files = [
    'model/v1-pypy-wordcount-sidefiles.pyrmodel.gz', // PyPy, VMProf
    'formats/pyinstrument/work.pyisession', // CPython, wall time in fractional seconds
    'formats/trace-event/chromium-devtools-trace.json.gz',
    'formats/vmprof/outside-sleeper-wall.prof', // CPython, our outside sampler, several threads
    'formats/callgrind/true.compress-pos.callgrind.out.gz', // a C program's 3,800-node inverted tree
  ];
  return Promise.all(files.map(async (f) => [f, await loadProfile(join(data, f))] as [string, Profile]));
}

test('the top of the bottom-up tree is the whole tree cut at a width, on real profiles', async () => {
  for (const [name, profile] of await realProfiles()) {
    const weights = stackWeights(profile);
    const full = callTreeBottomUp(profile, weights);
    assert.ok(full.length > 20, `${name}: a tree worth cutting (${full.length} nodes)`);
    // no cut, a flame graph's half pixel at 1280 and at 200 pixels, a tenth, and roots only
    const sizes = [0, 1 / 2560, 1 / 400, 1 / 10, Infinity].map((f) => assertCutOf(profile, full, f * full.rootTotal, `${name} at ${f}`));
    assert.equal(sizes[0], full.length, `${name}: no cut is the whole tree`);
    assert.equal(sizes[4], full.roots.length, `${name}: an infinite width keeps the roots only`);
    assert.ok(sizes[3] < full.length, `${name}: a tenth of the width cuts something (${sizes.join(' ')})`);
    // exactly the width of the widest root with callers: that root is drawn, so its callers are kept
    const widest = full.total[[...full.roots].find((r) => full.childCount[r] > 0)!];
    assert.ok(assertCutOf(profile, full, widest, `${name} at the widest root`) > full.roots.length, `${name}: the widest root expanded`);
  }
});

test('the top of the bottom-up tree on a big synthetic profile: a few percent of the nodes, the same picture', () => {
  const profile = generateProfile(200_000, 20_000, 120);
  const full = callTreeBottomUp(profile, stackWeights(profile));
  const kept = assertCutOf(profile, full, full.rootTotal / 2560, 'synthetic');
  assert.ok(kept * 10 < full.length, `kept ${kept} of ${full.length} nodes`);
});

test('the top of the bottom-up tree with fractional weights and a time range', () => {
  const profile = generateProfile(50_000, 5_000, 60, 3);
  const samples = profile.threads[0].samples;
  for (let i = 0; i < samples.length; i++) samples.weight[i] = 0.1 + (i % 7) * 0.37;
  const weights = stackWeights(profile, { startTime: 1000, endTime: 40_000 });
  const full = callTreeBottomUp(profile, weights);
  const { tree } = callTreeBottomUpTop(profile, weights, 0);
  assert.deepEqual([...tree.total], [...full.total]);
  assert.deepEqual([...tree.func], [...full.func]);
});
