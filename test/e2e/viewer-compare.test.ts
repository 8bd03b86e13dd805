/**
 * End-to-end in Chromium: the Compare view (pyrometer view a b --compare, the
 * Compare button, across formats), each rough edge fixed for issue 16 (inverted
 * on many tiny frames, source heat within 100%, idle hidden by default, /regex/
 * search, all threads as collapsible lanes that the wheel scrolls, Back, the
 * ? help, the flame graph's placement and scrollbar, pstats footer), the new
 * transforms, and coverage (lcov) heat in the source view. Screenshots go to
 * test-output/screenshots/compare-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { fixture, testData } from '../helpers.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { loadProfile } from '../../src/formats/load.js';
import { funcFile, funcName } from '../../src/model/profile.js';
import { beforeAfterProfiles, busyProfile, comprehensionProfile, manyLeavesProfile, manyThreadsProfile } from '../web/synthetic.js';
import { Harness, paintedShare, rootRowY, shot, waitReady, work } from './harness.js';

const BEFORE = 0;
const AFTER = 1;
const PSTATS = 2;
const VMPROF = 3;
const BUSY = 4;
const LISTCOMP = 5;
const THREADS = 6;
const LEAVES = 7;
const COVERAGE = 8;
const CALLGRIND = 9;
let callgrindMain = -1;
let loopLineIr = '';
let squareLineIr = '';

const harness = new Harness();

/** The tooltip's first line after hovering canvas point (x, y) of the given canvas. */
async function tipAt(page: Page, selector: string, x: number, y: number): Promise<string> {
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + x, box.y + y);
  await page.locator('.tooltip').waitFor({ state: 'visible' });
  return page.locator('.tooltip').innerText();
}

/** Share of painted (non-background) pixels along one canvas row, in CSS px. */
async function paintedAlongRow(page: Page, selector: string, y: number): Promise<number> {
  return page.evaluate(
    ({ selector, y }) => {
      const c = document.querySelector(selector) as HTMLCanvasElement;
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(c, 0, 0);
      const dpr = c.width / c.clientWidth;
      const d = ctx.getImageData(0, Math.round(y * dpr), c.width, 1).data;
      const bg = ctx.getImageData(c.width - 1, c.height - 1, 1, 1).data;
      let painted = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] !== bg[0] || d[i + 1] !== bg[1] || d[i + 2] !== bg[2]) painted++;
      return painted / (d.length / 4);
    },
    { selector, y },
  );
}

