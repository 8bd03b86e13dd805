/**
 * The profile server end to end over real HTTP on loopback, against a real
 * SQLite file and a real PostgreSQL cluster: the vmprof client's exact request
 * sequence with real fixtures, our own API, limits, tokens, escaping, refusal
 * of path traversal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { PostgresStore } from '../../src/server/store/postgres.js';
import type { Store } from '../../src/server/store/store.js';
import { generateToken, hashToken } from '../../src/server/auth.js';
import { deserializeProfile } from '../../src/model/serialize.js';
import { totalSamples } from '../../src/model/profile.js';
import { loadProfile } from '../../src/formats/load.js';
import { fixture } from '../helpers.js';
import { startPgCluster, type PgCluster } from './pg-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-api-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Server {
  app: FastifyInstance;
  base: string;
  store: Store;
  spool: string;
}

let serverCount = 0;
async function startServer(
  store: Store,
  options: { maxUploadBytes?: number; requireToken?: boolean; privateView?: boolean; viewerDir?: string | null } = {},
): Promise<Server> {
  const spool = join(work, `spool-${serverCount++}`);
  const app = await buildApp({ store, spoolDir: spool, viewerDir: null, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}`, store, spool };
}

async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
}

/** The vmprof client's requests (vmshare/service.py), header for header. */
async function vmprofClientUpload(base: string, profilePath: string, jitPath: string | null, auth?: string) {
  const headers = (json: boolean): Record<string, string> => ({
    ...(json ? { 'Content-Type': 'application/json' } : {}),
    ...(auth ? { AUTHORIZATION: `Token ${auth}` } : {}),
  });
  const created = await fetch(`${base}/api/runtime/new`, {
    method: 'POST',
    headers: headers(true),
    body: JSON.stringify({ argv: 'vmprof --web app.py <b>', VM: 'PyPy' }),
  });
  assert.equal(created.status, 200);
  const createdBody = await json(created);
  assert.equal(createdBody.status, 'ok');
  const rid = createdBody.runtime_id as string;
  // post_file: Content-Type removed, Content-Disposition with the temp path, the raw file as body.
  const cpu = await fetch(`${base}/api/runtime/upload/cpu/${rid}/add`, {
    method: 'POST',
    headers: { ...headers(false), 'Content-Disposition': `attachment; filename=${profilePath}` },
    body: readFileSync(profilePath),
  });
  const cpuBody = await json(cpu);
  assert.equal(cpu.status, 200, JSON.stringify(cpuBody));
  assert.deepEqual(cpuBody, { status: 'ok' });
  let jid: string | undefined;
  let jitBytes: Buffer | undefined;
  if (jitPath) {
    // compress_file: gzip into a *.zip temp file.
    jitBytes = gzipSync(readFileSync(jitPath));
    const jit = await fetch(`${base}/api/runtime/upload/jit/${rid}/add`, {
      method: 'POST',
      headers: { ...headers(false), 'Content-Disposition': 'attachment; filename=/tmp/tmpk3j4l5.zip' },
      body: jitBytes,
    });
    const jitBody = await json(jit);
    assert.equal(jit.status, 200, JSON.stringify(jitBody));
    assert.equal(jitBody.status, 'ok');
    jid = jitBody.jid;
  }
  // finalize_entry: an empty body, still labelled application/json.
  const frozen = await fetch(`${base}/api/runtime/${rid}/freeze/`, { method: 'POST', headers: headers(true), body: '' });
  assert.equal(frozen.status, 200);
  assert.deepEqual(await json(frozen), { status: 'ok' });
  return { rid, jid, jitBytes };
}

