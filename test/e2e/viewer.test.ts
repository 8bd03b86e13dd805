/**
 * End-to-end: the views of `pyrometer view` in real headless Chromium
 * (Debian's) on a synthesized profile with known numbers, its real source file,
 * two threads and RSS, plus a PyPy fixture. Every view is visited, visible
 * content is asserted, console errors fail the test, and screenshots go to
 * test-output/screenshots/. Fixtures, hostile names, dropped files and the
 * HTML report are in viewer-files.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../helpers.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { busyProfile } from '../web/synthetic.js';
import { Harness, hoverTooltip, paintedShare, rootRowY, shot, waitReady, work } from './harness.js';

// Profile list order in the viewer (the order given to `pyrometer view`).
const PYPY_MEM = 1;

const harness = new Harness();
// This suite's numbers count the idle samples too (the viewer hides idle by default: idle=1 shows it).
const openPage = (hash: string) => harness.openPage(hash ? `idle=1&${hash}` : 'idle=1');

describe('viewer in Chromium', () => {
  before(async () => {
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'busy.pyrmodel'), serializeProfile(busyProfile()));
    await harness.start([join(work, 'busy.pyrmodel'), fixture('vmprof/pypy-primes-mem.prof')]);
  });

  after(() => harness.stop());

  test('flame graph: hottest function, tooltip, click to zoom and select, search share', async () => {
    const page = await openPage('');
    assert.ok((await paintedShare(page)) > 0.01, 'the flame graph painted');
    await shot(page, 'flame-graph');
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    // Roots sit on the bottom row: main is 90% of the samples, from the left edge.
    const tip = await hoverTooltip(page, 100, await rootRowY(page));
    assert.match(tip, /^main\n/);
    assert.match(tip, /busy\.py:21/);
    assert.match(tip, /Total: 900 samples \(90\.0%\)/);
    assert.match(tip, /Self: 0 samples \(0\.0%\)/);
    await shot(page, 'flame-graph-tooltip');
    // Second row from the bottom, left: score (widest child of main) — click selects it and zooms to it.
    await page.mouse.click(canvas.x + 50, canvas.y + (await rootRowY(page)) - 18);
    await page.locator('.selection .fn').filter({ hasText: 'score' }).waitFor();
    assert.match(await page.locator('.selection').innerText(), /total 50\.0% · self 25\.0%/);
    assert.match(page.url(), /[#&]f=\d+/);
    const view = await page.evaluate(() => [window.__pyrometer.canvas!.x0, window.__pyrometer.canvas!.x1]);
    assert.deepEqual(view, [0, 500]);
    // The zoom is in the link: a fresh page opens zoomed the same way.
    await page.waitForFunction(() => location.hash.includes('z=0_500'));
    const zoomed = harness.watch(await harness.browser.newPage({ viewport: { width: 1280, height: 720 } }));
    await zoomed.goto(page.url());
    await waitReady(zoomed);
    assert.deepEqual(await zoomed.evaluate(() => [window.__pyrometer.canvas!.x0, window.__pyrometer.canvas!.x1]), [0, 500]);
    await zoomed.close();
    // Search: substring, then regex; the share of the total is shown.
    await page.locator('input.search').fill('sqrt');
    await page.locator('.search-info', { hasText: '1 function match, 25.0% of total' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('input.search').fill('^(parse|report)$');
    await page.locator('label[title="Regular expression"] input').check();
    await page.locator('.search-info', { hasText: '2 functions match, 40.0% of total' }).waitFor();
    await waitReady(page);
    await shot(page, 'flame-graph-search');
    // Icicle toggle and dark theme keep working.
    await page.getByRole('button', { name: 'Icicle' }).click();
    await page.getByRole('button', { name: 'Toggle dark theme' }).click();
    await waitReady(page);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot(page, 'flame-graph-icicle-dark');
    await page.close();
  });

  test('stack chart with memory curve; a dragged range filters the other views', async () => {
    const page = await openPage('v=stack');
    await page.locator('.memory-panel').waitFor({ state: 'visible' });
    assert.ok((await paintedShare(page)) > 0.01);
    assert.equal(await page.locator('.chart-thread').innerText(), 'Timeline of MainThread (1)');
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    // Drag on the time axis across the first third: the parse phase (samples 0..299 at 10 ms).
    await page.mouse.move(canvas.x + 1, canvas.y + 10);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width / 6, canvas.y + 10, { steps: 4 });
    await page.mouse.move(canvas.x + canvas.width / 3 - 8, canvas.y + 10, { steps: 4 });
    await page.mouse.up();
    await page.locator('.crumb.range').waitFor();
    assert.match(page.url(), /[#&]r=/);
    await waitReady(page);
    await shot(page, 'stack-chart-range');
    await page.getByRole('tab', { name: 'Functions' }).click();
    await waitReady(page);
    const first = await page.locator('.functable .vlist-row').first().innerText();
    assert.match(first, /parse/, 'parse dominates the selected range');
    await page.locator('.crumb.range .remove').click();
    await page.locator('.crumb.range').waitFor({ state: 'detached' });
    await page.close();
  });

  test('call tree: expandable rows, keyboard navigation, inverted', async () => {
    const page = await openPage('v=tree');
    const rows = page.locator('.calltree .vlist-row');
    assert.match(await rows.nth(0).innerText(), /900\s+90\.0%\s+0\s+0\.0%\s+▾\s*main/);
    await shot(page, 'call-tree');
    await page.locator('.calltree').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.locator('.selection .fn', { hasText: 'score' }).waitFor();
    await page.keyboard.press('ArrowLeft'); // collapse score
    await page.locator('.calltree .vlist-row', { hasText: 'math.sqrt' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Inverted' }).click();
    await waitReady(page);
    // Bottom-up: the heaviest self function first.
    assert.match(await page.locator('.calltree .vlist-row').nth(0).innerText(), /300\s+30\.0%\s+300\s+30\.0%.*parse/s);
    await shot(page, 'call-tree-inverted');
    await page.close();
  });

  test('function table sorts by self, total and name', async () => {
    const page = await openPage('v=functions');
    const rows = page.locator('.functable .vlist-row');
    assert.match(await rows.nth(0).innerText(), /^300\s+30\.0%\s+300\s+30\.0%.*parse/s);
    await page.locator('.list-header button', { hasText: 'Total' }).click();
    await waitReady(page);
    assert.match(await rows.nth(0).innerText(), /^0\s+0\.0%\s+900\s+90\.0%.*main/s);
    await shot(page, 'function-table');
    await page.locator('.list-header button', { hasText: 'Function' }).click();
    await waitReady(page);
    assert.match(await rows.nth(0).innerText(), /lock\.acquire/);
    await page.close();
  });

  test('callers and callees, transforms as removable breadcrumbs, URL reopens the view', async () => {
    const page = await openPage('');
    // Select score through the function table, then open its sandwich.
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.locator('.functable .vlist-row', { hasText: 'score' }).dblclick();
    await page.locator('.sandwich-self strong', { hasText: 'score' }).waitFor();
    await waitReady(page);
    // Callers and callees are flame graphs: score at the root of both, main above it, math.sqrt under it.
    const layouts = await page.evaluate(() =>
      [...document.querySelectorAll('.sandwich-flame')].map((host) => host.getAttribute('aria-label')),
    );
    assert.deepEqual(layouts, ['Callers', 'Callees']);
    const callers = page.locator('.sandwich-flame[aria-label="Callers"] canvas');
    const callees = page.locator('.sandwich-flame[aria-label="Callees"] canvas');
    const cb = (await callers.boundingBox())!;
    const ce = (await callees.boundingBox())!;
    // Callers: score's row under main (500 of 1,000); the two-row graph sits at the top of its panel.
    await page.mouse.move(cb.x + 40, cb.y + 8 + 9);
    await page.locator('.tooltip').waitFor({ state: 'visible' });
    assert.match(await page.locator('.tooltip').innerText(), /^main\n[\s\S]*500 samples \(50\.0%\)/);
    // Callees: score on top, math.sqrt (250) under it.
    await page.mouse.move(ce.x + 40, ce.y + 9 + 18);
    await page.waitForFunction(() => document.querySelector('.tooltip')!.textContent!.startsWith('math.sqrt'));
    assert.match(await page.locator('.tooltip').innerText(), /250 samples \(25\.0%\)/);
    await shot(page, 'callers-callees');
    await page.getByRole('button', { name: 'Focus on function' }).click();
    await page.locator('.crumb', { hasText: 'Focus: score' }).waitFor();
    assert.match(await page.locator('.status').innerText(), /shown 500 samples \(50\.0%\)/);
    await page.getByRole('button', { name: 'Merge function' }).click();
    await page.locator('.crumb', { hasText: 'Merge: score' }).waitFor();
    await shot(page, 'transforms');
    // The link reopens the same view in a fresh page.
    const url = page.url();
    const again = harness.watch(await harness.browser.newPage({ viewport: { width: 1280, height: 720 } }));
    await again.goto(url);
    await waitReady(again);
    assert.equal(await again.locator('.crumb').count(), 3);
    assert.equal(await again.locator('.tab.active').innerText(), 'Callers / callees');
    await again.close();
    await page.locator('.crumb', { hasText: 'Merge: score' }).locator('.remove').click();
    await page.locator('.crumb', { hasText: 'Focus: score' }).locator('.remove').click();
    await page.locator('.crumb', { hasText: 'Focus' }).waitFor({ state: 'detached' });
    assert.doesNotMatch(await page.locator('.status').innerText(), /shown/);
    await page.close();
  });

  test('source view shows per-line heat from the file the profile names', async () => {
    const page = await openPage('v=functions');
    await page.locator('.functable .vlist-row', { hasText: 'main' }).first().click();
    await page.getByRole('tab', { name: 'Source' }).click();
    const line23 = page.locator('.src-row[data-line="23"]');
    await line23.waitFor();
    assert.match(await line23.innerText(), /^0\s+800\s+80\.0%\s+23\s+results = \[score\(parse\(r\)\) for r in rows\]$/);
    assert.match(await page.locator('.src-row[data-line="13"]').innerText(), /250\s+500\s+50\.0%\s+13\s+total \+= math\.sqrt/);
    const heat = await line23.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(heat, 'rgba(0, 0, 0, 0)');
    await shot(page, 'source');
    // A function without a file says why there is no source.
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.locator('.functable .vlist-row', { hasText: 'math.sqrt' }).click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.source-unavailable', { hasText: 'records no file for math.sqrt' }).waitFor();
    await page.close();
  });

  test('PyPy fixture: memory curve under the stack chart', async () => {
    const page = await openPage(`p=${PYPY_MEM}&v=stack`);
    await page.locator('.memory-panel').waitFor({ state: 'visible' });
    assert.ok((await paintedShare(page)) > 0.01);
    await shot(page, 'pypy-memory-stack-chart');
    // PyPy's JIT share: a column in the function table.
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.locator('.list-header', { hasText: 'JIT %' }).waitFor();
    const rows = await page.locator('.functable').innerText();
    assert.match(rows, /\d+(\.\d+)?%\s+\S/);
    await shot(page, 'pypy-functions-jit');
    // Hide the standard library: runpy's frames (/usr/lib/pypy3.9/runpy.py) merge into their callers.
    assert.match(await page.locator('.functable').innerText(), /run_path/);
    await page.getByRole('button', { name: 'Hide stdlib' }).click();
    await page.locator('.crumb', { hasText: 'Standard library hidden' }).waitFor();
    await waitReady(page);
    const kept = await page.locator('.functable').innerText();
    assert.doesNotMatch(kept, /run_path|_run_module_code|runpy\.py/);
    assert.match(kept, /primes/);
    // Colour by module: the legend names the modules instead of the kinds.
    await page.getByLabel('Colour by').selectOption('module');
    await page.getByRole('tab', { name: 'Flame graph' }).click();
    await waitReady(page);
    const legend = await page.locator('.legend').innerText();
    assert.match(legend, /primes\.py/);
    assert.doesNotMatch(legend, /runpy|stdlib/, 'modules with no time in this view are not in the legend');
    await shot(page, 'pypy-flame-by-module-no-stdlib');
    await page.close();
  });

  test('threads: one, several or all merged; idle samples can be hidden', async () => {
    const page = await openPage('');
    await page.locator('.threads summary').click();
    const boxes = page.locator('.thread-list input[type=checkbox]');
    assert.equal(await boxes.count(), 3, 'all merged, MainThread, worker');
    assert.match(await page.locator('.thread-list').innerText(), /MainThread \(1\) — 900 samples\nworker \(2\) — 100 samples/);
    await boxes.nth(2).check();
    await page.locator('.threads summary', { hasText: 'Thread: worker (2)' }).waitFor();
    assert.match(await page.locator('.status').innerText(), /shown 100 samples/);
    await page.locator('label.check', { hasText: 'Hide idle' }).locator('input').check();
    await page.locator('.status', { hasText: 'shown 40 samples' }).waitFor();
    await waitReady(page);
    await shot(page, 'threads-worker-idle-hidden');
    // Clicking elsewhere closed the list; open it again to add a thread.
    assert.equal(await page.locator('details.threads[open]').count(), 0);
    await page.locator('.threads summary').click();
    await page.locator('.thread-list input[type=checkbox]').nth(1).check();
    await page.locator('.threads summary', { hasText: '2 threads' }).waitFor();
    await page.locator('.status', { hasText: 'shown 940 samples' }).waitFor();
    await page.locator('.thread-list input[type=checkbox]').nth(0).check();
    await page.locator('.threads summary', { hasText: 'All threads (2)' }).waitFor();
    await page.close();
  });

  test('the ?profile= seam (used by the profile server) loads a model and its sources by URL', async () => {
    const query = `?profile=${encodeURIComponent('api/profiles/0/model')}&name=busy%20run&source=${encodeURIComponent('api/profiles/0/source?path=')}`;
    const page = await harness.openPage('v=functions&idle=1', `${harness.server.url}${query}`);
    assert.match(await page.locator('.status').innerText(), /^busy run · synthetic/);
    await page.locator('.functable .vlist-row', { hasText: 'main' }).first().click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.src-row[data-line="23"]', { hasText: '80.0%' }).waitFor();
    await page.close();
  });

  test('no console errors anywhere', () => {
    assert.deepEqual(harness.problems, []);
  });
});
