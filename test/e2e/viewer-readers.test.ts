/**
 * End-to-end: profiles of the formats added for issue 19 in the viewer, both
 * through `pyrometer view` (parsed by the CLI's loader) and picked with Open…
 * (parsed in the page by the same readers, bundled into web/dist).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testData } from '../helpers.js';
import { jsonText } from '../../src/formats/json-chunks.js';
import { firefoxProfileTree } from '../../src/formats/firefox/index.js';
import { syntheticProfile } from '../formats/writer-profiles.js';
import { Harness, paintedShare, shot, waitReady, work } from './harness.js';

const harness = new Harness();
const served = [
  testData('formats/trace-event/node-trace-events.json'),
  testData('formats/pyinstrument/work.pyisession'),
  testData('formats/lprof/work.py311.lprof'),
];

describe('viewer in Chromium: the new readers', () => {
  before(async () => {
    mkdirSync(work, { recursive: true });
    await harness.start(served);
  });
  after(() => harness.stop());

  for (const [index, expected] of [
    [0, 'V8.DeserializeIsolate'],
    [1, 'fib'],
    [2, 'fib'],
  ] as const) {
    test(`view: ${served[index].split('/').pop()} shows ${expected}`, async () => {
      const page = await harness.openPage(`p=${index}&v=functions`);
      await waitReady(page);
      await page.locator('.functable .vlist-row', { hasText: expected }).first().waitFor();
      await page.getByRole('tab', { name: 'Flame graph' }).click();
      await waitReady(page);
      assert.ok((await paintedShare(page)) > 0.01);
      await shot(page, `readers-view-${index}`);
      await page.close();
    });
  }

  test('Open…: a Chromium trace (gzip), a Firefox profile and UTF-16 collapsed stacks are parsed in the page', async () => {
    const firefox = join(work, 'synthetic.firefox.json');
    writeFileSync(firefox, jsonText(firefoxProfileTree(syntheticProfile())));
    const utf16 = join(work, 'stacks-utf16.txt');
    const text = 'main;parse;λ 3\nmain;run 5\n';
    const bytes = Buffer.alloc(2 + text.length * 2);
    bytes.writeUInt16LE(0xfeff, 0);
    for (let i = 0; i < text.length; i++) bytes.writeUInt16LE(text.charCodeAt(i), 2 + 2 * i);
    writeFileSync(utf16, bytes);
    const page = await harness.openPage('');
    for (const [file, format] of [
      [testData('formats/trace-event/chromium-devtools-trace.json.gz'), 'chrome'],
      [firefox, 'firefox'],
      [utf16, 'collapsed'],
    ] as const) {
      const name = file.split('/').pop()!;
      await page.locator('input[type=file]').first().setInputFiles(file);
      await page.locator('.profile-select option', { hasText: name }).waitFor({ state: 'attached' });
      await page.waitForFunction((n) => document.querySelector('.status')?.textContent?.includes(n), name);
      await waitReady(page);
      assert.match(await page.locator('.status').innerText(), new RegExp(format));
      assert.ok((await paintedShare(page)) > 0.01, `${name} painted`);
      await shot(page, `readers-open-${format}`);
    }
    await page.close();
  });
});
