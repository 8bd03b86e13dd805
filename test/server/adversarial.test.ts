/**
 * The profile server under hostile requests (issue 14): malformed multipart
 * bodies, foreign Host headers (DNS rebinding), slow clients, corrupt and
 * explosive compressed bodies, odd file names and queries. Every case must
 * get a clean 4xx (or have its connection closed), leave no spool file, and
 * leave the server answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { fixture } from '../helpers.js';
import { generateToken, hashToken } from '../../src/server/auth.js';
import { eventually, rawPost, rawRequest, spoolEntries, stalledConnection, startTestServer, type TestServer } from './hostile-client.js';

const PROFILE = readFileSync(fixture('collapsed/simple.txt'));

async function assertAlive(server: TestServer): Promise<void> {
  const res = await fetch(`${server.base}/api/v1/profiles`);
  assert.equal(res.status, 200, 'the server still answers');
  await res.arrayBuffer();
}

function multipart(boundary: string, parts: string): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: parts };
}

const B = 'bOuNdArY';
const filePart = (content: string, name = 'file', fileName = 'simple.txt') =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}`;
const text = PROFILE.toString('latin1');

/** Malformed multipart shapes: each must be a 4xx, never a crash (a file part without its closing boundary used to kill `serve`). */
const MULTIPART_SHAPES: [string, { headers: Record<string, string>; body: string }][] = [
  ['a file part with no closing boundary', multipart(B, filePart(text))],
  ['a complete part followed by a broken boundary', multipart(B, `${filePart(text)}\r\n--${B}\r\nbroken`)],
  [
    'a complete part, then a part whose headers never end',
    multipart(B, `${filePart(text)}\r\n--${B}\r\nContent-Disposition: form-data; name="x"`),
  ],
  ['no boundary parameter', { headers: { 'content-type': 'multipart/form-data' }, body: filePart(text) }],
  ['an empty body', multipart(B, '')],
  ['only the closing boundary', multipart(B, `--${B}--\r\n`)],
  ['fields but no file part', multipart(B, `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B}--\r\n`)],
  ['a part with no headers at all', multipart(B, `--${B}\r\n\r\nabc\r\n--${B}--\r\n`)],
  ['a file part whose closing boundary is cut short', multipart(B, `${filePart(text)}\r\n--${B.slice(0, 4)}`)],
  ['a part header line of 100 KB', multipart(B, `--${B}\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\nabc\r\n--${B}--\r\n`)],
  [
    'a boundary of 300 characters',
    multipart('b'.repeat(300), `--${'b'.repeat(300)}\r\n${filePart(text).slice(B.length + 4)}\r\n--${'b'.repeat(300)}--\r\n`),
  ],
  ['a file part holding no profile', multipart(B, `${filePart('not a profile at all\n')}\r\n--${B}--\r\n`)],
  ['an empty file part', multipart(B, `${filePart('')}\r\n--${B}--\r\n`)],
  ['a body that stops inside the first boundary', multipart(B, `--${B.slice(0, 3)}`)],
  [
    '1000 tiny field parts',
    multipart(
      B,
      `${Array.from({ length: 1000 }, (_, i) => `--${B}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${B}--\r\n`,
    ),
  ],
];

describe('adversarial requests to serve', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  test('malformed multipart bodies get a 4xx; the server lives on and keeps no spool file', async () => {
    for (const [what, request] of MULTIPART_SHAPES) {
      for (const path of ['/api/v1/profiles', '/api/runtime/upload/cpu/RID/add']) {
        let target = path;
        if (path.includes('RID')) {
          const created = await fetch(`${server.base}/api/runtime/new`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"argv":"x","VM":"cpython"}',
          });
          target = path.replace('RID', (await created.json()).runtime_id);
        }
        const res = await rawPost(server.port, target, request.headers, request.body);
        assert.ok(res.status >= 400 && res.status < 500, `${what} on ${path}: HTTP ${res.status} ${res.body}`);
        assert.match(JSON.parse(res.body).error, /\S/, what);
        await assertAlive(server);
      }
    }
    // A well-formed multipart upload still works afterwards.
    const good = multipart(B, `${filePart(text)}\r\n--${B}--\r\n`);
    const res = await rawPost(server.port, '/api/v1/profiles', good.headers, good.body);
    assert.equal(res.status, 201, res.body);
    await eventually(() => spoolEntries(server).length === 0, 'the spool is empty');
  });
});

function get(port: number, path: string, host: string | null): Promise<{ status: number; body: string }> {
  const hostLine = host === null ? '' : `Host: ${host}\r\n`;
  return rawRequest(port, `GET ${path} HTTP/1.1\r\n${hostLine}Connection: close\r\n\r\n`);
}

describe('the Host header (DNS rebinding)', () => {
  test('a loopback server answers only requests addressed to a loopback name and its own port', async () => {
    const server = await startTestServer();
    try {
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`, `[::1]:${server.port}`]) {
        assert.equal((await get(server.port, '/api/v1/profiles', host)).status, 200, host);
      }
      for (const host of [
        `evil.example:${server.port}`,
        `127.0.0.1.evil.example:${server.port}`,
        'evil.example',
        `127.0.0.1:${server.port + 1}`,
        '127.0.0.1',
        `localhost:${server.port}@evil`,
        '',
        `localhost:${server.port}, evil.example`,
      ]) {
        for (const path of ['/api/v1/profiles', '/', '/api/profile/', '/api/v1/profiles/x/raw']) {
          const res = await get(server.port, path, host);
          assert.equal(res.status, 421, `Host "${host}" ${path}: ${res.status}`);
          assert.match(res.body, /Host/);
        }
      }
      // HTTP/1.1 without a Host header is refused too (by Node already: 400).
      const bare = await get(server.port, '/api/v1/profiles', null);
      assert.ok(bare.status === 400 || bare.status === 421, String(bare.status));
      // Uploads from a rebinding page are refused before anything is stored.
      const res = await rawPost(server.port, '/api/v1/profiles', { host: `evil.example:${server.port}` }, PROFILE);
      assert.equal(res.status, 421);
      assert.equal((await (await fetch(`${server.base}/api/v1/profiles`)).json()).count, 0);
    } finally {
      await server.close();
    }
  });

  test('--allow-host adds names; a server on a non-loopback address answers any name unless names are given', async () => {
    const named = await startTestServer({ allowedHosts: ['profiles.example'] });
    try {
      assert.equal((await get(named.port, '/api/v1/profiles', `profiles.example:${named.port}`)).status, 200);
      assert.equal((await get(named.port, '/api/v1/profiles', `localhost:${named.port}`)).status, 200);
      assert.equal((await get(named.port, '/api/v1/profiles', `other.example:${named.port}`)).status, 421);
    } finally {
      await named.close();
    }
    const open = await startTestServer({ bindHost: '0.0.0.0' });
    try {
      assert.equal((await get(open.port, '/api/v1/profiles', `anything.example:${open.port}`)).status, 200);
    } finally {
      await open.close();
    }
  });
});

