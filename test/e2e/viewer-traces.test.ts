/**
 * End-to-end in real headless Chromium: the JIT traces tab on the PyPy word-count profile with
 * its jitlog beside it (the pair recorded together; per-trace sample counts are vmprof-python's,
 * see test/formats/jit-traces.test.ts): the list by profile time, a trace's operations per stage
 * with their source lines, guard -> bridge and back, the function -> traces link from the
 * selection bar, and trace op -> source line -> trace. Screenshots go to test-output/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers.js';
import { Harness, shot } from './harness.js';

const harness = new Harness();
let dir = '';

const hashOf = (url: string) => new URLSearchParams(new URL(url).hash.slice(1));

describe('viewer: JIT traces', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pyrometer-traces-e2e-'));
    copyFileSync(fixture('vmprof/pypy-wordcount.prof'), join(dir, 'run.prof'));
    copyFileSync(fixture('pypy/pypy-wordcount.prof.jit'), join(dir, 'run.prof.jit'));
    // The program the profile names as "wordcount.py": relative names are read beside the profile.
    copyFileSync(fixture('programs/wordcount.py'), join(dir, 'wordcount.py'));
    copyFileSync(fixture('vmprof/pypy-primes.prof'), join(dir, 'plain.prof'));
    await harness.start([join(dir, 'run.prof'), join(dir, 'plain.prof')]);
  });

  after(async () => {
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the tab lists the traces by profile time; a trace shows its operations with source lines and its bridges', async () => {
    const page = await harness.openPage('v=traces');
    await page.locator('.tab[data-view="traces"]').waitFor();
    const rows = page.locator('.traces-list .trace-row[data-trace]');
    assert.equal(await rows.count(), 10);
    const first = await rows.evaluateAll((els) =>
      els.slice(0, 5).map((e) => (e as HTMLElement).innerText.split('\n').join(' ').replace(/\s+/g, ' ')),
    );
    assert.match(first[0], /^55\.7% 39 55 loop 10 <module> wordcount\.py:3$/);
    assert.match(first[1], /^25\.7% 18 200,274 loop 4 _count_elements /);
    assert.match(first[2], /^4\.29% 3 1,596,131 bridge 5 ← 4 /);
    // With no trace chosen, the hottest is shown: loop 10, its optimised operations under their merge points.
    const header = await page.locator('.trace-header').innerText();
    assert.match(header, /loop 10: <module> \(wordcount\.py:3\)/);
    assert.match(header, /entered 55 times · 39 samples \(55\.7%\) · machine code 0x[0-9a-f]+–0x[0-9a-f]+/);
    assert.equal(await page.locator('.stage-tabs .tab').count(), 3);
    assert.match(await page.locator('.stage-tabs .tab.active').innerText(), /Optimized · 543/);
    assert.equal(await page.locator('.ops .op-row').count(), 543);
    const mergePoints = await page.locator('.ops .mp-row').allInnerTexts();
    assert.match(mergePoints[0], /<module>\s+wordcount\.py:3\s+FOR_ITER/);
    // Op 62 comes right after the merge point of line 4 (vmprof-python: merge point at op 62).
    assert.equal(await page.locator('.op-row[data-op="62"] .lineno').innerText(), '4');
    await shot(page, 'traces-loop');

    // The assembled stage: the same operations renamed by the backend, with their machine code bytes.
    await page.locator('.stage-tabs .tab[data-stage="asm"]').click();
    await page.locator('.ops.with-asm').waitFor();
    const asm = await page.locator('.op-row .asm').allInnerTexts();
    assert.ok(asm.filter((a) => /^\+[0-9a-f]{4} {2}([0-9a-f]{2} )*[0-9a-f]{2}$/.test(a)).length > 300, asm.slice(0, 5).join(' | '));
    await shot(page, 'traces-asm');
  });

  test('guard -> bridge and bridge -> its guard, as links (Back returns)', async () => {
    const page = await harness.openPage('v=traces&tr=4');
    const bridgeLinks = page.locator('.trace-bridges button[data-bridge]');
    assert.deepEqual((await bridgeLinks.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.bridge)))).sort(), [5, 6, 7]);
    // The guard op rows of the opt stage carry the same links.
    await page.locator('.stage-tabs .tab[data-stage="asm"]').click();
    const guardLink = page.locator('.op-row button[data-bridge="5"]');
    await guardLink.click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('tr') === '5');
    const header = await page.locator('.trace-header').innerText();
    assert.match(header, /bridge 5: _count_elements/);
    assert.match(header, /Bridge from loop 4, guard #\d+ \(guard_\w+\)/);
    await shot(page, 'traces-bridge');
    await page.locator('.trace-header button[data-parent="4"]').click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('tr') === '4');
    await page.goBack();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('tr') === '5');
  });

  test('function -> its traces (selection bar), trace op -> source line -> back to the trace', async () => {
    const page = await harness.openPage('v=functions');
    await page.locator('.functable .vlist-row', { hasText: '_count_elements' }).first().click();
    await page.locator('.selection button.jit-traces').click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('v') === 'traces');
    assert.match(await page.locator('.traces-filter').innerText(), /Traces that ran _count_elements \(6 of 10\)/);
    const ids = await page
      .locator('.traces-list .trace-row[data-trace]')
      .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.trace)));
    assert.deepEqual(ids, [10, 4, 5, 6, 7, 3]);
    await shot(page, 'traces-of-function');

    // Trace 10's merge point of line 4 opens the source view at wordcount.py:4 ...
    await page.locator('.trace-row[data-trace="10"]').click();
    await page.locator('.mp-row button[data-line="4"]').first().click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('v') === 'source');
    const marked = page.locator('.src-row.at-line');
    await marked.waitFor();
    assert.equal(await marked.getAttribute('data-line'), '4');
    assert.match(await marked.innerText(), /words = line\.lower\(\)\.split\(\)/);
    const hash = hashOf(page.url());
    assert.equal(hash.get('ln'), '4');
    // ... where every line with JIT operations links back: line 5 -> the hottest trace of that line, its ops marked.
    assert.equal(await page.locator('.src-row .jit-link').count(), 3, 'wordcount.py lines 3, 4, 5');
    await shot(page, 'traces-source-line');
    await page.locator('.src-row[data-line="5"] .jit-link').click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('v') === 'traces');
    assert.equal(hashOf(page.url()).get('tr'), '10');
    assert.equal(hashOf(page.url()).get('ln'), '5');
    const atLine = await page.locator('.ops .op-row.at-line .lineno').allInnerTexts();
    assert.ok(atLine.length > 0 && atLine.every((l) => l === '5'), atLine.join(','));
  });

  test('flame graph frame -> its traces: clicking _count_elements, then JIT traces in the selection bar', async () => {
    const page = await harness.openPage('v=flame');
    // The widest flame graph node of _count_elements, clicked in its middle.
    const point = await page.evaluate(() => {
      const canvas = window.__pyrometer.canvas!;
      const tree = canvas.flame!.tree;
      const names = canvas.names;
      let best = -1;
      for (let i = 0; i < tree.length; i++)
        if (names[tree.func[i]] === '_count_elements' && (best < 0 || tree.total[i] > tree.total[best])) best = i;
      const r = canvas.flameNodeRect(best)!;
      const box = (document.querySelector('canvas.flame-canvas') as HTMLCanvasElement).getBoundingClientRect();
      return { x: box.left + r.x + r.w / 2, y: box.top + r.y + 8 };
    });
    await page.mouse.click(point.x, point.y);
    await page.locator('.selection .fn', { hasText: '_count_elements' }).waitFor();
    await page.locator('.selection button.jit-traces').click();
    await page.locator('.traces-filter').waitFor();
    assert.match(await page.locator('.traces-filter').innerText(), /Traces that ran _count_elements \(6 of 10\)/);
    // "show all" lists every trace again, the function still selected.
    await page.locator('.traces-filter button').click();
    await page.waitForFunction(() => document.querySelectorAll('.traces-list .trace-row[data-trace]').length === 10);
  });

  test('no tab for a profile without a jitlog; a traces link on it falls back to the flame graph', async () => {
    const page = await harness.openPage('p=1&v=traces');
    assert.equal(await page.locator('.tab[data-view="traces"]').count(), 0);
    assert.equal(hashOf(page.url()).get('v'), null);
    assert.equal(await page.locator('.selection button.jit-traces').count(), 0);
  });

  test('no console errors', () => {
    assert.deepEqual(harness.problems, []);
  });
});
