/**
 * The server's pages in real Chromium: the link the vmprof client prints
 * (`<host>/#/<runtime id>`) lands in the viewer with that profile loaded from
 * the stored model, a hostile argv is shown as text, and delete works from the
 * list. Needs the built viewer (web/dist; `npm test` builds it first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { webDistDir } from '../../src/assets/viewer.js';
import { fixture, testOutput } from '../helpers.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const work = mkdtempSync(join(tmpdir(), 'pyrometer-browser-'));
let store: SqliteStore;
let app: FastifyInstance;
let base: string;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(join(webDistDir(), 'index.html')), 'the viewer must be built (npm run build:web)');
  store = SqliteStore.open(join(work, 'db.sqlite'));
  app = await buildApp({ store, spoolDir: join(work, 'spool'), viewerDir: webDistDir() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The lines of wordcount.py its traces name (3-5), as the vmprof client appends them before uploading. */
const WORDCOUNT_LINES: [number, number, string][] = [
  [3, 0, 'for line in sys.stdin:'],
  [4, 4, 'words = line.lower().split()'],
  [5, 4, 'counts.update(words)'],
];

/** A SOURCE_CODE record (jitlog/objects.py encode_source_code_lines): file, then (line, indent, text) per line. */
function sourceCodeRecord(file: string, lines: [number, number, string][]): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return Buffer.concat([n, b]);
  };
  const count = Buffer.alloc(2);
  count.writeUInt16LE(lines.length);
  const parts = [Buffer.from([0x22]), str(file), count];
  for (const [line, indent, text] of lines) {
    const head = Buffer.alloc(3);
    head.writeUInt16LE(line);
    head.writeUInt8(indent, 2);
    parts.push(head, str(text));
  }
  return Buffer.concat(parts);
}

async function vmprofUpload(argv: string, file: string, jitlog?: string): Promise<{ rid: string; jid: string | null }> {
  const created = await (
    await fetch(`${base}/api/runtime/new`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ argv, VM: 'PyPy' }),
    })
  ).json();
  const res = await fetch(`${base}/api/runtime/upload/cpu/${created.runtime_id}/add`, {
    method: 'POST',
    headers: { 'Content-Disposition': `attachment; filename=${file}` },
    body: readFileSync(file),
  });
  assert.equal(res.status, 200);
  let jid: string | null = null;
  if (jitlog) {
    // vmshare/service.py post_file(compress=True): the jitlog gzipped into a *.zip temp file, posted raw.
    const jit = await fetch(`${base}/api/runtime/upload/jit/${created.runtime_id}/add`, {
      method: 'POST',
      headers: { 'Content-Disposition': 'attachment; filename=/tmp/jitq1w2e3.log.zip' },
      body: gzipSync(Buffer.concat([readFileSync(jitlog), sourceCodeRecord('wordcount.py', WORDCOUNT_LINES)])),
    });
    assert.equal(jit.status, 200);
    jid = (await jit.json()).jid;
  }
  await fetch(`${base}/api/runtime/${created.runtime_id}/freeze/`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  return { rid: created.runtime_id, jid };
}

test("the vmprof client's JIT log link (#/<jid>/traces) opens the JIT traces tab on the uploaded jitlog", async () => {
  const { rid, jid } = await vmprofUpload(
    'pypy3 wordcount.py',
    fixture('vmprof/pypy-wordcount.prof'),
    fixture('pypy/pypy-wordcount.prof.jit'),
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    // vmshare/service.py prints get_url('#/%s/traces' % json['jid']).
    await page.goto(`${base}/#/${jid}/traces`);
    await page.waitForURL(/\/viewer\/\?profile=.*&jitlog=/);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('profile'), `/api/v1/profiles/${rid}/model`);
    assert.equal(url.searchParams.get('jitlog'), `/api/v1/attachments/${jid}/raw`);
    await page.locator('.tab.active[data-view="traces"]').waitFor({ timeout: 15_000 });
    // The same numbers as `show --traces` of the pair on disk: the samples' JIT addresses met the uploaded traces.
    const first = page.locator('.traces-list .trace-row[data-trace]').first();
    assert.match((await first.innerText()).replace(/\s+/g, ' '), /^55\.7% 39 55 loop 10 /);
    assert.equal(await page.locator('.traces-list .trace-row[data-trace]').count(), 10);
    // The server has no source files: the lines the client appended to the jitlog stand in for them.
    assert.match(await page.locator('.mp-row', { hasText: 'wordcount.py:4' }).first().innerText(), /words = line\.lower\(\)\.split\(\)/);
    mkdirSync(join(testOutput, 'screenshots'), { recursive: true });
    await page.screenshot({ path: join(testOutput, 'screenshots', 'server-traces-link.png') });
    await page.locator('.mp-row button[data-line="5"]').first().click();
    const marked = page.locator('.src-row.at-line');
    await marked.waitFor();
    assert.equal(await marked.getAttribute('data-line'), '5');
    assert.match(await marked.innerText(), /counts\.update\(words\)/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test("the vmprof client's printed link opens the profile in the viewer", async () => {
  const { rid } = await vmprofUpload('pypy3 wordcount.py', fixture('vmprof/pypy-wordcount.prof'));
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${base}/#/${rid}`);
    await page.waitForURL(/\/viewer\/\?profile=/);
    await page.locator('footer.status', { hasText: 'pypy' }).waitFor({ timeout: 15_000 });
    assert.match(await page.locator('footer.status').innerText(), /70 samples/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the list shows a hostile argv as text, and deletes from the page', async () => {
  const hostile = '<img src=x onerror="window.pwned=1">';
  const { rid } = await vmprofUpload(hostile, fixture('vmprof/pypy-primes.prof'));
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/?q=${encodeURIComponent('onerror')}`);
    const row = page.locator(`tr[data-id="${rid}"]`);
    assert.equal(await row.locator('td.name a').innerText(), hostile);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    page.once('dialog', (d) => void d.accept());
    await row.locator('button.delete').click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await fetch(`${base}/api/v1/profiles/${rid}`)).status, 404);
  } finally {
    await page.close();
  }
});

test('a private server: the browser signs in with a token once, then the viewer loads the model with its cookie', async () => {
  const { generateToken, hashToken } = await import('../../src/server/auth.js');
  const secret = generateToken();
  await store.createToken('browser', hashToken(secret));
  const privateApp = await buildApp({ store, spoolDir: join(work, 'spool-private'), viewerDir: webDistDir(), privateView: true });
  await privateApp.listen({ host: '127.0.0.1', port: 0 });
  const privateBase = `http://127.0.0.1:${(privateApp.server.address() as { port: number }).port}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const { rid } = await vmprofUpload('private run', fixture('vmprof/pypy-primes.prof'));
    assert.equal((await fetch(`${privateBase}/api/v1/profiles/${rid}/model`)).status, 401);
    await page.goto(`${privateBase}/`);
    await page.locator('input[name="token"]').fill(secret);
    await page.locator('form button[type="submit"]').click();
    await page.locator(`tr[data-id="${rid}"]`).waitFor();
    await page.goto(`${privateBase}/#/${rid}`);
    await page.waitForURL(/\/viewer\/\?profile=/);
    await page.locator('footer.status', { hasText: 'pypy' }).waitFor({ timeout: 15_000 });
  } finally {
    await context.close();
    await privateApp.close();
  }
});