describe('slow clients (slowloris)', () => {
  test('stalled headers, stalled uploads and trickling uploads are cut off; their spool files go; others are served meanwhile', {
    timeout: 90_000,
  }, async () => {
    const server = await startTestServer({ timeouts: { idleMs: 400, headersMs: 1_000, requestMs: 2_000 } });
    try {
      const host = `127.0.0.1:${server.port}`;
      const uploadHead = (length: number) =>
        `POST /api/v1/profiles?file=slow.txt HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\n\r\n`;
      const stalled = [
        ...Array.from({ length: 20 }, () => stalledConnection(server.port, `GET /api/v1/profiles HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `)),
        ...Array.from({ length: 20 }, () => stalledConnection(server.port, uploadHead(1_000_000) + text)),
      ];
      // Trickling: a byte at a time, often enough never to look idle; the whole-request limit ends it.
      const trickling = Array.from({ length: 10 }, () => stalledConnection(server.port, uploadHead(1_000_000)));
      const ticker = setInterval(() => {
        for (const t of trickling) if (!t.socket.destroyed) t.socket.write('a');
      }, 100);
      try {
        await eventually(() => spoolEntries(server).length > 0, 'the stalled uploads are being spooled');
        // The server keeps answering everyone else while they hang.
        await assertAlive(server);
        const good = await fetch(`${server.base}/api/v1/profiles?file=simple.txt`, { method: 'POST', body: PROFILE });
        assert.equal(good.status, 201);
        const answers = await Promise.all([...stalled, ...trickling].map((c) => c.closed));
        for (const answer of answers)
          assert.ok(answer === '' || /^HTTP\/1\.1 (408|400)/.test(answer), JSON.stringify(answer.slice(0, 100)));
      } finally {
        clearInterval(ticker);
      }
      await eventually(() => spoolEntries(server).length === 0, "every cut-off upload's spool directory is removed");
      await assertAlive(server);
    } finally {
      await server.close();
    }
  });
});

