/**
 * Comparing two stored profiles on the server: the JSON route, the page link
 * (the list's "Compare selected" form), the viewer redirect and the table shown
 * when the viewer is not built; across formats and interpreters (cProfile on
 * CPython against cProfile on PyPy, and against a VMProf recording).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { fixture } from '../helpers.js';
import { deserializeProfile } from '../../src/model/serialize.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-compare-'));
const apps: FastifyInstance[] = [];
let base = '';
let viewerBase = '';
const ids: Record<string, string> = {};

async function start(viewerDir: string | null, db: string): Promise<string> {
  const app = await buildApp({ store: SqliteStore.open(join(work, db)), spoolDir: join(work, `spool-${db}`), viewerDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

async function upload(server: string, name: string, path: string): Promise<string> {
  const res = await fetch(`${server}/api/v1/profiles?name=${name}`, {
    method: 'POST',
    headers: { 'Content-Disposition': `attachment; filename=${path.split('/').pop()}` },
    body: readFileSync(path),
  });
  const body = (await res.json()) as { id: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.id;
}

before(async () => {
  base = await start(null, 'plain.db');
  ids.cpython = await upload(base, 'cpython', fixture('cprofile/cprofile-python3-primes.pstats'));
  ids.pypy = await upload(base, 'pypy', fixture('cprofile/cprofile-pypy3-primes.pstats'));
  ids.vmprof = await upload(base, 'vmprof', fixture('vmprof/pypy-primes.prof'));
  viewerBase = await start(work, 'viewer.db'); // any directory stands for a built viewer here
  ids.v1 = await upload(viewerBase, 'one', fixture('cprofile/cprofile-python3-primes.pstats'));
  ids.v2 = await upload(viewerBase, 'two', fixture('cprofile/cprofile-pypy3-primes.pstats'));
});

after(async () => {
  for (const app of apps) await app.close();
  rmSync(work, { recursive: true, force: true });
});

interface CompareJson {
  normalization: string;
  unit: string;
  functions: { name: string; file: string; beforeSelf: number; afterSelf: number; ratio: number | null }[];
}

test('JSON: pstats from CPython against pstats from PyPy, matched by name and file name', async () => {
  const res = await fetch(`${base}/api/v1/compare?before=${ids.cpython}&after=${ids.pypy}&normalize=time`);
  const body = (await res.json()) as CompareJson;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.unit, 'ms');
  const primes = body.functions.find((f) => f.name === 'primes');
  assert.ok(primes && primes.beforeSelf > 0 && primes.afterSelf > 0, 'primes() found in both runs');
  assert.equal(primes.file, 'primes.py');
  // Sorted by the absolute change of self time.
  const deltas = body.functions.map((f) => Math.abs(f.afterSelf - f.beforeSelf));
  assert.deepEqual(
    deltas,
    [...deltas].sort((a, b) => b - a),
  );
});

test('JSON: pstats against VMProf by share of total; time works too (samples × interval)', async () => {
  const share = (await (await fetch(`${base}/api/v1/compare?before=${ids.cpython}&after=${ids.vmprof}&top=5`)).json()) as CompareJson;
  assert.equal(share.unit, '%');
  assert.equal(share.functions.length, 5);
  assert.ok(
    share.functions.some((f) => f.name === 'primes' && f.beforeSelf > 0 && f.afterSelf > 0),
    JSON.stringify(share.functions),
  );
  const time = await fetch(`${base}/api/v1/compare?before=${ids.cpython}&after=${ids.vmprof}&normalize=time`);
  assert.equal(time.status, 200);
});

test('bad requests get a clear 4xx', async () => {
  const cases: [string, number, RegExp][] = [
    [`/api/v1/compare?before=${ids.cpython}`, 400, /two profiles/],
    [`/api/v1/compare?before=${ids.cpython}&after=nope-1`, 404, /no profile nope-1/],
    [`/api/v1/compare?before=${ids.cpython}&after=${ids.pypy}&normalize=median`, 400, /share.*time/],
    [`/api/v1/compare?before=${ids.cpython}&after=../../etc`, 400, /invalid id/],
  ];
  for (const [url, status, message] of cases) {
    const res = await fetch(base + url);
    assert.equal(res.status, status, url);
    assert.match(((await res.json()) as { error: string }).error, message);
  }
});

const APPEND = "<method 'append' of 'list' objects>";

interface TransformedJson extends CompareJson {
  transforms: { code: string; label: string }[];
  functions: (CompareJson['functions'][number] & { delta: number })[];
}

async function compareJson(query: string): Promise<TransformedJson> {
  const res = await fetch(`${base}/api/v1/compare?before=${ids.pypy}&after=${ids.cpython}&normalize=time${query}`);
  const body = (await res.json()) as TransformedJson;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

test('JSON with tf: merging list.append gives its time to primes on both sides (PyPy before, CPython after)', async () => {
  const plain = await compareJson('');
  const merged = await compareJson(`&tf=${encodeURIComponent(`merge:${APPEND}`)}`);
  assert.deepEqual(plain.transforms, []);
  assert.equal(merged.transforms.length, 1);
  assert.match(merged.transforms[0].code, /^merge:\d+$/);
  assert.equal(merged.transforms[0].label, `Merge: ${APPEND}`);
  const of = (out: TransformedJson, name: string) => out.functions.find((f) => f.name === name);
  assert.equal(of(merged, APPEND), undefined);
  // append is called by primes only: primes' self becomes the sum, before and after (matched across interpreters)
  for (const side of ['beforeSelf', 'afterSelf'] as const) {
    const expected = of(plain, 'primes')![side] + of(plain, APPEND)![side];
    assert.ok(expected > of(plain, 'primes')![side], `append has ${side} time to give`);
    assert.ok(Math.abs(of(merged, 'primes')![side] - expected) < 1e-6, `${side}: ${of(merged, 'primes')![side]} vs ${expected}`);
  }
  // by number (the viewer's link) and as repeated parameters: the same answer
  assert.deepEqual((await compareJson(`&tf=${merged.transforms[0].code}`)).functions, merged.functions);
});

test('JSON with tf: dropping primes puts benchmark first, its own time unchanged', async () => {
  const plain = await compareJson('');
  assert.equal(plain.functions[0].name, 'primes');
  const dropped = await compareJson('&tf=drop:primes');
  assert.equal(dropped.functions[0].name, 'benchmark');
  assert.equal(
    dropped.functions.find((f) => f.name === 'primes'),
    undefined,
  );
  const benchmark = plain.functions.find((f) => f.name === 'benchmark')!;
  assert.equal(dropped.functions[0].beforeSelf, benchmark.beforeSelf);
  assert.equal(dropped.functions[0].afterSelf, benchmark.afterSelf);
  // two tf parameters are the two transforms in turn
  const both = await compareJson('&tf=drop:primes&tf=merge:benchmark');
  assert.deepEqual(
    both.transforms.map((t) => t.label),
    ['Drop: primes', 'Merge: benchmark'],
  );
  assert.equal(
    both.functions.find((f) => f.name === 'benchmark'),
    undefined,
  );
});

test('tf: a bad transform is a 400 saying why; the viewer link and the table carry the transforms', async () => {
  for (const [tf, message] of [
    ['focus:nope', /tf: transform "focus:nope": no function is named "nope"/],
    ['spin:1', /unknown; one of focus/],
    ['mcn:a.b', /path of function numbers/],
  ]) {
    const res = await fetch(`${base}/api/v1/compare?before=${ids.pypy}&after=${ids.cpython}&tf=${encodeURIComponent(tf)}`);
    assert.equal(res.status, 400, tf);
    assert.match(((await res.json()) as { error: string }).error, message);
  }
  const table = await (await fetch(`${base}/compare/${ids.pypy}/${ids.cpython}?tf=drop:primes`)).text();
  assert.match(table, /Both profiles transformed: Drop: primes\./);
  assert.doesNotMatch(table, /<td class="name">primes /);
  const page = await fetch(`${viewerBase}/compare/${ids.v1}/${ids.v2}?tf=drop:primes`, { redirect: 'manual' });
  assert.equal(page.status, 302);
  const hash = new URLSearchParams(new URL(page.headers.get('location')!, viewerBase).hash.slice(1));
  // the viewer gets the number of primes in "after" (v2: the PyPy pstats, as stored)
  const stored = await (await fetch(`${viewerBase}/api/v1/profiles/${ids.v2}/model`)).arrayBuffer();
  const model = deserializeProfile(new Uint8Array(stored)); // fetch undoes the content-encoding
  const primes = model.funcs.name.findIndex((n) => model.strings[n] === 'primes');
  assert.equal(hash.get('tf'), `drop:${primes}`);
  const bad = await fetch(`${viewerBase}/compare/${ids.v1}/${ids.v2}?tf=drop:nope`, { redirect: 'manual' });
  assert.equal(bad.status, 400);
});

test('the list page links compare: tick two, the older is "before", and the viewer opens in Compare', async () => {
  const list = await (await fetch(`${viewerBase}/`)).text();
  assert.match(list, /<form id="compare" method="get" action="\/compare">/);
  assert.match(list, new RegExp(`<input type="checkbox" name="id" value="${ids.v2}" form="compare"`));
  const form = await fetch(`${viewerBase}/compare?id=${ids.v2}&id=${ids.v1}`, { redirect: 'manual' });
  assert.equal(form.status, 302);
  assert.equal(form.headers.get('location'), `/compare/${ids.v1}/${ids.v2}`);
  const page = await fetch(`${viewerBase}/compare/${ids.v1}/${ids.v2}`, { redirect: 'manual' });
  assert.equal(page.status, 302);
  const target = new URL(page.headers.get('location')!, viewerBase);
  assert.equal(target.pathname, '/viewer/');
  assert.deepEqual(target.searchParams.getAll('profile'), [`/api/v1/profiles/${ids.v1}/model`, `/api/v1/profiles/${ids.v2}/model`]);
  assert.deepEqual(target.searchParams.getAll('name'), ['one', 'two']);
  assert.equal(target.hash, '#v=compare&p=1&cmp=0');
  const one = await fetch(`${viewerBase}/compare?id=${ids.v1}`);
  assert.equal(one.status, 400);
  assert.match(await one.text(), /exactly two/);
});

test('without a built viewer the compare page is a table, names escaped', async () => {
  const res = await fetch(`${base}/compare/${ids.cpython}/${ids.pypy}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<h1>Compare<\/h1>/);
  assert.match(html, /primes <span class="muted">primes\.py<\/span>/);
  assert.match(html, /&lt;built-in method/);
  const missing = await fetch(`${base}/compare/${ids.cpython}/zzz-0`);
  assert.equal(missing.status, 404);
});
