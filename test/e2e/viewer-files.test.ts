/**
 * End-to-end, files: real VMProf fixtures through `pyrometer view`, a profile
 * whose names are HTML and script (rendered as text, no dialog, no element),
 * a gzip file picked in the page and parsed there, a profile recorded on
 * another machine (source unavailable, with the reason), and the HTML report
 * opened from file:// with the network off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ProfileBuilder } from '../../src/model/builder.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { fixture, testData } from '../helpers.js';
import { loadProfile } from '../../src/formats/load.js';
import { renderReport } from '../../src/report/html.js';
import { busyProfile } from '../web/synthetic.js';
import { rootRowY, Harness, hottest, hoverTooltip, paintedShare, shot, waitReady, work } from './harness.js';

// Profile list order in the viewer (the order given to `pyrometer view`).
const CPUBURN = 0;
const HOSTILE = 1;
const WINDOWS_LINES = 2;
const EMPTY = 3;

const harness = new Harness();

describe('viewer in Chromium: fixtures, hostile names, dropped files, report', () => {
  before(async () => {
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'empty.pyrmodel'), serializeProfile(new ProfileBuilder('vmprof').build()));
    await harness.start([
      fixture('vmprof/vmprof_cpuburn.prof'),
      testData('viewer/hostile.txt'),
      fixture('vmprof/example_with_lines.prof'),
      join(work, 'empty.pyrmodel'),
    ]);
  });

  after(() => harness.stop());

  test('real VMProf fixture: hottest function in the table and tooltip', async () => {
    const expected = hottest(await loadProfile(fixture('vmprof/vmprof_cpuburn.prof')));
    const page = await harness.openPage(`p=${CPUBURN}&v=functions`);
    await page.locator('.list-header button', { hasText: 'Total' }).click();
    await waitReady(page);
    const first = await page.locator('.functable .vlist-row').first().innerText();
    assert.ok(first.includes(expected.name), `${first} names ${expected.name}`);
    assert.ok(first.includes(expected.percent), `${first} shows ${expected.percent}`);
    await shot(page, 'vmprof-functions');
    await page.getByRole('tab', { name: 'Flame graph' }).click();
    await waitReady(page);
    assert.ok((await paintedShare(page)) > 0.01);
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    assert.match(await hoverTooltip(page, canvas.width / 2, await rootRowY(page)), /Total: .*\(\d+(\.\d+)?%\)/);
    await shot(page, 'vmprof-flame-graph');
    await page.close();
  });

  test('a profile recorded elsewhere says why its source is unavailable', async () => {
    const page = await harness.openPage(`p=${WINDOWS_LINES}&v=functions`);
    await page.locator('.list-header button', { hasText: 'Total' }).click();
    await page.locator('.functable .vlist-row', { hasText: 'example.py' }).first().click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.source-unavailable', { hasText: 'example.py is not readable on this machine' }).waitFor();
    await shot(page, 'source-unavailable');
    // A frozen module is not a file: the viewer says so without asking the server.
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.locator('.functable .vlist-row', { hasText: '_read_directory' }).click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.source-unavailable', { hasText: '<frozen zipimport> is not a source file' }).waitFor();
    await page.close();
  });

  test('hostile names are shown as text, never run as markup', async () => {
    const page = await harness.openPage(`p=${HOSTILE}&v=functions`);
    const table = await page.locator('.functable').innerText();
    assert.ok(table.includes('<img src=x onerror=alert(1)>'));
    assert.ok(table.includes('<script>alert(1)</script>'));
    assert.ok(table.includes('"><svg onload=alert(2)>'));
    await shot(page, 'hostile-functions');
    await page.getByRole('tab', { name: 'Flame graph' }).click();
    await waitReady(page);
    const canvas = (await page.locator('canvas.flame-canvas').boundingBox())!;
    const tip = await hoverTooltip(page, 20, (await rootRowY(page)) - 18);
    assert.match(tip, /^<img src=x onerror=alert\(1\)>\n/);
    await page.getByRole('tab', { name: 'Call tree' }).click();
    await page.locator('.calltree').focus();
    await page.keyboard.press('*');
    await waitReady(page);
    await shot(page, 'hostile-call-tree');
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll('img, svg').length,
      scripts: document.querySelectorAll('script').length,
    }));
    // No element came from a name; a dialog (alert) would have been recorded as a problem.
    assert.deepEqual(injected, { img: 0, scripts: 1 });
    await page.close();
  });

  test('a picked (gzip) or dropped file is parsed in the browser', async () => {
    const gz = join(work, 'vmprof_cpuburn.prof.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('vmprof/vmprof_cpuburn.prof'))));
    const page = await harness.openPage('');
    await page.locator('input[type=file]').first().setInputFiles(gz);
    await page.locator('.profile-select option', { hasText: 'vmprof_cpuburn.prof.gz' }).waitFor({ state: 'attached' });
    await waitReady(page);
    await page.waitForFunction(() => document.querySelector('.status')?.textContent?.includes('vmprof_cpuburn.prof.gz'));
    assert.match(await page.locator('.status').innerText(), /vmprof/);
    assert.ok((await paintedShare(page)) > 0.01);
    await shot(page, 'picked-file');
    // A dropped file takes the same path: speedscope's own format, read by our reader in the page.
    const text = readFileSync(fixture('speedscope/simple.speedscope.json'), 'utf8');
    await page.evaluate((content) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], 'simple.speedscope.json', { type: 'application/json' }));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, text);
    await page.waitForFunction(() => document.querySelector('.status')?.textContent?.includes('simple.speedscope.json'));
    await waitReady(page);
    assert.match(await page.locator('.status').innerText(), /speedscope/);
    assert.ok((await paintedShare(page)) > 0.01);
    await shot(page, 'dropped-file');
    await page.close();
  });

  test('the HTML report opens from file:// with the network off', async () => {
    const html = await renderReport([
      { name: 'busy', profile: busyProfile() },
      { name: 'hostile', profile: await loadProfile(testData('viewer/hostile.txt')) },
    ]);
    const file = join(work, 'report.html');
    writeFileSync(file, html);
    const context = await harness.browser.newContext({ viewport: { width: 1280, height: 720 }, offline: true });
    const requests: string[] = [];
    context.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') harness.problems.push(`report console: ${m.text()}`);
    });
    page.on('pageerror', (e) => harness.problems.push(`report page error: ${e.message}`));
    await page.goto(pathToFileURL(file).href);
    await waitReady(page);
    assert.ok(await page.evaluate(() => window.__pyrometer.firstFlamePaint !== null));
    assert.ok((await paintedShare(page)) > 0.01);
    await shot(page, 'report');
    await page.getByRole('tab', { name: 'Functions' }).click();
    await page.locator('.functable .vlist-row', { hasText: 'main' }).first().click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.src-row[data-line="23"]').waitFor();
    await shot(page, 'report-source');
    assert.deepEqual(requests, []);
    await context.close();
  });

  test('an empty profile opens every view and says it has no samples', async () => {
    const page = await harness.openPage(`p=${EMPTY}`);
    await page.locator('.canvas-empty', { hasText: 'This profile has no samples.' }).waitFor();
    for (const tab of ['Stack chart', 'Call tree', 'Functions', 'Callers / callees', 'Source', 'Flame graph']) {
      await page.getByRole('tab', { name: tab }).click();
      await waitReady(page);
    }
    await shot(page, 'empty-profile');
    await page.close();
  });

  test('no console errors anywhere', () => {
    assert.deepEqual(harness.problems, []);
  });
});
