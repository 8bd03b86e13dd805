/**
 * The chunk sender: buffers on disk while the server is away and catches up
 * when it comes, in order, each chunk stored once; a full buffer drops the
 * oldest chunks and counts them; a chunk the server refuses is counted and not
 * retried forever.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../src/server/app.js';
import { SqliteStore } from '../../../src/server/store/sqlite.js';
import { SqliteSeriesStore } from '../../../src/server/series/sqlite.js';
import { ChunkSender } from '../../../src/capture/stream/sender.js';
import { chunkBody } from '../../../src/formats/stream-chunk.js';
import { freePort } from '../../server/pg-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-sender-'));
after(() => rmSync(work, { recursive: true, force: true }));

const T0 = Math.floor(Date.now() / 10_000) * 10_000 - 600_000;
const chunk = (i: number, weight = 1) => ({
  service: 'snd',
  labels: { run: 'a' },
  from: T0 + i * 10_000,
  until: T0 + (i + 1) * 10_000,
  unit: 'samples',
  kind: 'cpu',
  ...chunkBody([{ stack: `main;f${i}`, weight }]),
});

async function serve(port: number, name: string) {
  const series = new SqliteSeriesStore(join(work, `${name}.db`));
  const app = await buildApp({
    store: SqliteStore.open(join(work, `${name}.db`)),
    spoolDir: join(work, `${name}-spool`),
    viewerDir: null,
    parseInWorkers: false,
    seriesStore: series,
  });
  await app.listen({ host: '127.0.0.1', port });
  return { app, series };
}

/** Waits (adaptively) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; !(await check()); delay = Math.min(delay * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

test('server away: chunks wait on disk, then arrive once each when it comes', async () => {
  const port = await freePort();
  const spool = join(work, 'spool-a');
  const sender = new ChunkSender({ url: `http://127.0.0.1:${port}`, spoolDir: spool, minBackoffMs: 20, maxBackoffMs: 100 });
  for (let i = 0; i < 5; i++) sender.queue(chunk(i, i + 1));
  await until(() => sender.stats.retries >= 2, 'retries');
  assert.equal(sender.stats.buffered, 5);
  assert.equal(readdirSync(spool).filter((n) => n.endsWith('.chunk')).length, 5);
  const { app, series } = await serve(port, 'a');
  try {
    await until(() => sender.stats.buffered === 0, 'the buffer to drain');
    const stats = await sender.close(1000);
    assert.equal(stats.sent, 5);
    assert.equal(stats.droppedFull + stats.rejected, 0);
    const merged = await series.merged({ service: 'snd', from: T0, to: T0 + 60_000 });
    assert.equal(
      merged.stacks.reduce((n, s) => n + s.weight, 0),
      1 + 2 + 3 + 4 + 5,
    );
  } finally {
    await app.close();
  }
});

test('a full buffer drops the oldest chunks and counts them', async () => {
  const port = await freePort();
  const sender = new ChunkSender({
    url: `http://127.0.0.1:${port}`,
    spoolDir: join(work, 'spool-b'),
    maxBuffered: 3,
    minBackoffMs: 20,
    maxBackoffMs: 50,
  });
  for (let i = 0; i < 7; i++) sender.queue(chunk(i));
  const stats = await sender.close(100);
  assert.equal(stats.droppedFull, 4);
  assert.equal(stats.buffered, 3);
  assert.equal(stats.sent, 0);
  assert.match(stats.lastError, /ECONNREFUSED|fetch failed/);
});

test('chunks left by an earlier run are sent by the next one from the same buffer', async () => {
  const port = await freePort();
  const spool = join(work, 'spool-c');
  const first = new ChunkSender({ url: `http://127.0.0.1:${port}`, spoolDir: spool, minBackoffMs: 20, maxBackoffMs: 50 });
  first.queue(chunk(0, 10));
  first.queue(chunk(1, 20));
  assert.equal((await first.close(50)).buffered, 2);
  const { app, series } = await serve(port, 'c');
  try {
    const second = new ChunkSender({ url: `http://127.0.0.1:${port}`, spoolDir: spool });
    assert.equal(second.id, first.id);
    second.queue(chunk(2, 30));
    await until(() => second.stats.buffered === 0, 'the buffer to drain');
    assert.equal((await second.close(1000)).sent, 3);
    const merged = await series.merged({ service: 'snd', from: T0, to: T0 + 60_000 });
    assert.equal(
      merged.stacks.reduce((n, s) => n + s.weight, 0),
      60,
    );
  } finally {
    await app.close();
  }
});

test('a chunk the server refuses is dropped and counted, not retried forever', async () => {
  const port = await freePort();
  const { app } = await serve(port, 'd');
  try {
    const sender = new ChunkSender({ url: `http://127.0.0.1:${port}`, spoolDir: join(work, 'spool-d') });
    sender.queue({ ...chunk(0), service: 'no spaces allowed' });
    await until(() => sender.stats.buffered === 0, 'the refusal');
    const stats = await sender.close(100);
    assert.equal(stats.rejected, 1);
    assert.match(stats.lastError, /HTTP 400: stream-chunk: the service name/);
  } finally {
    await app.close();
  }
});
