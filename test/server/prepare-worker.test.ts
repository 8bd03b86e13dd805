/**
 * The ClickHouse store prepares the HTTP route's chunks in a worker thread
 * (prepare-worker.ts, chunk-worker.ts): what comes back must be what the
 * in-process preparer makes, and a bad chunk must fail with the same one-line
 * error as decoding it in-process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkBody, decodeChunk, type StreamChunk } from '../../src/formats/stream-chunk.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { ChunkPreparer, type Prepared } from '../../src/server/series/chunk-preparer.js';
import { PrepareWorker } from '../../src/server/series/prepare-worker.js';
import { pyroscopeTextStacks } from '../../src/formats/pyroscope-text.js';

const chunk = (seq: number, stacks: Record<string, number>): StreamChunk => ({
  service: 'api',
  labels: { host: 'h1' },
  from: 1_764_700_000_000 + seq * 10_000,
  until: 1_764_700_010_000 + seq * 10_000,
  unit: 'samples',
  kind: 'cpu',
  sender: 'worker-test',
  seq,
  ...chunkBody(Object.entries(stacks).map(([stack, weight]) => ({ stack, weight }))),
  markers: [{ name: 'gc-minor', start: 1_764_700_000_001 + seq * 10_000, end: 1_764_700_000_002 + seq * 10_000, category: 'gc', depth: 0 }],
});
const json = (c: StreamChunk) => new TextEncoder().encode(JSON.stringify({ pyrometerChunk: 1, ...c }));
/** The rows without their last column (each write's random id). */
const rowsOf = (p: Prepared) =>
  Buffer.from(p.rows)
    .toString()
    .split('\n')
    .map((line) => line.split('\t').slice(0, -1).join('\t'));

test('a chunk prepared in the worker is the chunk prepared in-process; stack texts come once per preparer', async () => {
  const worker = new PrepareWorker();
  const local = new ChunkPreparer();
  try {
    const first = chunk(1, { 'main (a.py:1);work (a.py:4)': 7, 'main (a.py:1);io (a.py:9)': 2, 'main (a.py:1)': 1 });
    const second = chunk(2, { 'main (a.py:1);work (a.py:4)': 3, 'main (a.py:1);new (a.py:12)': 5 });
    for (const c of [first, second]) {
      const there = await worker.prepare({ json: json(c) });
      const here = local.prepare(decodeChunk(json(c)));
      for (const key of ['sender', 'seq', 'seriesId', 'bucket', 'seriesRow', 'markers', 'ids', 'weights', 'total', 'texts'] as const)
        assert.deepEqual(there[key], here[key], key);
      assert.deepEqual(rowsOf(there), rowsOf(here));
    }
    // The second chunk's texts are only its new stack.
    const again = await worker.prepare({ json: json(chunk(3, { 'main (a.py:1);new (a.py:12)': 1 })) });
    assert.deepEqual(again.texts, []);
  } finally {
    await worker.close();
  }
});

test('a bad chunk fails in the worker with the ProfileFormatError decoding it in-process gives', async () => {
  const worker = new PrepareWorker();
  try {
    for (const bad of ['{"pyrometerChunk": 1, "service": "x y"}', 'not json', '{"pyrometerChunk": 1, "service": "a", "frames": [1]}']) {
      const bytes = new TextEncoder().encode(bad);
      let inProcess: Error | undefined;
      try {
        decodeChunk(bytes);
      } catch (err) {
        inProcess = err as Error;
      }
      assert.ok(inProcess instanceof ProfileFormatError);
      await assert.rejects(
        worker.prepare({ json: bytes }),
        (err: Error) => err instanceof ProfileFormatError && err.message === inProcess.message,
      );
    }
    // The worker still serves after bad chunks.
    assert.equal((await worker.prepare({ json: json(chunk(4, { 'main (a.py:1)': 2 })) })).total, 2);
  } finally {
    await worker.close();
  }
});

test('a Pyroscope folded body is read in the worker as in-process; a bad line is a ProfileFormatError naming it', async () => {
  const worker = new PrepareWorker();
  const local = new ChunkPreparer();
  const meta = {
    service: 'py',
    labels: { env: 'x' },
    from: 1_764_700_000_000,
    until: 1_764_700_010_000,
    unit: 'samples',
    kind: 'cpu',
    sender: 'f',
    seq: 9,
  };
  try {
    const text = 'main;work 7\r\nmain;io 2\n\nmain 1\n';
    const there = await worker.prepare({ text: new TextEncoder().encode(text), format: 'folded', meta });
    const here = local.prepare({ ...meta, ...chunkBody(pyroscopeTextStacks(text, 'folded')) });
    assert.deepEqual([there.ids, there.weights, there.total, there.texts], [here.ids, here.weights, here.total, here.texts]);
    assert.equal(there.total, 10);
    const lines = await worker.prepare({ text: new TextEncoder().encode('a;b\na;b\n'), format: 'lines', meta });
    assert.deepEqual(lines.weights, [2]);
    await assert.rejects(
      worker.prepare({ text: new TextEncoder().encode('a;b 1\na;b twelve\n'), format: 'folded', meta }),
      (err: Error) => err instanceof ProfileFormatError && /line 2/.test(err.message),
    );
  } finally {
    await worker.close();
  }
});