describe('viewer in Chromium: compare and the rough edges', () => {
  before(async () => {
    const dir = join(work, 'compare');
    mkdirSync(dir, { recursive: true });
    const { before: b, after: a } = beforeAfterProfiles();
    const files: [string, Uint8Array][] = [
      ['before.pyrmodel', serializeProfile(b)],
      ['after.pyrmodel', serializeProfile(a)],
      ['busy.pyrmodel', serializeProfile(busyProfile())],
      ['listcomp.pyrmodel', serializeProfile(comprehensionProfile())],
      ['threads.pyrmodel', serializeProfile(manyThreadsProfile())],
      ['leaves.pyrmodel', serializeProfile(manyLeavesProfile())],
    ];
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    // Coverage of a real C program: gcc --coverage, run, lcov --capture (absolute source paths).
    // Counts add up across runs in loop.gcda: start from none.
    rmSync(join(dir, 'loop.gcda'), { force: true });
    copyFileSync(testData('coverage/loop.c'), join(dir, 'loop.c'));
    for (const [cmd, ...args] of [
      ['gcc', '--coverage', '-g', '-O0', '-o', 'loop', 'loop.c'],
      ['./loop'],
      ['lcov', '--quiet', '--capture', '--directory', '.', '--output-file', 'cov.info'],
      // A C profile of the same program: its source view shows the coverage counts beside its own costs.
      ['valgrind', '--tool=callgrind', '--callgrind-out-file=loop.callgrind', './loop'],
    ]) {
      const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    }
    await harness.start([
      join(dir, 'before.pyrmodel'),
      join(dir, 'after.pyrmodel'),
      fixture('cprofile/cprofile-python3-primes.pstats'),
      fixture('vmprof/pypy-primes.prof'),
      join(dir, 'busy.pyrmodel'),
      join(dir, 'listcomp.pyrmodel'),
      join(dir, 'threads.pyrmodel'),
      join(dir, 'leaves.pyrmodel'),
      join(dir, 'cov.info'),
      join(dir, 'loop.callgrind'),
    ]);
    // callgrind_annotate (valgrind's own) gives each source line's exclusive instructions: the oracle for the source view.
    const annotate = spawnSync('callgrind_annotate', ['--auto=yes', 'loop.callgrind'], { cwd: dir, encoding: 'utf8' });
    assert.equal(annotate.status, 0, annotate.stderr);
    const annotated = (source: string) => new RegExp(`^\\s*([\\d,]+) \\(.*\\)\\s+${source}`, 'm').exec(annotate.stdout)?.[1];
    loopLineIr = annotated('for \\(int i = 0;')!;
    squareLineIr = annotated('total \\+= square')!;
    assert.ok(loopLineIr && squareLineIr, annotate.stdout.slice(-2000));
    const callgrind = await loadProfile(join(dir, 'loop.callgrind'));
    callgrindMain = [...Array(callgrind.funcs.length).keys()].find(
      (f) => funcName(callgrind, f) === 'main' && funcFile(callgrind, f).endsWith('loop.c'),
    )!;
    assert.ok(callgrindMain >= 0, 'callgrind profiled main in loop.c');
  });

  after(() => harness.stop());

  test('compare: differential flame graph, function table with ratio, before/after and normalisation toggles', async () => {
    const page = await harness.openPage(`v=compare&p=${AFTER}&cmp=${BEFORE}`);
    await page.locator('.compare-table .vlist-row').first().waitFor();
    // compute: 200 → 400 samples; by share 66.7% of 300 → 80% of 500.
    const first = await page.locator('.compare-table .vlist-row').first().innerText();
    assert.match(first, /66\.7%\s+80\.0%\s+\+13\.3%\s+1\.20×\s+compute\s*calc\.py/);
    assert.match(await page.locator('.compare-note').innerText(), /as a share of each profile's own total/);
    assert.ok((await paintedShare(page)) > 0.01);
    // The after shape: compute is the widest child of main (row 2 from the top of a 2-row graph).
    const tip = await tipAt(page, '.compare-flame canvas', 100, 8 + 9);
    assert.match(tip, /^compute\nBefore: 66\.7% · after: 80\.0%\nChange: \+13\.3% \(1\.20×\)/);
    await shot(page, 'compare-share');
    await page.getByRole('button', { name: 'Time', exact: true }).click();
    await page.waitForFunction(() => /in milliseconds/.test(document.querySelector('.compare-note')!.textContent!));
    assert.match(await page.locator('.compare-table .vlist-row').first().innerText(), /200 ms\s+400 ms\s+\+200 ms\s+2\.00×\s+compute/);
    assert.match(page.url(), /dn=time/);
    await page.getByRole('button', { name: 'Before', exact: true }).click();
    await page.waitForFunction(() => location.hash.includes('ds=before'));
    await waitReady(page);
    assert.match(await tipAt(page, '.compare-flame canvas', 100, 8 + 9), /^compute\nBefore: 200 ms · after: 400 ms/);
    await shot(page, 'compare-time-before');
    await page.close();
  });

  test('the Compare button, and compare across formats (pstats on CPython against VMProf on PyPy)', async () => {
    const page = await harness.openPage(`p=${VMPROF}`);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.locator('.compare-table .vlist-row').first().waitFor();
    assert.match(page.url(), /v=compare/);
    await page.locator('select.compare-before').selectOption(String(PSTATS));
    await page.waitForFunction((p) => location.hash.includes(`cmp=${p}`), PSTATS);
    await page.locator('.compare-table .vlist-row', { hasText: 'primes' }).first().waitFor();
    const row = await page
      .locator('.compare-table .vlist-row', { hasText: /^[\s\S]*\bprimes\b/ })
      .first()
      .innerText();
    assert.match(row, /\d+\.\d+%\s+\d+\.\d+%/, 'primes has a share on both sides');
    await shot(page, 'compare-pstats-vmprof');
    await page.close();
  });

  test('inverted on many tiny frames: the roots row is drawn across, not blank', async () => {
    const page = await harness.openPage(`p=${LEAVES}&inv=1`);
    const y = await rootRowY(page);
    const share = await paintedAlongRow(page, 'canvas.flame-canvas', y);
    assert.ok(share > 0.9, `roots row painted across ${(share * 100).toFixed(1)}%`);
    // Their callers' row (main, above each tiny root) is drawn too, not only the roots.
    const callers = await paintedAlongRow(page, 'canvas.flame-canvas', y - 18);
    assert.ok(callers > 0.9, `callers row painted across ${(callers * 100).toFixed(1)}%`);
    await shot(page, 'compare-inverted-tiny-roots');
    await page.close();
  });

  test('source heat stays within 100% for a line a comprehension shares with its function', async () => {
    const page = await harness.openPage(`p=${LISTCOMP}&v=source&f=0`);
    const line23 = page.locator('.src-row[data-line="23"]');
    await line23.waitFor();
    assert.match(await line23.innerText(), /^0\s+50\s+100%?\.?0?%?\s+23\s+results/);
    for (const text of await page.locator('.src-row.hot').allInnerTexts()) {
      const pct = Number(/(\d+(?:\.\d+)?)%/.exec(text)![1]);
      assert.ok(pct <= 100, text);
    }
    await shot(page, 'compare-source-listcomp');
    await page.close();
  });

  test('idle is hidden by default and can be shown (the URL says idle=1)', async () => {
    const page = await harness.openPage(`p=${BUSY}&v=functions`);
    assert.equal(await page.locator('label.check', { hasText: 'Hide idle' }).locator('input').isChecked(), true);
    assert.match(await page.locator('.status').innerText(), /shown 940 samples \(94\.0%\)/);
    assert.equal(await page.locator('.functable .vlist-row', { hasText: 'lock.acquire' }).count(), 0);
    await page.locator('label.check', { hasText: 'Hide idle' }).locator('input').uncheck();
    await page.locator('.functable .vlist-row', { hasText: 'lock.acquire' }).waitFor();
    assert.match(page.url(), /idle=1/);
    await shot(page, 'compare-idle-shown');
    await page.close();
  });

  test('/regex/ in the search box is a regular expression', async () => {
    const page = await harness.openPage(`p=${BUSY}`);
    await page.locator('input.search').fill('/^sc.re$/');
    await page.locator('.search-info', { hasText: '1 function match' }).waitFor();
    await page.locator('input.search').fill('/^(parse|report)$/');
    await page.locator('.search-info', { hasText: '2 functions match' }).waitFor();
    await shot(page, 'compare-regex-search');
    await page.close();
  });

  test('stack chart with all threads: a lane each, lanes collapse, the wheel scrolls to later lanes', async () => {
    const page = await harness.openPage(`p=${THREADS}&v=stack`);
    const lanes = await page.evaluate(() => window.__pyrometer.canvas!.lanes.length);
    assert.equal(lanes, 12, 'every thread gets a lane when none is chosen');
    const before = await page.evaluate(() => ({
      x0: window.__pyrometer.canvas!.x0,
      x1: window.__pyrometer.canvas!.x1,
      top: window.__pyrometer.canvas!.scrollTop,
    }));
    const box = (await page.locator('canvas.flame-canvas').first().boundingBox())!;
    await page.mouse.move(box.x + 300, box.y + 200);
    await page.mouse.wheel(0, 400);
    await page.waitForFunction((top) => window.__pyrometer.canvas!.scrollTop > top, before.top);
    const afterWheel = await page.evaluate(() => ({ x0: window.__pyrometer.canvas!.x0, x1: window.__pyrometer.canvas!.x1 }));
    assert.deepEqual(afterWheel, { x0: before.x0, x1: before.x1 }, 'the wheel scrolled, it did not zoom');
    await shot(page, 'compare-lanes-scrolled');
    // Collapse the first lane by clicking its name.
    await page.evaluate(() => window.__pyrometer.canvas!.scrollBy(-1e6));
    await waitReady(page);
    const rowsBefore = await page.evaluate(() => window.__pyrometer.canvas!.lanes[0].rows);
    await page.mouse.click(box.x + 40, box.y + 22 + 9);
    await page.waitForFunction(() => window.__pyrometer.canvas!.lanes[0].rows === 0);
    assert.ok(rowsBefore > 80);
    assert.match(await page.evaluate(() => window.__pyrometer.canvas!.lanes[0].label), /^▸ worker-0 \(1\) \(collapsed\)$/);
    await shot(page, 'compare-lane-collapsed');
    await page.close();
  });

  test('Back returns to the previous view; ? shows the shortcuts', async () => {
    const page = await harness.openPage(`p=${BUSY}`);
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.waitForFunction(() => location.hash.includes('v=functions'));
    await page.getByRole('tab', { name: 'Call tree' }).click();
    await page.waitForFunction(() => location.hash.includes('v=tree'));
    await page.goBack();
    await page.locator('.tab.active', { hasText: 'Functions' }).waitFor();
    await page.goBack();
    await page.locator('.tab.active', { hasText: 'Flame graph' }).waitFor();
    assert.match(page.url(), /127\.0\.0\.1/, 'still in the viewer');
    await page.locator('body').press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    assert.match(await page.locator('.help-card').innerText(), /search functions/);
    await shot(page, 'compare-help');
    await page.keyboard.press('Escape');
    await page.locator('.help').waitFor({ state: 'detached' });
    await page.close();
  });

  test('flame graph placement: a shallow graph sits at the top; a deep one gets a scrollbar', async () => {
    const page = await harness.openPage(`p=${BUSY}`);
    assert.ok((await rootRowY(page)) < 100, 'three rows drawn near the top, not under an empty area');
    assert.equal(await page.locator('.flame-scroll').first().isHidden(), true);
    await shot(page, 'compare-flame-shallow');
    await page.goto(`${harness.server.url}#p=${THREADS}&t=0`);
    await waitReady(page);
    const track = page.locator('.flame-scroll').first();
    await track.waitFor({ state: 'visible' });
    const top0 = await page.evaluate(() => window.__pyrometer.canvas!.scrollTop);
    await track.evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.waitForFunction((t) => window.__pyrometer.canvas!.scrollTop > t, top0);
    await shot(page, 'compare-flame-deep-scrolled');
    await page.close();
  });

  test('pstats footer: no zero duration, what the profile weighs', async () => {
    const page = await harness.openPage(`p=${PSTATS}`);
    const status = await page.locator('.status').innerText();
    assert.doesNotMatch(status, /duration|0 µs|selected/);
    assert.match(status, /pstats · .* in total · 1 thread/);
    await page.close();
  });

  test('transforms: drop function, collapse module, only one category, merge call node — in the URL', async () => {
    const page = await harness.openPage(`p=${BUSY}&v=functions&f=1`);
    await page.getByRole('button', { name: 'Drop function' }).click();
    await page.locator('.crumb', { hasText: 'Drop: score' }).waitFor();
    assert.match(decodeURIComponent(page.url()), /tf=drop:1/);
    assert.equal(await page.locator('.functable .vlist-row', { hasText: 'math.sqrt' }).count(), 0, 'only score called sqrt');
    await page.locator('.crumb', { hasText: 'Drop: score' }).locator('.remove').click();
    await page.locator('.functable .vlist-row', { hasText: 'math.sqrt' }).first().waitFor();
    await page.getByRole('button', { name: 'Only python frames' }).click();
    await page.locator('.crumb', { hasText: 'Only python frames' }).waitFor();
    assert.equal(await page.locator('.functable .vlist-row', { hasText: 'math.sqrt' }).count(), 0, 'native frames are gone');
    assert.match(decodeURIComponent(page.url()), /tf=cat:0/);
    await page.locator('.crumb.root').click();
    await page.locator('.functable .vlist-row', { hasText: 'main' }).first().click();
    await page.getByRole('button', { name: 'Collapse module' }).click();
    await page.locator('.crumb', { hasText: 'Collapse module: busy' }).waitFor();
    assert.match(decodeURIComponent(page.url()), /tf=mod:\d+/);
    // Every busy.py function is entered from main: they fold into it.
    assert.deepEqual(await page.locator('.functable .vlist-row .fn').allInnerTexts(), ['main', 'math.sqrt', 'worker_loop']);
    await shot(page, 'compare-transform-collapse-module');
    await page.locator('.crumb.root').click();
    // Merge call node: click main → parse in the flame graph (top-down), then merge that node only.
    await page.getByRole('tab', { name: 'Flame graph' }).click();
    await waitReady(page);
    const canvas = (await page.locator('canvas.flame-canvas').first().boundingBox())!;
    const y = (await rootRowY(page)) - 18;
    // parse is main's second-widest child (300 of 900); score (500) comes first from the left.
    const parseX = await page.evaluate(() => {
      const c = window.__pyrometer.canvas!;
      const t = c.flame!.tree;
      for (let n = 0; n < t.length; n++) if (c.names[t.func[n]] === 'parse') return c.flameNodeRect(n)!.x + 5;
      return -1;
    });
    await page.mouse.click(canvas.x + parseX, canvas.y + y);
    await page.getByRole('button', { name: 'Merge call node' }).click();
    await page.locator('.crumb', { hasText: 'Merge call node: main → parse' }).waitFor();
    assert.match(decodeURIComponent(page.url()), /tf=mcn:0\.2/);
    await shot(page, 'compare-transform-merge-call-node');
    await page.close();
  });

  test('compare with a transform: it applies to before too (matched by name and file name)', async () => {
    // Functions of "after": main 0, compute 1, parse 2. Dropping parse leaves compute all of each side.
    const page = await harness.openPage(`v=compare&p=${AFTER}&cmp=${BEFORE}&tf=drop:2`);
    await page.waitForFunction(() => /transforms apply to both/.test(document.querySelector('.compare-note')!.textContent!));
    const compute = page.locator('.compare-table .vlist-row', { hasText: 'compute' }).first();
    await compute.waitFor();
    assert.match(await compute.innerText(), /100\.0%\s+100\.0%\s+0\.00%\s+1\.00×\s+compute/);
    const rows = await page.locator('.compare-table .vlist-row').allInnerTexts();
    assert.ok(!rows.some((r) => /parse\s*io\.py/.test(r)), `parse is dropped on both sides: ${rows.join(' | ')}`);
    assert.match(await tipAt(page, '.compare-flame canvas', 100, 8 + 9), /^compute\nBefore: 100(\.0)?% · after: 100(\.0)?%/);
    await shot(page, 'compare-transform-both-sides');
    await page.close();
  });

  test('coverage heat: an lcov file shows line execution counts in the source view', async () => {
    const page = await harness.openPage(`p=${COVERAGE}&v=source&f=1`);
    const line5 = page.locator('.src-row[data-line="5"]');
    await line5.waitFor();
    assert.match(await line5.innerText(), /^1,001\s+1,001\s+[\d.]+%\s+5\s+for \(int i = 0; i < 1000; i\+\+\) \{$/);
    assert.match(await page.locator('.src-row[data-line="7"]').innerText(), /^334\s+334/);
    await shot(page, 'compare-coverage-source');
    await page.close();
  });

  test('coverage beside a C profile: callgrind of the same program shows its line executions in the source view', async () => {
    const page = await harness.openPage(`p=${CALLGRIND}&v=source&f=${callgrindMain}`);
    const line5 = page.locator('.src-row[data-line="5"]');
    await line5.waitFor();
    await page.locator('.src-coverage', { hasText: 'cov.info' }).waitFor();
    await shot(page, 'compare-coverage-beside-callgrind');
    // Runs (from lcov), then callgrind's own instructions on the line, as callgrind_annotate counts them.
    const cells = async (line: number) => (await page.locator(`.src-row[data-line="${line}"]`).innerText()).split('\n');
    assert.deepEqual((await cells(5)).slice(0, 3), ['1,001', loopLineIr, loopLineIr]);
    assert.match((await cells(5)).at(-1)!, /for \(int i = 0; i < 1000; i\+\+\) \{$/);
    assert.deepEqual((await cells(7)).slice(0, 3), ['334', squareLineIr, squareLineIr]);
    assert.match(await page.locator('.src-cols').innerText(), /^Runs\s+Self\s+Total/);
    await page.close();
  });

  test('no console errors anywhere', () => {
    assert.deepEqual(harness.problems, []);
  });
});
