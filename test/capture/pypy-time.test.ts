/**
 * PyPy in depth, on real recordings made here with `record --jitlog --pypylog`: the PYPYLOG's
 * phases at their real times (the clocks `record` writes beside the profile), and where each
 * function's time went (JIT code, interpreter, GC, compiling, native).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import type { PypyLogTiming } from '../../src/formats/pypylog/index.js';
import { profileDuration, type Profile } from '../../src/model/profile.js';
import { callTreeBottomUp, callTreeTopDown, functionTable, stackWeights } from '../../src/model/analysis.js';
import {
  callTreeTimeSplit,
  functionTimeSplit,
  invertedTreeTimeSplit,
  stackTimeSplit,
  TIME_CLASS_COUNT,
  TIME_CLASSES,
  totalTimeSplit,
  type TimeClass,
} from '../../src/model/time-split.js';
import { testData } from '../helpers.js';
import { removeDir, runPyrometer, scratchDir } from './run.js';
import { runCli, stopCli } from '../cli/run.js';

interface Recorded {
  profile: Profile;
  stdout: string;
}

async function recordPyPy(dir: string, program: string, engine: string[] = ['--jitlog']): Promise<Recorded> {
  const out = `${[program, ...engine].join('')}.prof`;
  const run = await runPyrometer(
    ['record', ...engine, '--pypylog', '-o', out, '--', 'pypy3', testData(`capture/pypy-time/${program}.py`)],
    {
      cwd: dir,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  return { profile: await loadWithSideFiles(join(dir, out)), stdout: run.stdout };
}

/** The program's own Unix-clock mark `name <seconds>`, in ms from the profile's start. */
function programMark(r: Recorded, name: string): number {
  const m = new RegExp(`^${name} (\\d+\\.\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m, `the program printed its ${name} time: ${r.stdout}`);
  return Number(m[1]) * 1000 - r.profile.meta.startTime;
}

function markersNamed(p: Profile, name: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const t of p.threads) {
    for (let i = 0; i < t.markers.length; i++) {
      if (p.strings[t.markers.name[i]] === name) out.push({ start: t.markers.start[i], end: t.markers.end[i] });
    }
  }
  return out;
}

describe('PyPy recordings with --jitlog --pypylog', () => {
  let dir = '';
  let gcRun: Recorded;
  let jitRun: Recorded;

  before(async () => {
    dir = scratchDir();
    gcRun = await recordPyPy(dir, 'gc_collect');
    jitRun = await recordPyPy(dir, 'jit_loop');
  });

  after(() => {
    stopCli();
    removeDir(dir);
  });

  test('gc.collect() at a known moment: a major collection is drawn there, within 5% of the run', () => {
    assertMajorCollectionAtCollect(gcRun);
  });

  test("the same with pyrometer's own sampler on PyPy (--engine sampler): it writes the clocks too", async () => {
    assertMajorCollectionAtCollect(await recordPyPy(dir, 'gc_collect', ['--engine', 'sampler']));
  });

  function assertMajorCollectionAtCollect(recorded: Recorded): void {
    const p = recorded.profile;
    const timing = p.attachments.pypylogTiming as PypyLogTiming;
    assert.equal(timing.source, 'clock', 'record wrote both clocks beside the profile');
    assert.ok(!p.meta.warnings.some((w) => /approximate/.test(w)), `no approximate-timing warning: ${p.meta.warnings}`);
    const run = profileDuration(p);
    const collect = programMark(recorded, 'collect');
    const collected = programMark(recorded, 'collected');
    assert.ok(collect > 0 && collected <= run, `gc.collect() ran at ${collect}-${collected} ms of a ${run} ms run`);
    // gc.collect() finishes a major collection: its last step ends in gc-collect-done
    const done = markersNamed(p, 'gc-collect-done');
    assert.ok(done.length > 0, 'the log has major collections');
    const nearest = done.reduce((a, b) => (Math.abs(b.start - collected) < Math.abs(a.start - collected) ? b : a));
    assert.ok(
      nearest.start >= collect - 0.05 * run && nearest.start <= collected + 0.05 * run,
      `major collection done at ${nearest.start} ms; gc.collect() ran ${collect}-${collected} ms of ${run} ms`,
    );
    // and its steps are there too, inside the call
    const steps = markersNamed(p, 'gc-collect-step').filter((s) => s.end >= collect - 0.05 * run && s.start <= collected + 0.05 * run);
    assert.ok(steps.length > 0, 'major collection steps during gc.collect()');
  }

  /** Checks that per function and per call-tree node (top-down and inverted) the split sums to the total time; returns the profile's totals per class. */
  function assertSplitSums(p: Profile, label: string): Record<TimeClass, number> {
    const split = stackTimeSplit(p);
    const weights = stackWeights(p);
    const table = functionTable(p, weights);
    const perFunc = functionTimeSplit(p, split);
    let checked = 0;
    for (let f = 0; f < p.funcs.length; f++) {
      if (table.total[f] === 0) continue;
      let sum = 0;
      for (let c = 0; c < TIME_CLASS_COUNT; c++) sum += perFunc[f * TIME_CLASS_COUNT + c];
      assert.ok(
        Math.abs(sum - table.total[f]) <= 1e-9 * table.total[f],
        `${label} ${p.strings[p.funcs.name[f]]}: split ${sum}, total ${table.total[f]}`,
      );
      checked++;
    }
    assert.ok(checked > 1, `${label}: functions with time`);
    const tree = callTreeTopDown(p, weights);
    const perNode = callTreeTimeSplit(tree, split);
    for (let n = 0; n < tree.length; n++) {
      let sum = 0;
      for (let c = 0; c < TIME_CLASS_COUNT; c++) sum += perNode[n * TIME_CLASS_COUNT + c];
      assert.ok(Math.abs(sum - tree.total[n]) <= 1e-9 * tree.total[n], `${label} node ${n}: split ${sum}, total ${tree.total[n]}`);
    }
    const totals = totalTimeSplit(split);
    // inverted: every node sums to its total, and the roots (where samples were taken) share the whole split
    const inverted = callTreeBottomUp(p, weights);
    const perInverted = invertedTreeTimeSplit(p, inverted, split);
    assert.ok(inverted.length > inverted.roots.length, `${label}: an inverted tree with callers`);
    for (let n = 0; n < inverted.length; n++) {
      let sum = 0;
      for (let c = 0; c < TIME_CLASS_COUNT; c++) sum += perInverted[n * TIME_CLASS_COUNT + c];
      assert.ok(
        Math.abs(sum - inverted.total[n]) <= 1e-9 * inverted.total[n],
        `${label} inverted node ${n}: split ${sum}, total ${inverted.total[n]}`,
      );
    }
    for (let c = 0; c < TIME_CLASS_COUNT; c++) {
      let roots = 0;
      for (const r of inverted.roots) roots += perInverted[r * TIME_CLASS_COUNT + c];
      assert.ok(
        Math.abs(roots - totals[c]) <= 1e-9 * Math.max(1, totals[c]),
        `${label} inverted roots ${TIME_CLASSES[c]}: ${roots} vs ${totals[c]}`,
      );
    }
    return Object.fromEntries(TIME_CLASSES.map((c, i) => [c, totals[i]])) as Record<TimeClass, number>;
  }

  test("JIT-heavy loop: its time splits into JIT code, interpreted, GC and compiling, summing to each function's time", () => {
    const totals = assertSplitSums(jitRun.profile, 'jit_loop');
    assert.ok(totals.jit > 0, `time in JIT code: ${JSON.stringify(totals)}`);
    // the log's tracing/optimizing/backend sections overlap the samples of the run
    assert.ok(totals.compiling > 0, `time compiling: ${JSON.stringify(totals)}`);
    const mix = jitRun.profile.strings.indexOf('mix');
    assert.ok(mix >= 0, 'the hot function was sampled');
  });

  test("GC-heavy allocation: minor and major collections (from the log) in the split, summing to each function's time", () => {
    const totals = assertSplitSums(gcRun.profile, 'gc_collect');
    assert.ok(totals['gc-minor'] > 0, `minor collections: ${JSON.stringify(totals)}`);
    assert.ok(totals['gc-major'] > 0, `major collections: ${JSON.stringify(totals)}`);
  });

  test('show --json and show --pypy carry the same split: per function and per tree node it sums to the total', async () => {
    const path = join(dir, 'gc_collect--jitlog.prof');
    const json = JSON.parse((await runCli(['show', path, '--json', '--tree', '--min-percent', '0', '--top', '1000'])).stdout);
    assert.equal(json.timeSplit.labels.jit, 'JIT code');
    assert.equal(json.timeSplit.labels.compiling, 'JIT compiling');
    assert.match(json.timeSplit.phases, /real times/);
    const sum = (split: Record<string, number>) => Object.values(split).reduce((a, b) => a + b, 0);
    for (const f of json.functions)
      assert.ok(Math.abs(sum(f.split) - f.total) <= 1e-9 * f.total, `${f.name}: ${JSON.stringify(f.split)} vs ${f.total}`);
    for (const n of json.tree.nodes) assert.ok(Math.abs(sum(n.split) - n.total) <= 1e-9 * n.total, `node ${n.name}`);
    assert.ok(json.timeSplit.totals['gc-major'] > 0);
    const inverted = JSON.parse((await runCli(['show', path, '--json', '--tree', '--inverted', '--min-percent', '0'])).stdout);
    assert.equal(inverted.tree.inverted, true);
    assert.ok(
      inverted.tree.nodes.some((n: { depth: number }) => n.depth > 0),
      'callers below the roots',
    );
    for (const n of inverted.tree.nodes) assert.ok(Math.abs(sum(n.split) - n.total) <= 1e-9 * n.total, `inverted node ${n.name}`);

    const text = (await runCli(['show', path, '--pypy'])).stdout;
    assert.match(text, /PyPy log phases at their real times/);
    const header = text.split('\n').find((l) => l.startsWith('total'))!;
    assert.ok(header, text);
    assert.match(header, /JIT code/);
    assert.match(header, /GC major/);
    // each row's class columns (shares of the function's total) add up to 100%
    const rows = text.split('\n').filter((l) => /^\s*[\d.]+%\s/.test(l));
    assert.ok(rows.length >= 2, text);
    for (const row of rows) {
      const shares = [...row.matchAll(/([\d.]+)%/g)].map((m) => Number(m[1])).slice(1);
      const total = shares.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 100) <= 0.1 * shares.length, `${row}: ${total}`);
    }
  });
});
