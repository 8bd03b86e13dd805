/**
 * The profile server under hostile requests (issue 14): malformed multipart
 * bodies, foreign Host headers (DNS rebinding), slow clients, corrupt and
 * explosive compressed bodies, odd file names and queries. Every case must
 * get a clean 4xx (or have its connection closed), leave no spool file, and
 * leave the server answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { fixture } from '../helpers.js';
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
  ['a complete part, then a part whose headers never end', multipart(B, `${filePart(text)}\r\n--${B}\r\nContent-Disposition: form-data; name="x"`)],
  ['no boundary parameter', { headers: { 'content-type': 'multipart/form-data' }, body: filePart(text) }],
  ['an empty body', multipart(B, '')],
  ['only the closing boundary', multipart(B, `--${B}--\r\n`)],
  ['fields but no file part', multipart(B, `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B}--\r\n`)],
  ['a part with no headers at all', multipart(B, `--${B}\r\n\r\nabc\r\n--${B}--\r\n`)],
  ['a file part whose closing boundary is cut short', multipart(B, `${filePart(text)}\r\n--${B.slice(0, 4)}`)],
  ['a part header line of 100 KB', multipart(B, `--${B}\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\nabc\r\n--${B}--\r\n`)],
  ['a boundary of 300 characters', multipart('b'.repeat(300), `--${'b'.repeat(300)}\r\n${filePart(text).slice(B.length + 4)}\r\n--${'b'.repeat(300)}--\r\n`)],
  ['a file part holding no profile', multipart(B, `${filePart('not a profile at all\n')}\r\n--${B}--\r\n`)],
  ['an empty file part', multipart(B, `${filePart('')}\r\n--${B}--\r\n`)],
  ['a body that stops inside the first boundary', multipart(B, `--${B.slice(0, 3)}`)],
  ['1000 tiny field parts', multipart(B, `${Array.from({ length: 1000 }, (_, i) => `--${B}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${B}--\r\n`)],
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
          const created = await fetch(`${server.base}/api/runtime/new`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"argv":"x","VM":"cpython"}' });
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
