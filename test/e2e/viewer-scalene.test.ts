/**
 * End-to-end: a Scalene profile's per-line memory in the viewer's source view, a column of its
 * own with its own heat beside the CPU columns (model/line-metrics.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, shot, waitReady, work } from './harness.js';

const harness = new Harness();

const SOURCE = `import json

def parse(text):
    data = json.loads(text)
    return data

def build():
    cache = [0] * 10**6
    return cache
`;

/** A LineDetail as scalene_json.py writes it, with the fields the reader uses. */
const line = (lineno: number, region: number, values: Record<string, number>) => ({
  lineno,
  line: SOURCE.split('\n')[lineno - 1],
  n_cpu_percent_python: 0,
  n_cpu_percent_c: 0,
  n_sys_percent: 0,
  n_malloc_mb: 0,
  n_growth_mb: 0,
  n_peak_mb: 0,
  n_avg_mb: 0,
  n_mallocs: 0,
  n_python_fraction: 0,
  n_copy_mb_s: 0,
  start_region_line: region,
  ...values,
});

describe('viewer in Chromium: Scalene memory per line', () => {
  before(async () => {
    mkdirSync(work, { recursive: true });
    const source = join(work, 'scalene_work.py');
    writeFileSync(source, SOURCE);
    const profile = {
      elapsed_time_sec: 2,
      memory: true,
      max_footprint_mb: 60,
      growth_rate: 0,
      samples: [],
      files: {
        [source]: {
          percent_cpu_time: 100,
          functions: [
            { ...line(3, 3, {}), line: 'parse' },
            { ...line(7, 7, {}), line: 'build' },
          ],
          lines: [
            line(4, 3, {
              n_cpu_percent_python: 40,
              n_cpu_percent_c: 20,
              n_malloc_mb: 50,
              n_peak_mb: 60,
              n_mallocs: 4,
              n_python_fraction: 0.25,
            }),
            line(5, 3, { n_cpu_percent_python: 30 }),
            // Memory and no CPU.
            line(8, 7, { n_malloc_mb: 8, n_growth_mb: 7.5, n_peak_mb: 8, n_mallocs: 1, n_python_fraction: 1 }),
          ],
        },
      },
    };
    const file = join(work, 'work.scalene.json');
    writeFileSync(file, JSON.stringify(profile));
    await harness.start([file]);
  });
  after(() => harness.stop());

  test('the source view shows MB allocated per line beside the CPU columns, with its own heat', async () => {
    const page = await harness.openPage('p=0&v=functions');
    await waitReady(page);
    await page.locator('.functable .vlist-row', { hasText: 'parse' }).first().click();
    await page.getByRole('tab', { name: 'Source' }).click();
    await page.locator('.src-row[data-line="4"]').waitFor();
    const headings = await page.locator('.src-cols .num').allInnerTexts();
    assert.deepEqual(headings.slice(0, 4), ['Memory', 'Self', 'Total', '%']);
    const memoryOf = (n: number) => page.locator(`.src-row[data-line="${n}"] .mem`).innerText();
    assert.equal(await memoryOf(4), '50.0 MB');
    assert.equal(await memoryOf(5), '', 'a line with CPU time and no memory');
    assert.equal(await memoryOf(8), '8.0 MB', 'a line with memory and no CPU time');
    // The heat follows MB: the biggest line full, the other in proportion.
    const heat = (n: number) =>
      page.locator(`.src-row[data-line="${n}"] .mem`).evaluate((e) => Number((e as HTMLElement).style.getPropertyValue('--mem-heat')));
    assert.equal(await heat(4), 1);
    assert.equal(await heat(8), 0.16);
    assert.match((await page.locator('.src-row[data-line="8"] .mem').getAttribute('title')) ?? '', /growth: 7\.5 MB[\s\S]*mallocs: 1/);
    // Line 5's CPU is still the row's heat and its Self column.
    assert.notEqual((await page.locator('.src-row[data-line="5"] .num').nth(1).innerText()).trim(), '');
    await shot(page, 'scalene-source-memory');
    await page.close();
  });

  test('no console errors', () => {
    assert.deepEqual(harness.problems, []);
  });
});