function suite(name: string, openStore: () => Promise<Store>) {
  describe(name, () => {
    let store: Store;
    let server: Server;
    before(async () => {
      store = await openStore();
      server = await startServer(store);
    });
    after(async () => {
      await server?.app.close();
      await store?.close();
    });

    test('replays the vmprof client: new runtime, cpu upload, jit upload, freeze; then lists, opens and downloads it', async () => {
      const prof = fixture('vmprof/pypy-wordcount.prof');
      const { rid, jid, jitBytes } = await vmprofClientUpload(server.base, prof, fixture('pypy/pypy-wordcount.prof.jit'));
      assert.match(rid, /^[0-9a-f-]{36}$/);

      const listing = await json(await fetch(`${server.base}/api/profile/`));
      const entry = listing.results.find((r: any) => r.runtime_id === rid);
      assert.ok(entry, 'listed');
      assert.deepEqual(Object.keys(entry).slice(0, 11), [
        'user',
        'created',
        'vm',
        'name',
        'runtime_id',
        'start_time',
        'stop_time',
        'arch',
        'os',
        'time_in_seconds',
        'jitlog_id',
      ]);
      assert.equal(entry.vm, 'PyPy');
      assert.equal(entry.name, 'vmprof --web app.py <b>');
      assert.equal(entry.jitlog_id, jid);
      assert.equal(typeof listing.count, 'number');

      // The link the client prints, <host>/#/<rid>: the page at / resolves the fragment (in its script) to /profiles/<rid>.
      const index = await fetch(`${server.base}/`);
      assert.equal(index.status, 200);
      assert.match(await index.text(), new RegExp(`href="/profiles/${rid}"`));
      const script = await (await fetch(`${server.base}/assets/pyrometer-server.js`)).text();
      assert.match(script, /'\/profiles\/' \+ m\[1\]/);
      const page = await fetch(`${server.base}/profiles/${rid}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Hottest functions/);
      const traces = await fetch(`${server.base}/jitlogs/${jid}`, { redirect: 'manual' });
      assert.equal(traces.headers.get('location'), `/profiles/${rid}#v=traces`);

      const raw = Buffer.from(await (await fetch(`${server.base}/api/v1/profiles/${rid}/raw`)).arrayBuffer());
      assert.ok(raw.equals(readFileSync(prof)), 'the upload comes back byte for byte');
      const rawPlain = await fetch(`${server.base}/api/v1/profiles/${rid}/raw`, { headers: { 'Accept-Encoding': 'identity' } });
      assert.equal(rawPlain.headers.get('content-encoding'), null);
      assert.ok(Buffer.from(await rawPlain.arrayBuffer()).equals(readFileSync(prof)));

      const detail = await json(await fetch(`${server.base}/api/v1/profiles/${rid}`));
      assert.equal(detail.attachments.length, 1);
      const jitBack = Buffer.from(await (await fetch(detail.attachments[0].rawUrl)).arrayBuffer());
      assert.ok(jitBack.equals(jitBytes!), 'the jitlog comes back as the client sent it');

      const modelRes = await fetch(`${server.base}/api/v1/profiles/${rid}/model`);
      assert.equal(modelRes.headers.get('content-type'), 'application/vnd.pyrometer.model');
      const model = deserializeProfile(new Uint8Array(await modelRes.arrayBuffer()));
      const direct = await loadProfile(prof);
      assert.equal(totalSamples(model), totalSamples(direct));
      assert.equal(model.funcs.length, direct.funcs.length);
      assert.equal(detail.samples, totalSamples(direct));
      assert.equal(detail.interpreter, direct.meta.interpreter);
      const cached = await fetch(`${server.base}/api/v1/profiles/${rid}/model`, {
        headers: { 'If-None-Match': modelRes.headers.get('etag')! },
      });
      assert.equal(cached.status, 304);

      const late = await fetch(`${server.base}/api/runtime/upload/cpu/${rid}/add`, { method: 'POST', body: readFileSync(prof) });
      assert.equal(late.status, 400);
      assert.match((await json(late)).detail, /frozen/);
    });

    test('vmprof 0.4.0-0.4.9 clients posted the profile as a multipart "file" part; that works too', async () => {
      const created = await json(
        await fetch(`${server.base}/api/runtime/new`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"argv":"old client","VM":"CPython"}',
        }),
      );
      const form = new FormData();
      form.append('file', new Blob([readFileSync(fixture('vmprof/example.prof'))]), '/tmp/tmpq1w2e3');
      const res = await fetch(`${server.base}/api/runtime/upload/cpu/${created.runtime_id}/add`, {
        method: 'POST',
        headers: { 'Content-Disposition': 'attachment; filename=/tmp/tmpq1w2e3' },
        body: form,
      });
      assert.equal(res.status, 200, await res.clone().text());
      const raw = Buffer.from(await (await fetch(`${server.base}/api/v1/profiles/${created.runtime_id}/raw`)).arrayBuffer());
      assert.ok(raw.equals(readFileSync(fixture('vmprof/example.prof'))), 'the part, not the multipart body, is the profile');
      const empty = new FormData();
      empty.append('note', 'no file here');
      const again = await json(await fetch(`${server.base}/api/runtime/new`, { method: 'POST', body: '{}' }));
      const none = await fetch(`${server.base}/api/runtime/upload/cpu/${again.runtime_id}/add`, { method: 'POST', body: empty });
      assert.equal(none.status, 400);
      assert.match((await json(none)).error, /no file part/);
    });

    test('a profile that does not parse is refused with a 4xx JSON naming the problem, and nothing is stored', async () => {
      const before = (await store.list({ limit: 1000, offset: 0 })).count;
      const created = await json(
        await fetch(`${server.base}/api/runtime/new`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"argv":"x","VM":"CPython"}',
        }),
      );
      const bad = await fetch(`${server.base}/api/runtime/upload/cpu/${created.runtime_id}/add`, {
        method: 'POST',
        headers: { 'Content-Disposition': 'attachment; filename=/tmp/x.prof' },
        body: Buffer.from('definitely not a profile\n'),
      });
      assert.equal(bad.status, 400);
      const body = await json(bad);
      assert.match(body.error, /x\.prof/);
      assert.equal(body.detail, body.error);
      // A real VMProf header followed by a record the reader cannot make sense of.
      const corrupt = Buffer.concat([
        readFileSync(fixture('vmprof/pypy-primes.prof')).subarray(0, 100),
        Buffer.from([0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      ]);
      const v1 = await fetch(`${server.base}/api/v1/profiles?name=corrupt`, {
        method: 'POST',
        headers: { 'Content-Disposition': 'attachment; filename="c.prof"' },
        body: corrupt,
      });
      assert.equal(v1.status, 400);
      assert.match((await json(v1)).error, /^c\.prof: vmprof: .*at byte \d+/);
      assert.equal((await store.list({ limit: 1000, offset: 0 })).count, before);
      assert.equal((await store.getProfile(created.runtime_id))!.hasProfile, false);
      assert.deepEqual(readdirSync(server.spool), [], 'no spool file left behind');
    });

    test('our own upload takes any readable format, keeps .gz uploads as they came, attaches side files, deletes', async () => {
      for (const name of ['cprofile/cprofile-python3-primes.pstats', 'collapsed/simple.txt', 'vmprof/example_with_lines.prof']) {
        const res = await fetch(`${server.base}/api/v1/profiles?name=${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'Content-Disposition': `attachment; filename="${name.split('/')[1]}"` },
          body: readFileSync(fixture(name)),
        });
        const body = await json(res);
        assert.equal(res.status, 201, JSON.stringify(body));
        assert.ok(body.samples > 0 || body.format === 'pstats', name);
      }
      const gz = gzipSync(readFileSync(fixture('vmprof/pypy-primes.prof')));
      const up = await json(
        await fetch(`${server.base}/api/v1/profiles?name=gz`, {
          method: 'POST',
          headers: { 'Content-Disposition': 'attachment; filename=pypy-primes.prof.gz' },
          body: gz,
        }),
      );
      assert.equal(up.samples, totalSamples(await loadProfile(fixture('vmprof/pypy-primes.prof'))));
      const back = Buffer.from(await (await fetch(up.rawUrl)).arrayBuffer());
      assert.ok(back.equals(gz), 'a gzip upload is stored as it came');
      const side = await fetch(`${server.base}/api/v1/profiles/${up.id}/attachments/pypylog?file=run.pypylog`, {
        method: 'POST',
        body: readFileSync(fixture('pypy/pypy-wordcount.pypylog')),
      });
      assert.equal(side.status, 201);
      const wrongSide = await fetch(`${server.base}/api/v1/profiles/${up.id}/attachments/jitlog`, { method: 'POST', body: 'hello' });
      assert.equal(wrongSide.status, 400);
      assert.match((await json(wrongSide)).error, /jitlog/);
      const del = await fetch(`${server.base}/api/v1/profiles/${up.id}`, { method: 'DELETE' });
      assert.equal(del.status, 200);
      assert.equal((await fetch(up.rawUrl)).status, 404);
      assert.equal((await fetch(`${server.base}/api/v1/profiles/${up.id}`, { method: 'DELETE' })).status, 404);
    });

    test("the legacy POST /api/log/ takes the old client's JSON tree and answers with the quoted id", async () => {
      const tree = [
        'py:<module>:1:app.py',
        '1',
        10,
        {},
        [
          ['py:work:5:app.py', '2', 7, {}, [['py:inner:9:app.py', '3', 4, {}, []]]],
          ['n:memcpy:0:-', '4', 2, {}, []],
        ],
      ];
      const res = await fetch(`${server.base}/api/log/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ VM: 'CPython', argv: 'app.py', version: 2, profiles: tree }),
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /^"[0-9a-f-]{36}"$/);
      const id = JSON.parse(text);
      const model = deserializeProfile(new Uint8Array(await (await fetch(`${server.base}/api/v1/profiles/${id}/model`)).arrayBuffer()));
      let weight = 0;
      for (let i = 0; i < model.threads[0].samples.length; i++) weight += model.threads[0].samples.weight[i];
      assert.equal(weight, 10);
      const bad = await fetch(`${server.base}/api/log/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"VM":"CPython","profiles":[["x"]]}',
      });
      assert.equal(bad.status, 400);
    });

    test('stored strings are shown as text: argv with markup and control characters', async () => {
      const created = await json(
        await fetch(`${server.base}/api/runtime/new`, {
          method: 'POST',
          body: JSON.stringify({ argv: '<script>alert(1)</script>\u0007"\'&', VM: '<img src=x onerror=alert(2)>' }),
        }),
      );
      await fetch(`${server.base}/api/runtime/upload/cpu/${created.runtime_id}/add`, {
        method: 'POST',
        headers: { 'Content-Disposition': 'attachment; filename="<b>.txt"' },
        body: readFileSync(fixture('collapsed/simple.txt')),
      });
      const html = await (await fetch(`${server.base}/?q=${encodeURIComponent('<script>')}`)).text();
      assert.ok(!html.includes('<script>alert'), 'no live script tag');
      assert.ok(!html.includes('<img src=x'), 'no live img tag');
      assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;\\u0007&quot;&#39;&amp;'));
      const page = await fetch(`${server.base}/profiles/${created.runtime_id}`);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.ok(!(await page.text()).includes('<script>alert'));
    });

    test('path traversal in any parameter is refused', async () => {
      for (const path of [
        '/api/v1/profiles/..%2F..%2Fetc%2Fpasswd/raw',
        '/api/v1/profiles/..%2F..%2Fetc%2Fpasswd',
        '/api/runtime/upload/cpu/..%2Fx/add',
        '/api/v1/attachments/%2e%2e%2fx/raw',
        '/profiles/..%2F..%2Fpackage.json',
        '/api/profile/..%5C..%5Cx/',
      ]) {
        const res = await fetch(server.base + path, {
          method: path.includes('/add') ? 'POST' : 'GET',
          body: path.includes('/add') ? 'x' : undefined,
        });
        assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
        assert.ok(!(await res.text()).includes('root:'), path);
      }
    });

    test('concurrent uploads and views lose nothing', async () => {
      const files = [
        'vmprof/pypy-primes.prof',
        'vmprof/example.prof',
        'cprofile/cprofile-python3-wordcount.pstats',
        'collapsed/recursion.txt',
      ];
      const uploads = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const name = files[i % files.length];
          const res = await fetch(`${server.base}/api/v1/profiles?name=conc-${i}`, {
            method: 'POST',
            headers: { 'Content-Disposition': `attachment; filename=${name.split('/')[1]}` },
            body: readFileSync(fixture(name)),
          });
          const body = await json(res);
          assert.equal(res.status, 201, JSON.stringify(body));
          const model = await fetch(body.modelUrl);
          assert.equal(model.status, 200);
          deserializeProfile(new Uint8Array(await model.arrayBuffer()));
          return { id: body.id, name };
        }),
      );
      const listed = await json(await fetch(`${server.base}/api/v1/profiles?q=conc-&limit=100`));
      assert.equal(listed.count, 8);
      for (const u of uploads) {
        const raw = Buffer.from(await (await fetch(`${server.base}/api/v1/profiles/${u.id}/raw`)).arrayBuffer());
        assert.ok(raw.equals(readFileSync(fixture(u.name))), u.name);
      }
    });
  });
}

suite('SQLite', async () => SqliteStore.open(join(work, 'api.db')));
let cluster: PgCluster | undefined;
suite('PostgreSQL', async () => {
  cluster = await startPgCluster();
  return PostgresStore.open(await cluster.createDatabase('api'));
});
after(() => cluster?.stop());

describe('limits', () => {
  let store: Store;
  let server: Server;
  before(async () => {
    store = SqliteStore.open(join(work, 'limits.db'));
    server = await startServer(store, { maxUploadBytes: 256 * 1024 });
  });
  after(async () => {
    await server.app.close();
    await store.close();
  });

  test('a body over the limit is refused with 413, declared or streamed', async () => {
    const big = Buffer.alloc(300 * 1024, 1);
    const declared = await fetch(`${server.base}/api/v1/profiles`, { method: 'POST', body: big });
    assert.equal(declared.status, 413);
    assert.match((await json(declared)).error, /256 KiB/);
    const streamed = await fetch(`${server.base}/api/v1/profiles`, {
      method: 'POST',
      duplex: 'half',
      body: new ReadableStream({
        start(c) {
          c.enqueue(big);
          c.close();
        },
      }),
    } as RequestInit);
    assert.equal(streamed.status, 413);
  });

  test('compressed bodies are bounded after decompression: no zip bombs', async () => {
    const bomb = gzipSync(Buffer.alloc(50 << 20)); // 50 MiB of zeros in ~50 KiB
    assert.ok(bomb.length < 256 * 1024);
    const encoded = await fetch(`${server.base}/api/v1/profiles`, { method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: bomb });
    assert.equal(encoded.status, 413);
    assert.match((await json(encoded)).error, /decompressed/);
    const asFile = await fetch(`${server.base}/api/v1/profiles`, {
      method: 'POST',
      headers: { 'Content-Disposition': 'attachment; filename=bomb.prof.gz' },
      body: bomb,
    });
    assert.equal(asFile.status, 413);
    const corrupt = await fetch(`${server.base}/api/v1/profiles`, {
      method: 'POST',
      headers: { 'Content-Encoding': 'gzip' },
      body: bomb.subarray(0, 100),
    });
    assert.equal(corrupt.status, 400);
    assert.equal((await store.list({ limit: 10, offset: 0 })).count, 0);
    assert.deepEqual(readdirSync(server.spool), []);
  });
});

describe('tokens', () => {
  let store: Store;
  let token: string;
  before(async () => {
    store = SqliteStore.open(join(work, 'tokens.db'));
    token = generateToken();
    await store.createToken('ci', hashToken(token));
  });
  after(async () => {
    await store.close();
  });

  test("uploads need a token when required; the vmprof client's header is accepted; viewing stays public", async () => {
    const server = await startServer(store, { requireToken: true });
    try {
      const none = await fetch(`${server.base}/api/runtime/new`, { method: 'POST', body: '{}' });
      assert.equal(none.status, 401);
      assert.match((await json(none)).detail, /token/);
      const wrong = await fetch(`${server.base}/api/runtime/new`, {
        method: 'POST',
        headers: { AUTHORIZATION: 'Token pyr_nope' },
        body: '{}',
      });
      assert.equal(wrong.status, 401);
      const { rid } = await vmprofClientUpload(server.base, fixture('vmprof/pypy-primes.prof'), null, token);
      assert.equal((await fetch(`${server.base}/api/profile/`)).status, 200);
      assert.equal((await fetch(`${server.base}/api/v1/profiles/${rid}`, { method: 'DELETE' })).status, 401);
      assert.equal(
        (await fetch(`${server.base}/api/v1/profiles/${rid}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } })).status,
        200,
      );
      const tokens = await store.listTokens();
      await store.revokeToken(tokens[0].id);
      assert.equal(
        (await fetch(`${server.base}/api/runtime/new`, { method: 'POST', headers: { AUTHORIZATION: `Token ${token}` }, body: '{}' }))
          .status,
        401,
      );
    } finally {
      await server.app.close();
    }
  });

  test('a private server shows pages and lists only to token holders; the login form sets a cookie', async () => {
    const live = generateToken();
    await store.createToken('viewer', hashToken(live));
    const server = await startServer(store, { privateView: true });
    try {
      assert.equal((await fetch(`${server.base}/api/profile/`)).status, 401);
      const page = await fetch(`${server.base}/`);
      assert.equal(page.status, 401);
      assert.match(await page.text(), /<form method="post" action="\/login">/);
      assert.equal((await fetch(`${server.base}/api/profile/`, { headers: { Authorization: `Token ${live}` } })).status, 200);
      const badLogin = await fetch(`${server.base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'token=nope',
        redirect: 'manual',
      });
      assert.equal(badLogin.status, 401);
      const login = await fetch(`${server.base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(live)}`,
        redirect: 'manual',
      });
      assert.equal(login.status, 303);
      const cookie = login.headers.get('set-cookie')!;
      assert.match(cookie, /HttpOnly; SameSite=Strict/);
      const withCookie = await fetch(`${server.base}/`, { headers: { Cookie: cookie.split(';')[0] } });
      assert.equal(withCookie.status, 200);
    } finally {
      await server.app.close();
    }
  });
});

describe('viewer seam', () => {
  test('/profiles/<id> opens the built viewer on the stored model; its files are served, traversal refused', async () => {
    const viewer = mkdtempSync(join(work, 'viewer-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(viewer, 'index.html'),
      '<!doctype html><html><head><title>v</title></head><body><script src="app.js"></script></body></html>',
    );
    writeFileSync(join(viewer, 'app.js'), 'console.log(1)');
    const store = SqliteStore.open(join(work, 'viewer.db'));
    const server = await startServer(store, { viewerDir: viewer });
    try {
      const up = await json(
        await fetch(`${server.base}/api/v1/profiles?name=v`, {
          method: 'POST',
          headers: { 'Content-Disposition': 'attachment; filename=pypy-primes.prof' },
          body: readFileSync(fixture('vmprof/pypy-primes.prof')),
        }),
      );
      const page = await fetch(`${server.base}/profiles/${up.id}`, { redirect: 'manual' });
      assert.equal(page.status, 302);
      const location = new URL(page.headers.get('location')!, server.base);
      assert.equal(location.pathname, '/viewer/');
      assert.equal(location.searchParams.get('profile'), `/api/v1/profiles/${up.id}/model`);
      for (const path of ['/viewer/', '/viewer']) {
        const index = await (await fetch(server.base + path)).text();
        assert.match(index, /<head><base href="\/viewer\/">/);
      }
      assert.equal(await (await fetch(`${server.base}/viewer/app.js`)).text(), 'console.log(1)');
      for (const path of ['/viewer/..%2F..%2Fapi.db', '/viewer/%2e%2e/%2e%2e/package.json', '/viewer/..%5Capp.js']) {
        const res = await fetch(server.base + path);
        assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      }
    } finally {
      await server.app.close();
      await store.close();
    }
  });
});
