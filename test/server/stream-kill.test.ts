/**
 * `kill -9` of a real `pyrometer serve` while a sender streams into it: no
 * acknowledged chunk is lost, the sender buffers while the server is gone and
 * catches up after the restart, and every chunk is stored exactly once.
 * Each chunk carries its own stack with its own weight, so a lost or doubled
 * chunk shows by name.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkSender } from '../../src/capture/stream/sender.js';
import { chunkBody } from '../../src/formats/stream-chunk.js';
import { SqliteSeriesStore } from '../../src/server/series/sqlite.js';
import { freePort } from './pg-cluster.js';
import { killed, startServe, type ServeProcess } from './serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-kill-'));
const children: ServeProcess[] = [];
after(async () => {
  for (const c of children) await killed(c.child, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const T0 = Math.floor(Date.now() / 10_000) * 10_000 - 3_600_000;
const CHUNKS = 60;

test('kill -9 during streaming loses no acknowledged chunk; the sender catches up after the restart', async () => {
  const port = String(await freePort());
  const data = join(work, 'data');
  const first = await startServe(['--port', port, '--data', data]);
  children.push(first);
  const sender = new ChunkSender({ url: first.url, spoolDir: join(work, 'spool'), minBackoffMs: 50, maxBackoffMs: 200 });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let acknowledgedBeforeKill = -1;
  for (let i = 0; i < CHUNKS; i++) {
    sender.queue({
      service: 'k9',
      labels: {},
      from: T0 + i * 10_000,
      until: T0 + (i + 1) * 10_000,
      unit: 'samples',
      kind: 'cpu',
      ...chunkBody([{ stack: `main;chunk${i}`, weight: i + 1 }]),
    });
    if (i === CHUNKS / 3) {
      // Kill while chunks are in flight; the sender keeps making chunks while the server is gone.
      acknowledgedBeforeKill = sender.stats.sent;
      await killed(first.child, 'SIGKILL');
    }
    if (i === (2 * CHUNKS) / 3) {
      assert.ok(sender.stats.retries > 0, 'the sender noticed the server was gone');
      children.push(await startServe(['--port', port, '--data', data]));
    }
    await wait(20);
  }
  assert.ok(acknowledgedBeforeKill > 0, 'some chunks were acknowledged before the kill');
  const deadline = Date.now() + 60_000;
  while (sender.stats.buffered > 0 && Date.now() < deadline) await wait(50);
  const stats = await sender.close(1000);
  assert.equal(stats.buffered, 0);
  assert.equal(stats.sent, CHUNKS);
  assert.equal(stats.droppedFull + stats.rejected, 0);

  await killed(children[children.length - 1].child, 'SIGTERM');
  const store = new SqliteSeriesStore(join(data, 'pyrometer.db'));
  try {
    const merged = await store.merged({ service: 'k9', from: T0, to: T0 + CHUNKS * 10_000, resolutionMs: 10_000 });
    const byStack = Object.fromEntries(merged.stacks.map((s) => [s.stack, s.weight]));
    for (let i = 0; i < CHUNKS; i++) assert.equal(byStack[`main;chunk${i}`], i + 1, `chunk ${i}`);
    assert.equal(merged.stacks.length, CHUNKS);
  } finally {
    await store.close();
  }
});
