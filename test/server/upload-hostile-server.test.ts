/**
 * `pyrometer upload` against a hostile server: the link and the error it
 * answers with are printed without terminal control characters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uploadFiles } from '../../src/cli/upload.js';
import { fixture } from '../helpers.js';

const ESC = '\u001b';
let server: Server;
let base = '';
let mode: 'link' | 'error' = 'link';
before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (mode === 'error') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `${ESC}[2J${ESC}]0;pwned\u0007bad` }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'abc', url: `${ESC}]0;pwned\u0007http://evil/${ESC}[31mred`, shareUrl: `http://x/${ESC}[5m` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function capture(run: (log: (s: string) => void) => Promise<unknown>): Promise<string> {
  let text = '';
  const err = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => {
    text += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    await run((s) => {
      text += s;
    });
  } finally {
    process.stderr.write = err;
  }
  return text;
}

test("a server's link with terminal escapes is printed as our own link, escape-free", async () => {
  mode = 'link';
  const out = await capture((log) => uploadFiles([fixture('collapsed/simple.txt')], { server: base }, undefined, log));
  assert.ok(!out.includes(ESC), JSON.stringify(out));
  assert.match(out, new RegExp(`simple\\.txt: ${base}/profiles/abc\\n`));
});

test("a server's error message with terminal escapes is printed with the escapes made visible", async () => {
  mode = 'error';
  const out = await capture((log) => uploadFiles([fixture('collapsed/simple.txt')], { server: base }, undefined, log));
  assert.ok(!out.includes(ESC), JSON.stringify(out));
  assert.match(out, /\\x1b\[2J/);
});