describe('parse limits', () => {
  test("an upload whose parse needs more than the worker's memory is a 422; the next upload is served", { timeout: 120_000 }, async () => {
    const server = await startTestServer({ parseLimits: { size: 1, memoryMb: 24 } });
    try {
      const lines: string[] = [];
      for (let i = 0; i < 400_000; i++) lines.push(`main;handler_${i};leaf_${i % 977}_${'x'.repeat(60)} 1`);
      const big = await fetch(`${server.base}/api/v1/profiles?file=big.collapsed`, {
        method: 'POST',
        body: gzipSync(lines.join('\n')),
        headers: { 'content-encoding': 'gzip' },
      });
      assert.equal(big.status, 422);
      assert.match((await big.json()).error, /^big\.collapsed: reading it needed more than the parser's 24 MiB/);
      const good = await fetch(`${server.base}/api/v1/profiles?file=simple.txt`, { method: 'POST', body: PROFILE });
      assert.equal(good.status, 201);
      assert.equal((await (await fetch(`${server.base}/api/v1/profiles`)).json()).count, 1);
      await eventually(() => spoolEntries(server).length === 0, 'the spool is empty');
    } finally {
      await server.close();
    }
  });
});

describe('bodies, names and queries', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxUploadBytes: 1 << 20 });
  });
  after(async () => server.close());

  test('a corrupt compressed body is a 400 naming its encoding, for every encoding', async () => {
    const garbage = Buffer.from('this is not compressed data at all, not even close');
    for (const encoding of ['br', 'gzip', 'deflate']) {
      const res = await rawPost(server.port, '/api/v1/profiles?file=x.txt', { 'content-encoding': encoding }, garbage);
      assert.equal(res.status, 400, `${encoding}: ${res.body}`);
      assert.match(JSON.parse(res.body).error, /not valid/);
    }
    // Cut short: valid compressed data that stops in the middle.
    for (const [encoding, bytes] of [
      ['br', brotliCompressSync(PROFILE)],
      ['gzip', gzipSync(PROFILE)],
    ] as const) {
      const res = await rawPost(
        server.port,
        '/api/v1/profiles?file=x.txt',
        { 'content-encoding': encoding },
        bytes.subarray(0, bytes.length - 4),
      );
      assert.equal(res.status, 400, `${encoding} cut short: ${res.body}`);
    }
    await assertAlive(server);
  });

  test('zip bombs: a 1 MiB limit holds after gzip and brotli decoding', async () => {
    const zeros = Buffer.alloc(64 << 20);
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(zeros, { level: 9 })],
      ['br', brotliCompressSync(zeros)],
    ] as const) {
      assert.ok(bytes.length < 200_000, `${encoding} bomb is ${bytes.length} bytes`);
      const res = await rawPost(server.port, '/api/v1/profiles?file=bomb.txt', { 'content-encoding': encoding }, bytes);
      assert.equal(res.status, 413, `${encoding}: ${res.body}`);
    }
    // A .gz upload is inflated for parsing under the same limit.
    const res = await rawPost(server.port, '/api/v1/profiles?file=bomb.txt.gz', {}, gzipSync(zeros, { level: 9 }));
    assert.equal(res.status, 413, res.body);
    await eventually(() => spoolEntries(server).length === 0, 'the spool is empty');
  });

  test('a file name under 200 characters but over 255 bytes is kept, cut to whole characters', async () => {
    for (const name of ['é'.repeat(199) + '.txt', '😀'.repeat(150) + '.txt', 'a'.repeat(1000)]) {
      const res = await fetch(`${server.base}/api/v1/profiles?file=${encodeURIComponent(name)}`, { method: 'POST', body: PROFILE });
      const body = await res.json();
      assert.equal(res.status, 201, JSON.stringify(body));
      assert.ok(Buffer.byteLength(body.fileName) <= 200, body.fileName);
      assert.ok(name.startsWith(body.fileName), 'a prefix of the name, no broken character');
    }
  });

  test('a NUL in the search is a 400, not a silently shorter search', async () => {
    for (const path of ['/api/v1/profiles?q=simple%00zzz', '/api/profile/?q=a%00', '/?q=a%00b', '/api/v1/profiles?interpreter=%00']) {
      const res = await fetch(`${server.base}${path}`);
      assert.equal(res.status, 400, path);
      assert.match(await res.text(), /NUL/);
    }
    const res = await fetch(`${server.base}/api/runtime/new`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ argv: 'a\u0000b', VM: 'c\u0000' }),
    });
    assert.equal(res.status, 200);
  });
});

