/**
 * End-to-end in real headless Chromium: PyPy's GC and JIT phases (the real
 * pypy-wordcount profile with its PYPYLOG beside it, attached as a side file),
 * the inverted (bottom-up) flame graph, one stack chart lane per selected
 * thread, and keyboard navigation of the flame graph. Screenshots go to
 * test-output/screenshots/; console errors fail the last test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { funcName } from '../../src/model/profile.js';
import { busyProfile } from '../web/synthetic.js';
import { Harness, hoverTooltip, paintedShare, rootRowY, shot, waitReady } from './harness.js';

// Profile order in the viewer.
const WORDCOUNT = 0;
const BUSY = 1;

const harness = new Harness();
let dir = '';

describe('viewer: PyPy phases, inverted flame graph, thread lanes, keyboard', () => {
  before(async () => {
    // The side file is found by name next to the profile: copy the fixture pair (read-only) into a temp dir.
    dir = mkdtempSync(join(tmpdir(), 'pyrometer-phases-'));
    copyFileSync(fixture('vmprof/pypy-wordcount.prof'), join(dir, 'pypy-wordcount.prof'));
    copyFileSync(fixture('pypy/pypy-wordcount.pypylog'), join(dir, 'pypy-wordcount.pypylog'));
    writeFileSync(join(dir, 'busy.pyrmodel'), serializeProfile(busyProfile()));
    await harness.start([join(dir, 'pypy-wordcount.prof'), join(dir, 'busy.pyrmodel')]);
  });

  after(async () => {
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('stack chart of a PyPy run shows GC and JIT phases with their share of the run', async () => {
    const page = await harness.openPage(`p=${WORDCOUNT}&v=stack`);
    await page.locator('.markers-panel').waitFor({ state: 'visible' });
    const summary = await page.locator('.markers-summary').innerText();
    assert.match(summary, /PyPy phases/);
    assert.match(summary, /GC [\d.]+ (ms|µs) \([\d.]+% of the run\)/);
    assert.match(summary, /JIT compiling [\d.]+ (ms|µs) \([\d.]+% of the run\)/);
    assert.match(summary, /1,526 sections/);
    // The status line of every view carries the same shares.
    const share = (label: string) => new RegExp(`${label} [\\d.]+ (?:ms|µs) \\(([\\d.]+%) of the run\\)`).exec(summary)![1];
    assert.match(
      await page.locator('.status').innerText(),
      new RegExp(`GC ${share('GC')} · JIT compiling ${share('JIT compiling')} of the run`),
    );
    const painted = await page.evaluate(() => window.__pyrometer.markers!.painted);
    assert.ok((painted.gc ?? 0) > 10, `GC bars painted: ${JSON.stringify(painted)}`);
    assert.ok((painted.jit ?? 0) > 5, `JIT bars painted: ${JSON.stringify(painted)}`);
    await shot(page, 'pypy-phases-stack-chart');

    // The track's time axis is the stack chart's: hovering the widest JIT section names it.
    const track = (await page.locator('canvas.markers-canvas').boundingBox())!;
    const jit = (await page.evaluate(() => window.__pyrometer.markers!.widestBox('jit')))!;
    assert.ok(jit && jit.w > 4, 'a JIT section wide enough to hover');
    // Straight from a stack chart frame to the section: one move shows the section's tooltip.
    assert.match(await hoverTooltip(page, 300, 22 + 9), /^entry_point\n/);
    await page.mouse.move(track.x + jit.x + jit.w / 2, track.y + jit.y + 5);
    await page.locator('.tooltip', { hasText: 'JIT compiling phase' }).waitFor();
    const jitTip = await page.locator('.tooltip').innerText();
    assert.match(jitTip, new RegExp(`^${jit.name}\\nJIT compiling phase\\nDuration: [\\d.]+ (ms|µs)\\nStart: [\\d.]+ (ms|µs) · end`));
    await shot(page, 'pypy-phases-jit-tooltip');
    const gc = (await page.evaluate(() => window.__pyrometer.markers!.widestBox('gc')))!;
    await page.mouse.move(track.x + gc.x + Math.max(1, gc.w / 2), track.y + gc.y + 5);
    await page.locator('.tooltip', { hasText: 'GC phase' }).waitFor();
    const gcTip = await page.locator('.tooltip').innerText();
    assert.match(gcTip, new RegExp(`^${gc.name}\\nGC phase`));
    // The log's own lines come along as the data summary (gc-minor: "minor collect, total memory used: ...").
    if (gc.name === 'gc-minor') assert.match(gcTip, /minor collect, total memory used: \d+/);
    assert.doesNotMatch(gcTip, /startTick|endTick/);

    // Zooming the stack chart zooms the track with it.
    const before = await page.evaluate(() => window.__pyrometer.markers!.painted.gc ?? 0);
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    await page.mouse.move(canvas.x + canvas.width * 0.1, canvas.y + canvas.height / 2);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -300);
    await waitReady(page);
    await page.waitForFunction((n) => (window.__pyrometer.markers!.painted.gc ?? 0) < n, before);
    await shot(page, 'pypy-phases-zoomed');
    // The wheel over the track zooms the shared window too.
    const span = await page.evaluate(() => window.__pyrometer.canvas!.x1 - window.__pyrometer.canvas!.x0);
    await page.mouse.move(track.x + track.width / 2, track.y + 4);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction((s) => window.__pyrometer.canvas!.x1 - window.__pyrometer.canvas!.x0 < s * 0.9, span);
    // The dark theme recolours the track and its summary swatches.
    await page.getByRole('button', { name: 'Toggle dark theme' }).click();
    await waitReady(page);
    assert.ok(await page.evaluate(() => (window.__pyrometer.markers!.painted.jit ?? 0) > 0));
    await shot(page, 'pypy-phases-dark');
    await page.close();
  });

  test('inverted flame graph puts the hottest self function on the root row', async () => {
    const profile = await loadWithSideFiles(join(dir, 'pypy-wordcount.prof'));
    const { self } = functionTable(profile, stackWeights(profile));
    let best = 0;
    for (let f = 1; f < self.length; f++) if (self[f] > self[best]) best = f;
    const page = await harness.openPage(`p=${WORDCOUNT}`);
    await page.getByRole('button', { name: 'Inverted' }).click();
    await page.waitForFunction(() => location.hash.includes('inv=1'));
    await waitReady(page);
    assert.ok((await paintedShare(page)) > 0.005);
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    // Roots are drawn on the bottom row, widest first from the left edge.
    const tip = await hoverTooltip(page, 20, await rootRowY(page));
    assert.equal(tip.split('\n')[0], funcName(profile, best));
    assert.match(tip, new RegExp(`Total: ${self[best]} samples`));
    // A PyPy function with JIT time says how much of its own time ran as JIT code.
    assert.match(tip, /JIT: [\d.]+% of the function's self time ran as JIT code/);
    await shot(page, 'pypy-flame-inverted');
    // The inversion is in the link.
    const again = harness.watch(await harness.browser.newPage({ viewport: { width: 1280, height: 720 } }));
    await again.goto(page.url());
    await waitReady(again);
    assert.equal(await again.getByRole('button', { name: 'Inverted' }).getAttribute('aria-pressed'), 'true');
    assert.equal((await hoverTooltip(again, 20, await rootRowY(again))).split('\n')[0], funcName(profile, best));
    await again.close();
    await page.close();
  });

  test('several selected threads get one stack chart lane each on a shared time axis', async () => {
    const page = await harness.openPage(`p=${BUSY}&v=stack&t=0,1&idle=1`);
    assert.deepEqual(await page.evaluate(() => window.__pyrometer.canvas!.lanes.map((l) => [l.label, l.headerRow, l.rows])), [
      ['▾ MainThread (1)', 0, 3],
      ['▾ worker (2)', 4, 2],
    ]);
    assert.equal(await page.locator('.chart-thread').isHidden(), true, 'the lanes name their threads themselves');
    assert.ok((await paintedShare(page)) > 0.01);
    // Row 5 (under the worker's header) is worker_loop; 22 px of axis, 18 px rows.
    const tip = await hoverTooltip(page, 200, 22 + 5 * 18 + 9);
    assert.match(tip, /^worker_loop\n/);
    assert.match(tip, /Thread: worker \(2\)/);
    const mainTip = await hoverTooltip(page, 200, 22 + 1 * 18 + 9);
    assert.match(mainTip, /^main\n/);
    assert.match(mainTip, /Thread: MainThread \(1\)/);
    await shot(page, 'stack-chart-thread-lanes');
    // One thread selected: back to a single timeline.
    await page.goto(`${harness.server.url}#p=${BUSY}&v=stack&t=1`);
    await waitReady(page);
    assert.deepEqual(await page.evaluate(() => window.__pyrometer.canvas!.lanes.length), 0);
    assert.equal(await page.locator('.chart-thread').innerText(), 'Timeline of worker (2)');
    await page.close();
  });

  test('arrow keys walk the flame graph and Enter zooms to the frame', async () => {
    const page = await harness.openPage(`p=${BUSY}`);
    await page.locator('canvas.flame-canvas').focus();
    const focused = async () => (await page.locator('.tooltip').innerText()).split('\n')[0];
    await page.keyboard.press('ArrowUp'); // lands on the widest root
    assert.equal(await focused(), 'main');
    await page.keyboard.press('ArrowUp'); // up: its widest child
    assert.equal(await focused(), 'score');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'parse');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'report');
    await page.keyboard.press('ArrowRight'); // no sibling further right: stays
    assert.equal(await focused(), 'report');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await page.locator('.selection .fn', { hasText: 'parse' }).waitFor();
    await page.waitForFunction(() => location.hash.includes('z='));
    // parse is 300 of main's 900 samples, after score's 500.
    assert.deepEqual(await page.evaluate(() => [window.__pyrometer.canvas!.x0, window.__pyrometer.canvas!.x1]), [500, 800]);
    await waitReady(page);
    await shot(page, 'flame-graph-keyboard');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'main');
    await page.close();
  });

  test('no console errors anywhere', () => {
    assert.deepEqual(harness.problems, []);
  });
});
