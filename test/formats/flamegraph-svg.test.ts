import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { flameSvgFormat, writeFlameSvg, xmlEscape } from '../../src/formats/flamegraph-svg/index.js';
import { pstatsFormat } from '../../src/formats/pstats/index.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { fixture, testOutput } from '../helpers.js';
import { HOSTILE_NAMES, syntheticProfile } from './writer-profiles.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const outDir = join(testOutput, 'flamegraph-svg');
let browser: Browser;

before(async () => {
  mkdirSync(outDir, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
});

/** A strict XML parse by libxml2 (libxml2-utils, installed by scripts/install-test-deps.sh). */
function assertWellFormedXml(path: string): void {
  const result = spawnSync('xmllint', ['--noout', '--nonet', path], { encoding: 'utf8' });
  assert.equal(result.error, undefined, 'xmllint must be installed (libxml2-utils)');
  assert.equal(result.stderr, '', `xmllint: ${result.stderr}`);
  assert.equal(result.status, 0);
}

test('xml escaping covers markup, quotes, line breaks and characters XML forbids', () => {
  assert.equal(xmlEscape('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  assert.equal(xmlEscape(']]>'), ']]&gt;');
  assert.equal(xmlEscape('a\nb\tc\u0001d\u007f'), 'a&#10;b&#9;c\\x01d\\x7f');
  assert.equal(xmlEscape('x\ud800y\uffff'), 'x\ufffdy\ufffd');
  assert.equal(xmlEscape('名前 🔥'), '名前 🔥');
});

test('hostile names: well-formed XML, names only as escaped text, rendered as text in Chromium', async () => {
  const svg = flameSvgFormat.write!(syntheticProfile()) as string;
  const path = join(outDir, 'hostile.svg');
  writeFileSync(path, svg);
  assertWellFormedXml(path);
  // The only script element is ours; no profile string opened an element.
  assert.equal(svg.match(/<script/g)?.length, 1);
  assert.doesNotMatch(svg, /<script>alert/);

  const page = await browser.newPage({ viewport: { width: 1200, height: 400 } });
  const dialogs: string[] = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(path).href);
  const names = await page.$$eval('g.f', (gs) => gs.map((g) => g.getAttribute('data-name')));
  for (const name of HOSTILE_NAMES) {
    const expected = name.replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g,
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
    assert.ok(names.includes(expected), `kept as text: ${JSON.stringify(expected)}`);
  }
  // Hovering a hostile frame puts its name in the details line as text; nothing runs.
  const target = page.locator('g.f', { hasText: '<script>' }).first();
  await target.hover();
  assert.match((await page.textContent('#details')) ?? '', /^<script>alert\("pwned"\)<\/script> \(/);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('renders a real profile in Chromium: frames laid out, zoom and search work (screenshot in test-output)', async () => {
  const profile = pstatsFormat.read!(new Uint8Array(readFileSync(fixture('cprofile/cprofile-python3-wordcount.pstats'))));
  const svg = writeFlameSvg(profile, { title: 'cProfile word count' });
  const path = join(outDir, 'wordcount.svg');
  writeFileSync(path, svg);
  assertWellFormedXml(path);

  const page = await browser.newPage({ viewport: { width: 1200, height: 600 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(path).href);
  const frames = await page.$$eval('g.f', (gs) =>
    gs.map((g) => {
      const r = (g as SVGGElement).getBoundingClientRect();
      return {
        name: g.getAttribute('data-name'),
        d: Number(g.getAttribute('data-d')),
        w: r.width,
        total: Number(g.getAttribute('data-total')),
      };
    }),
  );
  assert.ok(frames.length > 10);
  const all = frames.find((f) => f.d === 0)!;
  assert.equal(all.name, 'all');
  assert.ok(Math.abs(all.w - 1180) < 1, `root spans the width: ${all.w}`);
  // Widths are proportional to totals.
  for (const f of frames) assert.ok(Math.abs(f.w - (1180 * f.total) / all.total) < 1.5, `${f.name}: ${f.w}`);
  await page.screenshot({ path: join(outDir, 'wordcount.png') });

  // Zoom into the widest frame narrower than 90%: it then spans the whole width, a sibling hides.
  const indexed = frames.map((f, i) => ({ ...f, i }));
  const target = indexed.filter((f) => f.total < 0.9 * all.total).sort((a, b) => b.w - a.w)[0];
  const sibling = indexed.find((f) => f.d === target.d && f.i !== target.i)!;
  assert.ok(target.w < 0.9 * 1180 && sibling);
  await page.evaluate((i) => (window as any).flamegraph.zoom(i), target.i);
  const zoomedWidth = await page.$$eval('g.f', (gs, i) => (gs[i] as SVGGElement).getBoundingClientRect().width, target.i);
  assert.ok(Math.abs(zoomedWidth - 1180) < 1, `zoomed frame spans the width: ${zoomedWidth}`);
  assert.equal(await page.$$eval('g.f', (gs, i) => gs[i].classList.contains('hide'), sibling.i), true);
  assert.equal(await page.isVisible('#unzoom'), true);
  await page.screenshot({ path: join(outDir, 'wordcount-zoomed.png') });
  await page.evaluate(() => (window as any).flamegraph.unzoom());
  assert.equal(await page.isVisible('#unzoom'), false);

  // Search: matched share equals the searched function's total.
  const unique = indexed.filter((f) => f.total < 0.9 * all.total && frames.filter((g) => g.name === f.name).length === 1);
  const searched = unique.sort((a, b) => b.w - a.w)[0];
  const escaped = searched.name!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.evaluate((term) => (window as any).flamegraph.search(`^${term}$`), escaped);
  const matched = await page.textContent('#matched');
  // The function appears once in this tree, so the matched share is its frame's share.
  assert.equal(matched, `Matched: ${((100 * searched.total) / all.total).toFixed(2)}%`);
  assert.ok((await page.$$('g.match')).length >= 1);
  await page.screenshot({ path: join(outDir, 'wordcount-search.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('tiny frames are left out, an empty profile still makes a valid SVG', () => {
  const b = new ProfileBuilder('synthetic');
  const t = b.thread('1');
  const big = b.frame(b.func('big', 'a.py', 1));
  const tiny = b.frame(b.func('tiny', 'a.py', 2));
  for (let i = 0; i < 100_000; i++) b.addSampleFrames(t, [big], i);
  b.addSampleFrames(t, [big, tiny], 100_000);
  const svg = writeFlameSvg(b.build());
  assert.match(svg, /data-name="big"/);
  assert.doesNotMatch(svg, /data-name="tiny"/, '1/100001 of 1180 px is under 0.1 px');
  const empty = writeFlameSvg(new ProfileBuilder('synthetic').build());
  const path = join(outDir, 'empty.svg');
  writeFileSync(path, empty);
  assertWellFormedXml(path);
  assert.doesNotMatch(empty, /class="f"/);
});