describe('tokens, traversal and markup', () => {
  test('tokens: missing, unknown, oversized, malformed and revoked ones get a 401, never a 5xx; a private server lists nothing without one', async () => {
    const server = await startTestServer({ privateView: true });
    try {
      const token = generateToken();
      await server.store.createToken('adversarial', hashToken(token));
      const upload = (authorization?: string, cookie?: string) =>
        fetch(`${server.base}/api/v1/profiles?file=simple.txt`, {
          method: 'POST',
          body: PROFILE,
          headers: { ...(authorization === undefined ? {} : { authorization }), ...(cookie ? { cookie } : {}) },
        });
      const refused = [
        undefined,
        'Token',
        'Token ',
        `Token ${'a'.repeat(10_000)}`,
        'Token pyr_unknown',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Token ${token}x`,
        `Token ${token.slice(0, -1)}`,
        'Token \u00ff\u00fe',
      ];
      for (const authorization of refused)
        assert.equal((await upload(authorization)).status, 401, JSON.stringify(authorization?.slice(0, 30)));
      assert.equal((await upload(undefined, `pyrometer_token=${'x'.repeat(5000)}`)).status, 401);
      for (const path of ['/api/v1/profiles', '/api/profile/', '/']) assert.equal((await fetch(`${server.base}${path}`)).status, 401, path);
      assert.equal((await upload(`Token ${token}`)).status, 201);
      const [row] = await server.store.listTokens();
      await server.store.revokeToken(row.id);
      assert.equal((await upload(`Token ${token}`)).status, 401);
      assert.equal((await fetch(`${server.base}/api/v1/profiles`, { headers: { authorization: `Token ${token}` } })).status, 401);
    } finally {
      await server.close();
    }
  });

  test('path traversal in viewer paths and ids is refused; markup in names is shown as text under a CSP', async () => {
    const viewerDir = mkdtempSync(join(tmpdir(), 'pyrometer-viewer-'));
    writeFileSync(join(viewerDir, 'index.html'), '<html><head></head><body>viewer</body></html>');
    writeFileSync(join(viewerDir, 'app.js'), 'console.log(1)');
    const server = await startTestServer({ viewerDir });
    try {
      for (const path of [
        '/viewer/..%2f..%2fpyrometer.db',
        '/viewer/%2e%2e/%2e%2e/etc/passwd',
        '/viewer/..%5c..%5cpyrometer.db',
        '/viewer/app.js%00.html',
        '/viewer//etc/passwd',
        '/api/v1/profiles/..%2f..%2fetc/raw',
        '/profiles/%2e%2e',
        '/api/profile/..%2F/',
      ]) {
        const res = await get(server.port, path, `127.0.0.1:${server.port}`);
        assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
        assert.doesNotMatch(res.body, /root:|SQLite format/, path);
      }
      const name = '<script>alert(1)</script>';
      const fileName = '<img src=x onerror=alert(1)>.txt';
      const res = await fetch(`${server.base}/api/v1/profiles?file=${encodeURIComponent(fileName)}&name=${encodeURIComponent(name)}`, {
        method: 'POST',
        body: PROFILE,
      });
      assert.equal(res.status, 201);
      const page = await fetch(`${server.base}/?q=${encodeURIComponent('"><svg onload=alert(1)>')}`);
      const html = await page.text();
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src/);
      assert.doesNotMatch(html, /<script>alert|<img src=x|<svg onload/);
      const all = await (await fetch(`${server.base}/`)).text();
      assert.match(all, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.doesNotMatch(all, /<script>alert|<img src=x/);
    } finally {
      await server.close();
      rmSync(viewerDir, { recursive: true, force: true });
    }
  });
});
