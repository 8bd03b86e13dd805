/**
 * The continuous page in real Chromium: a service with two phases and two
 * versions; the timeline draws, a dragged range opens in the viewer, a diff of
 * two label values draws a differential flame graph and the biggest-changes
 * table, and the top functions draw as small multiples. A hostile function
 * name stays text. Needs the built viewer (web/dist).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { SqliteSeriesStore } from '../../src/server/series/sqlite.js';
import { webDistDir } from '../../src/assets/viewer.js';
import { chunkBody } from '../../src/formats/stream-chunk.js';
import { testOutput } from '../helpers.js';
import { paintedShare, waitReady } from '../e2e/harness.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const work = mkdtempSync(join(tmpdir(), 'pyrometer-cp-browser-'));
const screenshots = join(testOutput, 'screenshots');
let app: FastifyInstance;
let base: string;
let browser: Browser;
const problems: string[] = [];

before(async () => {
  assert.ok(existsSync(join(webDistDir(), 'index.html')), 'the viewer must be built (npm run build:web)');
  mkdirSync(screenshots, { recursive: true });
  const series = new SqliteSeriesStore(join(work, 'db.sqlite'));
  const now = Date.now();
  const t0 = Math.floor((now - 40 * 60_000) / 10_000) * 10_000;
  for (let i = 0; i < 180; i++) {
    const at = t0 + i * 10_000;
    const hot = i < 90 ? 'parse (app.py:10)' : 'render (app.py:30)';
    for (const version of ['1.2', '1.3']) {
      const extra = version === '1.3' ? { 'main (app.py:1);<img src=x onerror=alert(1)> (evil.py:1)': 3 } : {};
      await series.ingest({
        service: 'web',
        labels: { version },
        from: at,
        until: at + 10_000,
        unit: 'samples',
        kind: 'cpu',
        sender: '',
        seq: 0,
        ...chunkBody(
          Object.entries({ [`main (app.py:1);${hot}`]: 8, 'main (app.py:1);io (app.py:50)': 2, ...extra }).map(([stack, weight]) => ({
            stack,
            weight,
          })),
        ),
      });
    }
  }
  app = await buildApp({
    store: SqliteStore.open(join(work, 'db.sqlite')),
    spoolDir: join(work, 'spool'),
    viewerDir: webDistDir(),
    parseInWorkers: false,
    seriesStore: series,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${base}/continuous`);
  await page.waitForFunction(() => document.querySelectorAll('#cp-timeline rect').length > 100);
  return page;
}

test('timeline, label diff with a differential flame graph, top functions', async () => {
  const page = await openPage();
  assert.equal(await page.inputValue('#cp-service'), 'web');
  await page.waitForFunction(() => document.querySelectorAll('#cp-top svg polyline').length >= 3);
  await page.selectOption('#cp-compare-key', 'version');
  await page.selectOption('#cp-compare-a', '1.2');
  await page.selectOption('#cp-compare-b', '1.3');
  await page.click('#cp-diff');
  await page.waitForSelector('#cp-diff-out table tr:nth-child(2)');
  const rows = await page.$$eval('#cp-diff-out table tr', (trs) =>
    trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  );
  // Only in 1.3: the hostile-named function, shown as its text.
  assert.equal(rows[0][0], '<img src=x onerror=alert(1)>');
  assert.ok(Number(rows[0][4]) > 0);
  const painted = await page.$eval('#cp-diff-flame', (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let reddish = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 255 && data[i + 1] < 200 && data[i + 3] > 0) reddish++;
    return reddish;
  });
  assert.ok(painted > 100, `the grown path is drawn red (${painted} pixels)`);
  await page.screenshot({ path: join(screenshots, 'continuous-diff.png'), fullPage: true });
  await page.close();
});

test('a dragged range opens in the viewer', async () => {
  const page = await openPage();
  const box = (await page.$('#cp-timeline'))!;
  const b = (await box.boundingBox())!;
  await page.mouse.move(b.x + b.width * 0.1, b.y + 50);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * 0.5, b.y + 50, { steps: 5 });
  await page.mouse.up();
  assert.match((await page.textContent('#cp-selection')) ?? '', /^A: \d{4}-/);
  await page.click('#cp-open');
  await page.waitForURL(/\/viewer\/\?profile=/);
  await waitReady(page);
  await page.screenshot({ path: join(screenshots, 'continuous-viewer.png') });
  assert.match((await page.textContent('body')) ?? '', /web 20\d\d-/); // the selection's name
  const share = await paintedShare(page);
  assert.ok(share > 0.02, `the flame graph of the selection is drawn (${share}): two levels, main and its callees`);
  await page.close();
  assert.deepEqual(problems, []);
});
