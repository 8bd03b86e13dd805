// Makes test/data/formats/trace-event/chromium-devtools-trace.json: a real DevTools performance trace (CPU profile chunks, timeline slices) from Debian's Chromium.
// Usage: node --import tsx scripts/make-chromium-trace.ts OUT.json
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
await browser.startTracing(page, {
  categories: ['devtools.timeline', 'v8.execute', 'disabled-by-default-v8.cpu_profiler', 'disabled-by-default-devtools.timeline'],
});
await page.setContent(`<script>
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function work() { const t = performance.now(); while (performance.now() - t < 150) fib(18); }
work();
</script>`);
await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
const buf = await browser.stopTracing();
writeFileSync(process.argv[2], buf);
await browser.close();
