/**
 * bench:split — what "where the time went" (model/time-split.ts) costs beside the per-stack
 * weights every view already computes (analysis.ts stackWeights): no other tool splits a
 * function's time by JIT code / interpreter / GC / compiling, so the baseline is our own
 * cheapest pass over the samples.
 *
 * Input: a synthetic PyPy-like profile, 1,000,000 samples on 2 threads over 1,000 s (1 ms
 * apart), 5,000 distinct stacks (a third of the leaf frames JIT code, some <GC> and
 * <JIT compiler> frames), and 50,000 PyPy log sections in the order they opened (minor
 * collections with nested walkroots, major steps, tracing with a nested minor collection).
 * Alternating rounds, median ms and the ratio with a 90% bootstrap interval. Second pair: the
 * split per inverted (bottom-up) tree node beside building that tree, which the inverted views
 * do anyway.
 * Usage: npm run bench:split [-- ROUNDS]
 */
import { ProfileBuilder } from '../src/model/builder.js';
import { callTreeBottomUp, functionTable, stackWeights } from '../src/model/analysis.js';
import { functionTimeSplit, invertedTreeTimeSplit, stackTimeSplit } from '../src/model/time-split.js';
import { prng } from '../test/helpers.js';
import { median, medianInterval } from './stats.js';

const rounds = Number(process.argv[2] ?? 7);
const random = prng(7);
const b = new ProfileBuilder('bench', { interval: 1 });
const threads = [b.thread('1', 'main'), b.thread('2', 'worker')];
const funcs = Array.from({ length: 300 }, (_, i) => b.func(`f${i}`, `m${i % 20}.py`, i + 1));
const gc = b.frame(b.func('<GC>', '', 0, 'gc'));
const compiler = b.frame(b.func('<JIT compiler>', '', 0, 'jit'));
const stacks: number[] = [];
for (let s = 0; s < 5000; s++) {
  let stack = -1;
  const depth = 3 + Math.floor(random() * 25);
  for (let d = 0; d < depth; d++) {
    const leaf = d === depth - 1;
    const category = leaf && random() < 0.33 ? 'jit' : 'python';
    stack = b.stack(stack, b.frame(funcs[Math.floor(random() * funcs.length)], 0, category));
  }
  const r = random();
  if (r < 0.05) stack = b.stack(stack, gc);
  else if (r < 0.07) stack = b.stack(stack, compiler);
  stacks.push(stack);
}
const SAMPLES = 1_000_000;
for (let i = 0; i < SAMPLES; i++) b.addSample(threads[i % 2], stacks[Math.floor(random() * stacks.length)], i / 1);
// in the order they opened, as a PyPy log has them: one section every 50 ms of 1,000 s
for (let k = 0; k < 10_000; k++) {
  const t = k * 100;
  b.addMarker(threads[0], 'gc-minor', t, t + 0.3, 'gc', null, 0);
  b.addMarker(threads[0], 'gc-minor-walkroots', t, t + 0.1, 'gc', null, 1);
  b.addMarker(threads[0], 'gc-collect-step', t + 20, t + 22, 'gc', null, 0);
  b.addMarker(threads[0], 'jit-tracing', t + 50, t + 55, 'jit', null, 0);
  b.addMarker(threads[0], 'gc-minor', t + 51, t + 51.2, 'gc', null, 1);
}
const profile = b.build();

const time = (fn: () => unknown): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
/** `rounds` alternating rounds of a baseline and a candidate: each one's times and the per-round ratios candidate / baseline. */
function alternate(baseline: () => unknown, candidate: () => unknown): { base: number[]; cand: number[]; ratios: number[] } {
  const out = { base: [] as number[], cand: [] as number[], ratios: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const [b, c] = r % 2 === 0 ? [time(baseline), time(candidate)] : [time(candidate), time(baseline)].reverse();
    out.base.push(b);
    out.cand.push(c);
    out.ratios.push(c / b);
  }
  return out;
}
const {
  base,
  cand: split,
  ratios,
} = alternate(
  () => functionTable(profile, stackWeights(profile)),
  () => functionTimeSplit(profile, stackTimeSplit(profile)),
);
// the inverted tree's split, given the per-stack split every split view shares
const weights = stackWeights(profile);
const perStack = stackTimeSplit(profile);
const tree = callTreeBottomUp(profile, weights);
const {
  base: treeMs,
  cand: invertedMs,
  ratios: invertedRatios,
} = alternate(
  () => callTreeBottomUp(profile, weights),
  () => invertedTreeTimeSplit(profile, tree, perStack),
);
const [lo, hi] = medianInterval(ratios);
const [ilo, ihi] = medianInterval(invertedRatios);
console.log(
  `bench:split — ${SAMPLES.toLocaleString('en-US')} samples, ${profile.stacks.length.toLocaleString('en-US')} stacks, 50,000 log sections, ${rounds} alternating rounds`,
);
console.log(`  weights + function table (every view)   ${median(base).toFixed(1)} ms`);
console.log(`  time split per stack + per function     ${median(split).toFixed(1)} ms`);
console.log(`  ratio split / weights                   ${median(ratios).toFixed(2)} (90% interval ${lo.toFixed(2)}-${hi.toFixed(2)})`);
console.log(`  inverted tree (${tree.length.toLocaleString('en-US')} nodes)            ${median(treeMs).toFixed(1)} ms`);
console.log(`  its split per node                      ${median(invertedMs).toFixed(1)} ms`);
console.log(
  `  ratio split / tree                      ${median(invertedRatios).toFixed(2)} (90% interval ${ilo.toFixed(2)}-${ihi.toFixed(2)})`,
);
