/**
 * End-to-end in real headless Chromium: one time axis and where the time went.
 * - A CPython recording of the 3-thread program (made here): the stack chart's axis is the
 *   recorded duration within 1%.
 * - vmprof-python's file without sample times: spread over its duration, and the chart says so.
 * - A pypy3 recording with --jitlog --pypylog (made here): samples and the PYPYLOG phases on the
 *   one axis, the phases timed by the recorded clocks; the "where time went" column in the
 *   function table and the call tree, and the flame graph coloured by it ("JIT code" and
 *   "JIT compiling" in different colours); the same column in the inverted (bottom-up) call tree,
 *   each node's bar the model's split of the samples whose stack ends with its path.
 *   Screenshots go to test-output/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import { profileDuration, type Profile } from '../../src/model/profile.js';
import { fixture, testData } from '../helpers.js';
import { invertedTreeTimeSplit, stackTimeSplit, TIME_CLASS_COUNT, TIME_CLASS_LABELS, TIME_CLASSES } from '../../src/model/time-split.js';
import { callTreeBottomUp, stackWeights } from '../../src/model/analysis.js';
import { funcFile, funcName } from '../../src/model/profile.js';
import { removeDir, runPyrometer, scratchDir } from '../capture/run.js';
import { Harness, hoverTooltip, rootRowY, shot } from './harness.js';

const THREADS = 0;
const SPREAD = 1;
const PYPY = 2;

const harness = new Harness();
let dir = '';
const profiles: Profile[] = [];

async function record(args: string[]): Promise<void> {
  const run = await runPyrometer(['record', ...args], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
}

describe('viewer: one time axis, where the time went', () => {
  before(async () => {
    dir = scratchDir();
    await record(['-o', 'threads.prof', '--wall', '--', 'python3', fixture('programs/threads.py')]);
    copyFileSync(fixture('vmprof/example.prof'), join(dir, 'example.prof'));
    await record(['--jitlog', '--pypylog', '-o', 'gc.prof', '--', 'pypy3', testData('capture/pypy-time/gc_collect.py')]);
    const files = ['threads.prof', 'example.prof', 'gc.prof'].map((f) => join(dir, f));
    for (const f of files) profiles.push(await loadWithSideFiles(f));
    await harness.start(files);
  });

  after(async () => {
    await harness.stop();
    removeDir(dir);
  });

  const axisOf = (page: import('playwright-core').Page) =>
    page.evaluate(() => {
      const c = window.__pyrometer.canvas!;
      return { start: c.chart!.startTime, end: c.chart!.endTime, x0: c.x0, x1: c.x1 };
    });

  test("CPython, 3 threads: the stack chart's axis is the recorded duration within 1%, every lane on it", async () => {
    const page = await harness.openPage(`p=${THREADS}&v=stack&idle=1`);
    const axis = await axisOf(page);
    const duration = profileDuration(profiles[THREADS]);
    assert.equal(axis.start, 0);
    assert.ok(Math.abs(axis.end - axis.start - duration) <= 0.01 * duration, `axis ${axis.end - axis.start} ms, duration ${duration} ms`);
    // the visible window is the whole axis
    assert.ok(Math.abs(axis.x1 - axis.x0 - duration) <= 0.01 * duration, `window ${axis.x0}-${axis.x1}`);
    assert.ok(await page.locator('.chart-time-note').isHidden(), 'recorded times: no note');
    await shot(page, 'time-axis-cpython-threads');
    await page.close();
  });

  test('a file without sample times: spread over its duration, and the chart says so', async () => {
    const page = await harness.openPage(`p=${SPREAD}&v=stack`);
    const axis = await axisOf(page);
    const duration = profileDuration(profiles[SPREAD]);
    assert.ok(Math.abs(axis.end - axis.start - duration) <= 0.01 * duration, `axis ${axis.end - axis.start} ms, duration ${duration} ms`);
    assert.match(await page.locator('.chart-time-note').innerText(), /spread evenly over the recorded 494 ms/);
    await shot(page, 'time-axis-spread');
    await page.close();
  });

  test('PyPy: samples and the PYPYLOG phases on one axis, timed by the recorded clocks', async () => {
    const page = await harness.openPage(`p=${PYPY}&v=stack`);
    await page.locator('.markers-panel').waitFor({ state: 'visible' });
    assert.match(await page.locator('.markers-timing').innerText(), /at their real times/);
    const axis = await axisOf(page);
    const duration = profileDuration(profiles[PYPY]);
    assert.ok(Math.abs(axis.end - axis.start - duration) <= 0.01 * duration, `axis ${axis.end - axis.start} ms, duration ${duration} ms`);
    // the phases track shows the same window as the chart
    const track = await page.evaluate(() => {
      const m = window.__pyrometer.markers as unknown as { x0: number; x1: number };
      return { x0: m.x0, x1: m.x1 };
    });
    assert.deepEqual(track, { x0: axis.x0, x1: axis.x1 });
    const painted = await page.evaluate(() => window.__pyrometer.markers!.painted);
    assert.ok((painted.gc ?? 0) > 0, `GC phases painted: ${JSON.stringify(painted)}`);
    await shot(page, 'time-axis-pypy-phases');
    await page.close();
  });

  test("the function table and the call tree show where each function's time went; the bar parts add up to the whole", async () => {
    const page = await harness.openPage(`p=${PYPY}&v=functions`);
    await page.locator('.list-header .split').waitFor();
    assert.equal(await page.locator('.list-header .split').innerText(), 'Where time went');
    const bars = await page.evaluate(() =>
      [...document.querySelectorAll('.vlist-row .split')].map((s) => ({
        title: (s as HTMLElement).title,
        parts: [...s.querySelectorAll('i')].map((i) => ({ cls: i.dataset.class!, width: parseFloat((i as HTMLElement).style.width) })),
      })),
    );
    assert.ok(bars.length >= 2, 'rows with a bar');
    for (const bar of bars) {
      const sum = bar.parts.reduce((a, p) => a + p.width, 0);
      assert.ok(Math.abs(sum - 100) < 0.01, `parts add to ${sum}%`);
    }
    const classes = new Set(bars.flatMap((b) => b.parts.map((p) => p.cls)));
    assert.ok(classes.has('jit'), `JIT code in some bar: ${[...classes]}`);
    assert.ok(classes.has('gc-major') || classes.has('gc-minor'), `GC in some bar: ${[...classes]}`);
    assert.match(bars[0].title, /JIT code [\d.]+%/);
    await shot(page, 'split-function-table');
    await page.close();

    const tree = await harness.openPage(`p=${PYPY}&v=tree`);
    await tree.locator('.vlist-row .split-bar').first().waitFor();
    assert.equal(await tree.locator('.list-header .split').innerText(), 'Where time went');
    await shot(tree, 'split-call-tree');
    await tree.close();
  });

  test("the inverted call tree shows the same column: each node's bar is the model's split of its samples", async () => {
    const page = await harness.openPage(`p=${PYPY}&v=tree&inv=1`);
    await page.locator('.vlist-row .split-bar').first().waitFor();
    assert.equal(await page.locator('.list-header .split').innerText(), 'Where time went');
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('.vlist-row')].map((r) => ({
        name: (r.querySelector('.fn') as HTMLElement).innerText,
        loc: (r.querySelector('.loc') as HTMLElement).innerText,
        depth: parseFloat((r.querySelector('.name') as HTMLElement).style.paddingLeft) / 12,
        parts: [...r.querySelectorAll('.split i')].map((i) => ({
          cls: (i as HTMLElement).dataset.class!,
          width: parseFloat((i as HTMLElement).style.width),
        })),
      })),
    );
    assert.ok(
      rows.some((r) => r.depth > 0),
      `callers shown below a root: ${JSON.stringify(rows.slice(0, 3))}`,
    );
    // the model's inverted tree of the same selection (idle hidden, as the viewer starts); the style keeps 4 decimals
    const p = profiles[PYPY];
    const filter = { hideIdle: true };
    const tree = callTreeBottomUp(p, stackWeights(p, filter));
    const split = invertedTreeTimeSplit(p, tree, stackTimeSplit(p, filter));
    const loc = (f: number) => (funcFile(p, f) ? (p.funcs.line[f] > 0 ? `${funcFile(p, f)}:${p.funcs.line[f]}` : funcFile(p, f)) : '');
    const matches = (n: number, r: (typeof rows)[number]) => funcName(p, tree.func[n]) === r.name && loc(tree.func[n]) === r.loc;
    const path: number[] = []; // the node of the last row seen at each depth
    let checked = 0;
    for (const r of rows) {
      const siblings =
        r.depth === 0
          ? [...tree.roots]
          : [
              ...tree.children.subarray(
                tree.childStart[path[r.depth - 1]],
                tree.childStart[path[r.depth - 1]] + tree.childCount[path[r.depth - 1]],
              ),
            ];
      const node = siblings.find((n) => matches(n, r));
      assert.ok(node !== undefined, `row ${r.name} (${r.loc}) at depth ${r.depth} is a node of the model's inverted tree`);
      path[r.depth] = node;
      const sum = r.parts.reduce((a, x) => a + x.width, 0);
      assert.ok(Math.abs(sum - 100) < 0.01, `${r.name}: parts add to ${sum}%`);
      for (let c = 0; c < TIME_CLASS_COUNT; c++) {
        const want = (100 * split[node * TIME_CLASS_COUNT + c]) / tree.total[node];
        const got = r.parts.find((x) => x.cls === TIME_CLASSES[c])?.width ?? 0;
        assert.ok(Math.abs(got - want) < 1e-3, `${r.name} depth ${r.depth} ${TIME_CLASSES[c]}: bar ${got}%, model ${want}%`);
      }
      checked++;
    }
    assert.ok(checked >= 3, `${checked} rows checked`);
    await shot(page, 'split-inverted-call-tree');
    await page.close();

    // the inverted flame graph is coloured by it too: a root in the colour of its own largest class
    const flame = await harness.openPage(`p=${PYPY}&v=flame&c=time&inv=1`);
    const root = await flame.evaluate(() => {
      const c = window.__pyrometer.canvas!;
      const r = c.flame!.tree.roots[0];
      return { cls: c.nodeColor![r], func: c.flame!.tree.func[r] };
    });
    const modelRoot = tree.roots[0];
    assert.equal(root.func, tree.func[modelRoot]);
    let best = 0;
    for (let c = 1; c < TIME_CLASS_COUNT; c++)
      if (split[modelRoot * TIME_CLASS_COUNT + c] > split[modelRoot * TIME_CLASS_COUNT + best]) best = c;
    assert.equal(TIME_CLASSES[root.cls], TIME_CLASSES[best]);
    await shot(flame, 'split-inverted-flame');
    await flame.close();
  });

  test('the flame graph coloured by where time went: JIT code and JIT compiling have different colours and names', async () => {
    const page = await harness.openPage(`p=${PYPY}&v=flame&c=time`);
    const legend = await page.evaluate(() =>
      [...document.querySelectorAll('.legend-item')].map((l) => ({
        label: (l as HTMLElement).innerText,
        color: (l.querySelector('i') as HTMLElement).style.background,
      })),
    );
    const jit = legend.find((l) => l.label === 'JIT code');
    assert.ok(jit, `legend: ${JSON.stringify(legend)}`);
    const compiling = legend.find((l) => l.label === 'JIT compiling');
    if (compiling) assert.notEqual(compiling.color, jit.color);
    // frames are painted in the class colours: the root's class (the one with most of the run) is in the legend
    const rootClass = await page.evaluate(() => {
      const c = window.__pyrometer.canvas!;
      return c.nodeColor![c.flame!.tree.roots[0]];
    });
    assert.ok(
      legend.some((l) => l.label === TIME_CLASS_LABELS[TIME_CLASSES[rootClass]]),
      `root class ${TIME_CLASSES[rootClass]}, legend ${JSON.stringify(legend)}`,
    );
    // the tooltip gives the frame's split, largest first
    const tip = await hoverTooltip(page, 40, await rootRowY(page));
    assert.match(tip, /\nTime: (JIT code|interpreted|GC minor|GC major) [\d.]+%( · [A-Za-z ]+ [\d.<]+%)*$/m);
    await shot(page, 'split-flame-colouring');
    await page.close();
  });

  test('no console errors anywhere', () => {
    assert.deepEqual(harness.problems, []);
  });
});
