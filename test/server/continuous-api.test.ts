/**
 * The continuous-profiling HTTP API on a real app (SQLite stores): our chunks,
 * Pyroscope's /ingest with the bodies its agents send (folded and lines text,
 * raw pprof, pyroscope-go's multipart form), and the query API reading them back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { SqliteSeriesStore } from '../../src/server/series/sqlite.js';
import { generateToken, hashToken } from '../../src/server/auth.js';
import { chunkBody, encodeChunk, type StreamChunk } from '../../src/formats/stream-chunk.js';
import { collapsedStacks } from '../../src/formats/collapsed.js';
import { readPprof } from '../../src/formats/pprof/index.js';
import { deserializeProfile } from '../../src/model/serialize.js';
import { CATEGORIES, FUNCTION_KINDS, totalSamples } from '../../src/model/profile.js';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fixtureBytes } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-continuous-api-'));
after(() => rmSync(work, { recursive: true, force: true }));

const NOW = Date.now();
const T0 = Math.floor((NOW - 30 * 60_000) / 60_000) * 60_000; // half an hour ago, on a minute

let app: FastifyInstance;
let base: string;
let token: string;

/** One request over a real socket (the server's guards read the socket), answered like fastify's inject. */
async function request(options: { method: string; url: string; headers?: Record<string, string>; payload?: string | Buffer }) {
  const response = await fetch(`${base}${options.url}`, { method: options.method, headers: options.headers, body: options.payload });
  const rawPayload = Buffer.from(await response.arrayBuffer());
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers),
    rawPayload,
    body: rawPayload.toString('utf8'),
    json: () => JSON.parse(rawPayload.toString('utf8')),
  };
}
before(async () => {
  const store = SqliteStore.open(join(work, 'p.db'));
  token = generateToken();
  await store.createToken('test', hashToken(token));
  app = await buildApp({
    store,
    spoolDir: join(work, 'spool'),
    viewerDir: null,
    requireToken: true,
    parseInWorkers: false,
    seriesStore: new SqliteSeriesStore(join(work, 'p.db')),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  await app.close();
});

const auth = () => ({ authorization: `Bearer ${token}` });

function chunk(over: Partial<StreamChunk> & { stacks: Record<string, number> }): StreamChunk {
  const { stacks, ...rest } = over;
  return {
    service: 'web',
    labels: { version: '1.2' },
    from: T0,
    until: T0 + 10_000,
    unit: 'samples',
    kind: 'cpu',
    sender: 'abc',
    seq: 1,
    ...chunkBody(Object.entries(stacks).map(([stack, weight]) => ({ stack, weight }))),
    ...rest,
  };
}

async function json(url: string) {
  const r = await request({ method: 'GET', url, headers: auth() });
  assert.equal(r.statusCode, 200, r.body);
  return r.json();
}

function multipart(parts: { field: string; file: string; bytes: Uint8Array }[]): { body: Buffer; contentType: string } {
  const boundary = 'a1b2c3d4e5f6';
  const pieces: Buffer[] = [];
  for (const p of parts) {
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.file}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    pieces.push(Buffer.from(p.bytes), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('our chunks', () => {
  test('a chunk is stored once; a resend is acknowledged without adding', async () => {
    const body = Buffer.from(encodeChunk(chunk({ stacks: { 'main (a.py:1);work (a.py:4)': 7 } })));
    const post = () =>
      request({
        method: 'POST',
        url: '/api/v1/stream',
        headers: { ...auth(), 'content-type': 'application/vnd.pyrometer.chunk' },
        payload: body,
      });
    const first = await post();
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { status: 'ok', stored: true, samples: 7, stacks: 1 });
    assert.equal((await post()).json().stored, false);
    const f = await json(`/api/v1/continuous/functions?service=web&from=${T0}&to=${T0 + 60_000}`);
    assert.equal(f.total, 7);
    assert.deepEqual(f.functions[0], { func: 'work (a.py)', self: 7, total: 7 });
  });

  test('without a token: 401; bad bytes: one-line 400', async () => {
    const r = await request({
      method: 'POST',
      url: '/api/v1/stream',
      payload: Buffer.from(encodeChunk(chunk({ seq: 2, stacks: { a: 1 } }))),
    });
    assert.equal(r.statusCode, 401);
    const bad = await request({
      method: 'POST',
      url: '/api/v1/stream',
      headers: auth(),
      payload: Buffer.from('{"pyrometerChunk": 1, "service": "x y"}'),
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /^stream-chunk: .*must be/);
    assert.doesNotMatch(bad.json().error, /\n/);
    const notChunk = await request({ method: 'POST', url: '/api/v1/stream', headers: auth(), payload: Buffer.from([0x1f, 0x8b, 1, 2, 3]) });
    assert.equal(notChunk.statusCode, 400);
  });

  test('a gzip bomb as a chunk is refused at the inflate limit (413), and the next chunk is stored', async () => {
    // 64 MiB of zeros gzip to about 64 KiB: under the body limit, but inflating it whole (as the
    // chunk decoder once did, with no bound) would take 64 MiB, or gigabytes for a bigger bomb.
    const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    assert.ok(bomb.length < 200_000, `the bomb is ${bomb.length} bytes`);
    const r = await request({
      method: 'POST',
      url: '/api/v1/stream',
      headers: { ...auth(), 'content-type': 'application/vnd.pyrometer.chunk' },
      payload: bomb,
    });
    assert.equal(r.statusCode, 413, r.body);
    assert.match(r.json().error, /inflates to more than \d+ bytes/);
    const next = await request({
      method: 'POST',
      url: '/api/v1/stream',
      headers: { ...auth(), 'content-type': 'application/vnd.pyrometer.chunk' },
      payload: Buffer.from(encodeChunk(chunk({ seq: 40, stacks: { 'main (a.py:1)': 2 } }))),
    });
    assert.equal(next.statusCode, 200, next.body);
    assert.equal(next.json().stored, true);
  });

  test("frame categories of a chunk (PyPy's JIT, GC, native) reach the profile the continuous page opens", async () => {
    const stacks = {
      'main (app.py:1);work (app.py:6)_[j]': 7,
      'main (app.py:1);work (app.py:6)': 3,
      'main (app.py:1);gc_collect_step_[gc]': 2,
      'main (app.py:1);memcpy (libc.so.6)_[native]': 4,
    };
    const posted = await request({
      method: 'POST',
      url: '/api/v1/stream',
      headers: { ...auth(), 'content-type': 'application/vnd.pyrometer.chunk' },
      payload: Buffer.from(encodeChunk(chunk({ service: 'pypyweb', sender: 'cat', stacks }))),
    });
    assert.equal(posted.statusCode, 200, posted.body);
    const r = await request({
      method: 'GET',
      url: `/api/v1/continuous/profile?service=pypyweb&from=${T0}&to=${T0 + 60_000}`,
      headers: auth(),
    });
    assert.equal(r.statusCode, 200);
    const profile = deserializeProfile(new Uint8Array(r.rawPayload));
    const leaves: Record<string, number> = {};
    for (const t of profile.threads) {
      for (let i = 0; i < t.samples.length; i++) {
        const frame = profile.stacks.frame[t.samples.stack[i]];
        const func = profile.frames.func[frame];
        const key = `${profile.strings[profile.funcs.name[func]]}/${FUNCTION_KINDS[profile.funcs.kind[func]]}/${CATEGORIES[profile.frames.category[frame]]}`;
        leaves[key] = (leaves[key] ?? 0) + t.samples.weight[i];
      }
    }
    assert.deepEqual(leaves, { 'work/python/jit': 7, 'work/python/python': 3, 'gc_collect_step/gc/gc': 2, 'memcpy/native/native': 4 });
  });

  test("a chunk's markers (PyPy's GC/JIT phases) reach the profile of a range that overlaps them, timed from its start", async () => {
    const markers = [
      { name: 'gc-minor', start: T0 + 1_000, end: T0 + 1_004, category: 'gc' as const, depth: 0 },
      { name: 'gc-minor-walkroots', start: T0 + 1_001, end: T0 + 1_002, category: 'gc' as const, depth: 1 },
      { name: 'jit-tracing', start: T0 + 5_000, end: T0 + 5_500, category: 'jit' as const, depth: 0 },
      { name: 'gc-collect-step', start: T0 + 9_000, end: T0 + 9_100, category: 'gc' as const, depth: 0 },
    ];
    const posted = await request({
      method: 'POST',
      url: '/api/v1/stream',
      headers: { ...auth(), 'content-type': 'application/vnd.pyrometer.chunk' },
      payload: Buffer.from(encodeChunk(chunk({ service: 'pypyphases', sender: 'phases', stacks: { 'main (app.py:1)': 5 }, markers }))),
    });
    assert.equal(posted.statusCode, 200, posted.body);
    const profileOf = async (from: number, to: number) => {
      const r = await request({
        method: 'GET',
        url: `/api/v1/continuous/profile?service=pypyphases&from=${from}&to=${to}`,
        headers: auth(),
      });
      assert.equal(r.statusCode, 200, r.body);
      const profile = deserializeProfile(new Uint8Array(r.rawPayload));
      return profile.threads.flatMap((t) =>
        Array.from({ length: t.markers.length }, (_, i) => ({
          name: profile.strings[t.markers.name[i]],
          category: profile.strings[t.markers.category[i]],
          start: t.markers.start[i] + profile.meta.startTime,
          end: t.markers.end[i] + profile.meta.startTime,
          depth: t.markers.depth[i],
        })),
      );
    };
    assert.deepEqual(await profileOf(T0, T0 + 60_000), markers);
    // The samples' range widens to whole 10 s buckets; the markers keep to the range asked for.
    assert.deepEqual(await profileOf(T0 + 4_000, T0 + 6_000), [markers[2]]);
  });
});

describe('Pyroscope /ingest', () => {
  const from = Math.floor(T0 / 1000) + 120; // Unix seconds, as Pyroscope's agents send
  const range = `from=${(from - 10) * 1000}&to=${(from + 20) * 1000}`;

  test('folded text (the default format) with labels in the name', async () => {
    const r = await request({
      method: 'POST',
      url: `/ingest?name=${encodeURIComponent('shop.cpu{env=prod,region=eu}')}&from=${from}&until=${from + 10}&sampleRate=100&spyName=pyspy&units=samples&aggregationType=sum`,
      headers: { ...auth(), 'content-type': 'text/plain' },
      payload: 'main;checkout;price 100\nmain;checkout;tax 200\nmain;idle 50\n',
    });
    assert.equal(r.statusCode, 200, r.body);
    const f = await json(`/api/v1/continuous/functions?service=shop&label=env=prod&${range}`);
    assert.equal(f.total, 350);
    assert.deepEqual(
      f.functions.map((x: { func: string; self: number }) => [x.func, x.self]),
      [
        ['tax', 200],
        ['price', 100],
        ['idle', 50],
        ['main', 0],
        ['checkout', 0],
      ],
    );
    const services = await json('/api/v1/continuous/services');
    const shop = services.services.find((s: { service: string }) => s.service === 'shop');
    assert.deepEqual(shop.labels, { env: ['prod'], region: ['eu'] });
  });

  test('lines text: one sample per line', async () => {
    const r = await request({
      method: 'POST',
      url: `/ingest?name=lines.cpu&from=${from}&until=${from + 10}&format=lines`,
      headers: auth(),
      payload: 'a;b\na;b\na;c\n',
    });
    assert.equal(r.statusCode, 200, r.body);
    const f = await json(`/api/v1/continuous/functions?service=lines&${range}`);
    assert.deepEqual(
      f.functions.map((x: { func: string; self: number }) => [x.func, x.self]),
      [
        ['b', 2],
        ['c', 1],
        ['a', 0],
      ],
    );
  });

  const pprofBytes = fixtureBytes('pprof/simple.pb.gz');
  const expected = collapsedStacks(readPprof(new Uint8Array(gunzipSync(pprofBytes)))).reduce((n, s) => n + s.weight, 0);

  test('pprof as the raw body (format=pprof, gzip as Go writes it)', async () => {
    const r = await request({
      method: 'POST',
      url: `/ingest?name=gosvc{}&from=${from}&until=${from + 10}&format=pprof`,
      headers: { ...auth(), 'content-type': 'binary/octet-stream' },
      payload: Buffer.from(pprofBytes),
    });
    assert.equal(r.statusCode, 200, r.body);
    const f = await json(`/api/v1/continuous/functions?service=gosvc&${range}`);
    assert.equal(f.total, expected);
  });

  test('pprof in a multipart form as pyroscope-go uploads it (profile + prev_profile, no format)', async () => {
    const { body, contentType } = multipart([
      { field: 'profile', file: 'profile.pprof', bytes: pprofBytes },
      { field: 'prev_profile', file: 'profile.pprof', bytes: pprofBytes },
      { field: 'sample_type_config', file: 'sample_type_config.json', bytes: new TextEncoder().encode('{"cpu":{"units":"samples"}}') },
    ]);
    const r = await request({
      method: 'POST',
      url: `/ingest?name=${encodeURIComponent('gomp.cpu{pod=p1}')}&from=${from}&until=${from + 10}&spyName=gospy&sampleRate=100`,
      headers: { ...auth(), 'content-type': contentType },
      payload: body,
    });
    assert.equal(r.statusCode, 200, r.body);
    const f = await json(`/api/v1/continuous/functions?service=gomp&label=pod=p1&${range}`);
    assert.equal(f.total, expected);
  });

  test('formats we do not read, bad names and bad bodies are clear 4xx errors', async () => {
    const trie = await request({
      method: 'POST',
      url: `/ingest?name=x.cpu&from=${from}&until=${from + 10}`,
      headers: { ...auth(), 'content-type': 'binary/octet-stream+trie' },
      payload: 'xx',
    });
    assert.equal(trie.statusCode, 415);
    assert.match(trie.json().error, /folded, lines or pprof/);
    const badName = await request({ method: 'POST', url: '/ingest?name=%7Bk%3Dv%7D', headers: auth(), payload: 'a 1' });
    assert.equal(badName.statusCode, 400);
    const badFolded = await request({ method: 'POST', url: `/ingest?name=x.cpu&from=${from}`, headers: auth(), payload: 'a;b twelve\n' });
    assert.equal(badFolded.statusCode, 400);
    assert.match(badFolded.json().error, /line 1/);
    const badPprof = await request({
      method: 'POST',
      url: `/ingest?name=x&format=pprof&from=${from}`,
      headers: auth(),
      payload: Buffer.from([0xff, 0xff, 0xff]),
    });
    assert.equal(badPprof.statusCode, 400);
    const noProfilePart = multipart([{ field: 'other', file: 'x', bytes: new Uint8Array([1]) }]);
    const np = await request({
      method: 'POST',
      url: `/ingest?name=x&from=${from}`,
      headers: { ...auth(), 'content-type': noProfilePart.contentType },
      payload: noProfilePart.body,
    });
    assert.equal(np.statusCode, 400);
  });
});

describe('queries', () => {
  before(async () => {
    // Phase A (a hot) for a minute, then phase B (b hot), one chunk per 10 s; version 1.3 runs b more.
    for (let i = 0; i < 12; i++) {
      const at = T0 + 120_000 + i * 10_000;
      const phase =
        i < 6
          ? { 'main (s.py:1);a (s.py:10)': 9, 'main (s.py:1);b (s.py:20)': 1 }
          : { 'main (s.py:1);a (s.py:10)': 1, 'main (s.py:1);b (s.py:20)': 9 };
      for (const c of [
        chunk({ service: 'svc', seq: i, sender: 'q1', from: at, until: at + 10_000, stacks: phase }),
        chunk({
          service: 'svc',
          seq: i,
          sender: 'q2',
          labels: { version: '1.3' },
          from: at,
          until: at + 10_000,
          stacks: { 'main (s.py:1);b (s.py:20)': 5 },
        }),
      ]) {
        const r = await request({ method: 'POST', url: '/api/v1/stream', headers: auth(), payload: Buffer.from(encodeChunk(c)) });
        assert.equal(r.statusCode, 200, r.body);
      }
    }
  });
  const A = `from=${T0 + 120_000}&to=${T0 + 180_000}`;
  const B = `from=${T0 + 180_000}&to=${T0 + 240_000}`;

  test('the profile of a range opens in every reader: a serialized model', async () => {
    const r = await request({
      method: 'GET',
      url: `/api/v1/continuous/profile?service=svc&label=version=1.2&${A}`,
      headers: { ...auth(), 'accept-encoding': 'gzip' },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.pyrometer.model');
    assert.equal(r.headers['content-encoding'], 'gzip'); // fetch has inflated it
    const profile = deserializeProfile(new Uint8Array(r.rawPayload));
    let weight = 0;
    for (const t of profile.threads) for (const w of t.samples.weight) weight += w;
    assert.equal(weight, 60);
    assert.ok(totalSamples(profile) > 0);
    assert.equal(profile.meta.startTime, T0 + 120_000);
  });

  test('timeline, diff of two ranges, diff of two label values, top functions', async () => {
    const t = await json(`/api/v1/continuous/timeline?service=svc&from=${T0 + 120_000}&to=${T0 + 240_000}`);
    assert.equal(t.resolutionMs, 10_000);
    assert.equal(t.points.length, 12);
    assert.deepEqual(t.points[0], [T0 + 120_000, 15]);

    const d = await json(`/api/v1/continuous/diff?service=svc&label=version=1.2&a.${A.replace('&', '&a.')}&b.${B.replace('&', '&b.')}`);
    const byFunc = Object.fromEntries(d.functions.map((f: { name: string; delta: number }) => [f.name, f.delta]));
    assert.ok(Math.abs(byFunc.a - -80) < 1e-9, JSON.stringify(byFunc)); // a: 90% of phase A, 10% of phase B
    assert.ok(Math.abs(byFunc.b - 80) < 1e-9);
    assert.equal(d.unit, '%');
    assert.equal(d.before.total, 60);
    assert.deepEqual(
      d.stacks.find((s: { stack: string }) => s.stack === 'main (s.py:1);a (s.py:10)'),
      { stack: 'main (s.py:1);a (s.py:10)', before: 54, after: 6 },
    );

    const v = await json(
      `/api/v1/continuous/diff?service=svc&from=${T0 + 120_000}&to=${T0 + 240_000}&a.label=version=1.2&b.label=version=1.3`,
    );
    const change = Object.fromEntries(v.functions.map((f: { name: string; delta: number }) => [f.name, f.delta]));
    assert.ok(Math.abs(change.b - 50) < 1e-9 && Math.abs(change.a + 50) < 1e-9, JSON.stringify(change));

    const top = await json(`/api/v1/continuous/top?service=svc&label=version=1.2&from=${T0 + 120_000}&to=${T0 + 240_000}&n=2`);
    assert.deepEqual(top.series.map((s: { func: string }) => s.func).sort(), ['a (s.py)', 'b (s.py)']);
    const a = top.series.find((s: { func: string }) => s.func === 'a (s.py)');
    assert.deepEqual(a.values, [9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1]);
  });

  test('bad selections are 400s that say what to send', async () => {
    for (const [url, pattern] of [
      ['/api/v1/continuous/timeline', /service is needed/],
      ['/api/v1/continuous/timeline?service=svc&from=yesterday', /not a time/],
      ['/api/v1/continuous/timeline?service=svc&from=now&to=now-1h', /after/],
      ['/api/v1/continuous/timeline?service=svc&label=novalue', /key=value/],
    ] as const) {
      const r = await request({ method: 'GET', url, headers: auth() });
      assert.equal(r.statusCode, 400, url);
      assert.match(r.json().error, pattern);
    }
  });
});
