/**
 * End-to-end in real headless Chromium: the Allocations and Memory growth tabs and the memory
 * curve (y-axis, value on hover, a drag on it selects a range the other views follow, PyPy's GC
 * phases behind it), on recordings made here by `pyrometer record --alloc --mem --lines`
 * (CPython) and `--alloc --mem --pypylog` (PyPy). Screenshots go to test-output/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dataPath, removeDir, runPyrometer, scratchDir } from '../capture/run.js';
import { Harness, shot, waitReady } from './harness.js';
import { writeFileSync } from 'node:fs';
import { serializeProfile } from '../../src/model/serialize.js';
import { busyProfile } from '../web/synthetic.js';

const CPYTHON = 0;
const PYPY = 1;
const PLAIN = 2;
const harness = new Harness();
let dir = '';

describe('viewer: allocations, memory growth, the memory curve', () => {
  before(async () => {
    dir = scratchDir();
    const cpython = await runPyrometer(
      ['record', '--alloc', '--mem', '--lines', '-o', 'grow.prof', '--', 'python3', dataPath('grow_list.py')],
      { cwd: dir },
    );
    assert.equal(cpython.code, 0, cpython.stderr);
    const pypy = await runPyrometer(
      ['record', '--alloc', '--mem', '--pypylog', '-o', 'pypy.prof', '--', 'pypy3', dataPath('alloc_split.py'), '200000', '64'],
      { cwd: dir },
    );
    assert.equal(pypy.code, 0, pypy.stderr);
    writeFileSync(join(dir, 'plain.pyrmodel'), serializeProfile(busyProfile()));
    await harness.start([join(dir, 'grow.prof'), join(dir, 'pypy.prof'), join(dir, 'plain.pyrmodel')]);
  });

  after(async () => {
    await harness.stop();
    removeDir(dir);
  });

  test('Allocations tab: flame graph and tables by objects, then by bytes', async () => {
    const page = await harness.openPage(`p=${CPYTHON}&v=alloc`);
    await page.locator('.alloc-functions').waitFor();
    const functions = await page.locator('.alloc-functions').innerText();
    assert.match(functions, /Allocating functions \(by objects\)/);
    // grow keeps a list per iteration: it is the top allocating function
    const firstRow = await page.locator('.alloc-functions tr').nth(1).innerText();
    assert.match(firstRow, /grow\s+grow_list\.py:8/);
    assert.match(await page.locator('.alloc-types').innerText(), /\blist\b/);
    assert.match(await page.locator('.alloc-source').innerText(), /samples from gc\.callbacks/);
    await shot(page, 'allocations-objects');
    await page.getByRole('button', { name: 'Bytes' }).click();
    await page.locator('.alloc-functions caption', { hasText: 'by bytes' }).waitFor();
    assert.match(await page.locator('.alloc-functions tr').nth(1).innerText(), /MiB.*grow/s);
    await shot(page, 'allocations-bytes');
    await page.close();
  });

  test('PyPy: allocations by bytes only (gc.hooks), objects not offered', async () => {
    const page = await harness.openPage(`p=${PYPY}&v=alloc`);
    await page.locator('.alloc-functions').waitFor();
    assert.match(await page.locator('.alloc-source').innerText(), /gc\.hooks\.on_gc_minor/);
    assert.equal(await page.getByRole('button', { name: 'Objects' }).isDisabled(), true);
    assert.match(await page.locator('.alloc-note').innerText(), /_vmprof has no allocation sampling/);
    await shot(page, 'allocations-pypy');
    await page.close();
  });

  test('Memory growth tab: the growing line first, with its source', async () => {
    const page = await harness.openPage(`p=${CPYTHON}&v=memory`);
    await page.locator('.growth-lines').waitFor();
    const firstLine = await page.locator('.growth-lines tr').nth(1).innerText();
    assert.match(firstLine, /\+[\d.]+ MiB\s+grow\s+grow_list\.py:10\s+data\.append\(\[i\] \* 100\)/);
    assert.match(await page.locator('.memory-growth-note').innerText(), /RSS grew [\d.]+ MiB/);
    await shot(page, 'memory-growth');
    await page.close();
  });

  test('memory curve: y-axis, value on hover, a drag selects the range the other tabs then use', async () => {
    const page = await harness.openPage(`p=${CPYTHON}&v=stack`);
    const canvas = page.locator('canvas.memory-canvas');
    await canvas.waitFor({ state: 'visible' });
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await shot(page, 'memory-curve-hover');
    // drag from 40% to 70% of the curve: a range in the URL and in the crumbs
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2);
    await page.mouse.up();
    await page.waitForFunction(() => /[#&]r=/.test(location.hash));
    await waitReady(page);
    assert.match(await page.locator('.crumbs').innerText(), /Range /);
    await shot(page, 'memory-curve-range');
    const hash = await page.evaluate(() => location.hash.slice(1));
    const ranged = await harness.openPage(hash.replace(/v=stack/, 'v=memory'));
    await ranged.locator('.growth-functions').waitFor();
    assert.match(await ranged.locator('.memory-growth-note').innerText(), /\(range [\d.]+ (s|ms) – [\d.]+ (s|ms)\)/);
    await ranged.close();
    await page.close();
  });

  test('PyPy memory curve: GC phases shaded behind it', async () => {
    const page = await harness.openPage(`p=${PYPY}&v=stack`);
    await page.locator('canvas.memory-canvas').waitFor({ state: 'visible' });
    await shot(page, 'memory-curve-pypy-gc');
    await page.close();
  });

  test('the Allocations and Memory growth tabs are offered only for profiles that have the data', async () => {
    const page = await harness.openPage(`p=${CPYTHON}&v=flame`);
    const tabs = await page.locator('.tabs').innerText();
    assert.match(tabs, /Allocations/);
    assert.match(tabs, /Memory growth/);
    await page.close();
    const plain = await harness.openPage(`p=${PLAIN}&v=flame`);
    const plainTabs = await plain.locator('.tabs').innerText();
    // the synthetic profile has RSS readings but no allocation samples
    assert.match(plainTabs, /Memory growth/);
    assert.doesNotMatch(plainTabs, /Allocations/);
    await plain.close();
    const link = await harness.openPage(`p=${PLAIN}&v=alloc`);
    assert.match(await link.evaluate(() => location.hash), /v=flame|^(?!.*v=)/);
    await link.close();
  });

  test('no console errors', () => {
    assert.deepEqual(harness.problems, []);
  });
});
