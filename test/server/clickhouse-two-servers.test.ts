/**
 * Once only across server processes: two real `pyrometer serve` processes on one
 * ClickHouse database are given the same chunks at the same moment (a sender that
 * timed out on one server and resent to the other, behind a load balancer); every
 * chunk counts once at 10 s, 1 min and 1 h. The interleaving that needs the
 * correction (both copies written before either counts) is forced in
 * series-store.test.ts; this is the same over HTTP with real processes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkBody, encodeChunk, STREAM_CHUNK_MEDIA_TYPE, type StreamChunk } from '../../src/formats/stream-chunk.js';
import { ClickHouseSeriesStore } from '../../src/server/series/clickhouse.js';
import { startClickHouse } from './clickhouse-cluster.js';
import { projectRoot } from '../helpers.js';
import { killed, startServe, type ServeProcess } from './serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-two-servers-'));
const servers: ServeProcess[] = [];
let stopClickHouse = () => {};
after(async () => {
  for (const s of servers) await killed(s.child, 'SIGKILL');
  stopClickHouse();
  rmSync(work, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const BASE = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;
const CHUNKS = 12;

test('two serve processes given the same chunks at the same time store each once, at every resolution', async () => {
  const clickhouse = await startClickHouse(1);
  stopClickHouse = clickhouse.stop;
  const url = clickhouse.url('two_servers');
  // One after the other: the first creates the tables.
  for (const name of ['a', 'b']) servers.push(await startServe(['--port', '0', '--data', join(work, name), '--store', url]));
  const chunk = (i: number): StreamChunk => ({
    service: 'twice',
    labels: { host: 'h1' },
    from: BASE + i * 10_000,
    until: BASE + (i + 1) * 10_000,
    unit: 'samples',
    kind: 'cpu',
    sender: 'sender-1',
    seq: i,
    ...chunkBody([{ stack: `main (m.py:1);step${i} (m.py:2)`, weight: i + 1 }]),
  });
  const post = async (server: ServeProcess, body: Uint8Array) => {
    const r = await fetch(`${server.url}/api/v1/stream`, { method: 'POST', body, headers: { 'Content-Type': STREAM_CHUNK_MEDIA_TYPE } });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as { stored: boolean };
  };
  for (let i = 0; i < CHUNKS; i++) {
    const body = encodeChunk(chunk(i));
    const answers = await Promise.all(servers.map((s) => post(s, body)));
    // Whichever counted both copies says so; at most one says it stored the chunk.
    assert.ok(answers.filter((a) => a.stored).length <= 1, `chunk ${i}: ${JSON.stringify(answers)}`);
  }
  const store = await ClickHouseSeriesStore.open(url);
  try {
    const expected = Object.fromEntries(Array.from({ length: CHUNKS }, (_, i) => [`main (m.py:1);step${i} (m.py:2)`, i + 1]));
    for (const resolutionMs of [10_000, 60_000, 3_600_000]) {
      const merged = await store.merged({ service: 'twice', from: BASE, to: BASE + HOUR, resolutionMs });
      assert.deepEqual(Object.fromEntries(merged.stacks.map((s) => [s.stack, s.weight])), expected, `at ${resolutionMs} ms`);
    }
  } finally {
    await store.close();
  }
});

test("a ClickHouse-backed serve reads Pyroscope's folded and lines bodies in its worker thread; bad ones are one-line 400s", async () => {
  assert.ok(servers.length > 0, 'the test above started the servers');
  const [server] = servers;
  const at = Math.floor((BASE + 30 * 60_000) / 1000);
  const push = (name: string, format: string, body: string) =>
    fetch(`${server.url}/ingest?name=${encodeURIComponent(name)}&from=${at}&until=${at + 10}&format=${format}`, { method: 'POST', body });
  assert.equal((await push('pushed.cpu{env=ci}', 'folded', 'main;work 7\nmain;io 2\n')).status, 200);
  assert.equal((await push('pushed.cpu{env=ci}', 'lines', 'main;work\nmain;work\n')).status, 200);
  const bad = await push('pushed.cpu{env=ci}', 'folded', 'main;work 7\nmain;io two\n');
  assert.equal(bad.status, 400);
  const error = ((await bad.json()) as { error: string }).error;
  assert.match(error, /line 2/);
  assert.doesNotMatch(error, /\n/);
  const merged = (await (
    await fetch(`${server.url}/api/v1/continuous/functions?service=pushed&from=${at * 1000}&to=${(at + 60) * 1000}`)
  ).json()) as { total: number; functions: { func: string; self: number }[] };
  assert.equal(merged.total, 11);
  assert.equal(merged.functions.find((f) => f.func.startsWith('work'))?.self, 9);
});

test('`pyrometer query -o FILE` writes a selection from a ClickHouse-backed serve as a profile file; `--json` lists its functions', async () => {
  assert.ok(servers.length > 0, 'the tests above started the servers and pushed samples');
  const at = Math.floor((BASE + 30 * 60_000) / 1000) * 1000;
  const query = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(['query', servers[0].url, ...args])}); })`,
      ],
      { cwd: projectRoot, encoding: 'utf8' },
    );
  const range = ['--service', 'pushed', '--from', String(at), '--to', String(at + 60_000)];
  const out = join(work, 'pushed.collapsed');
  const written = query(...range, '-o', out);
  assert.equal(written.status, 0, written.stderr);
  assert.match(written.stderr, /wrote .*pushed\.collapsed \(collapsed/);
  const stacks = Object.fromEntries(
    readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]),
  );
  assert.deepEqual(stacks, { 'main;io': 2, 'main;work': 9 });
  const listed = query(...range, '--json');
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(JSON.parse(listed.stdout).total, 11);
});
