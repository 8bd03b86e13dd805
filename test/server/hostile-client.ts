/** Helpers for the adversarial server tests: a server on a scratch SQLite file, and raw HTTP over a socket. */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type ServerOptions } from '../../src/server/app.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';

export interface TestServer {
  app: FastifyInstance;
  store: SqliteStore;
  port: number;
  base: string;
  spool: string;
  dir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-hostile-'));
  const store = SqliteStore.open(join(dir, 'pyrometer.db'));
  const spool = join(dir, 'spool');
  const app = await buildApp({ store, spoolDir: spool, viewerDir: null, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    store,
    port,
    spool,
    dir,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Parses the first response on a socket's bytes, or null when it is not all there yet. */
function parseResponse(bytes: Buffer): RawResponse | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = bytes.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const body = bytes.subarray(end + 4);
  if (length && body.length < Number(length[1])) return null;
  return { status, head, body: body.subarray(0, length ? Number(length[1]) : body.length).toString('utf8') };
}

/**
 * Sends `request` as is (no normalisation of the path or headers, as fetch would do) and
 * resolves with the response, or with status 0 when the server closes the connection without one.
 */
export function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (response: RawResponse) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(response);
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const response = parseResponse(received);
      if (response) finish(response);
    });
    socket.on('error', (err) => {
      if (!done) received.length ? finish(parseResponse(received) ?? { status: 0, head: '', body: '' }) : reject(err);
    });
    socket.on('close', () => finish(parseResponse(received) ?? { status: 0, head: received.toString('latin1'), body: '' }));
    socket.write(request);
  });
}

/** A POST with these headers and body, Host set to the server's own address unless given. */
export function rawPost(port: number, path: string, headers: Record<string, string>, body: string | Buffer): Promise<RawResponse> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const all: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    'content-length': String(bytes.length),
    connection: 'close',
    ...headers,
  };
  const head = `POST ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return rawRequest(port, Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
}

/** An open socket that has sent `start` and then nothing more; resolves when the server closes it. */
export function stalledConnection(port: number, start: string): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  const closed = new Promise<string>((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
  socket.write(start);
  return { socket, closed };
}

/** Polls until `check` holds, for at most `limitMs` (on a loaded machine things take their time). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  let wait = 10;
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`still not true after ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(250, wait * 2);
  }
}

export function spoolEntries(server: TestServer): string[] {
  try {
    return readdirSync(server.spool);
  } catch {
    return [];
  }
}
