/**
 * The continuous store contract, run against SQLite and real ClickHouse
 * servers (one, and two as a 2-shard Distributed cluster: test/server/clickhouse-cluster.ts).
 * Same calls, same answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkBody, type StreamChunk } from '../../src/formats/stream-chunk.js';
import { SqliteSeriesStore } from '../../src/server/series/sqlite.js';
import { ClickHouseSeriesStore } from '../../src/server/series/clickhouse.js';
import { ChunkPreparer } from '../../src/server/series/chunk-preparer.js';
import { type SeriesStore } from '../../src/server/series/store.js';
import { startClickHouse, type ClickHouseCluster } from './clickhouse-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-series-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HOUR = 3_600_000;
/** Two hours ago, on an hour boundary: every resolution still holds it. */
const BASE = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;

function chunk(over: Partial<StreamChunk> & { at: number; stacks: Record<string, number> }): StreamChunk {
  const { at, stacks, ...rest } = over;
  return {
    service: 'api',
    labels: { host: 'h1', version: '1.2' },
    from: at,
    until: at + 10_000,
    unit: 'samples',
    kind: 'cpu',
    sender: '',
    seq: 0,
    ...chunkBody(Object.entries(stacks).map(([stack, weight]) => ({ stack, weight }))),
    ...rest,
  };
}

const asObject = (stacks: { stack: string; weight: number }[]) => Object.fromEntries(stacks.map((s) => [s.stack, s.weight]).sort());

function contract(name: string, open: () => Promise<SeriesStore>) {
  describe(name, () => {
    let store: SeriesStore;
    before(async () => {
      store = await open();
      // Phase A then phase B in one series, one chunk per 10 s; a second series (another version) all along.
      const chunks: StreamChunk[] = [];
      for (let i = 0; i < 12; i++) {
        const at = BASE + i * 10_000;
        chunks.push(
          chunk({
            at,
            sender: 's1',
            seq: i,
            stacks:
              i < 6
                ? { 'main (app.py:1);a (app.py:5)': 10, 'main (app.py:1)': 1 }
                : { 'main (app.py:1);b (app.py:9)': 10, 'main (app.py:1)': 1 },
          }),
        );
        chunks.push(chunk({ at, labels: { host: 'h2', version: '1.3' }, stacks: { 'main (app.py:1);b (app.py:9)': 4 } }));
      }
      const results = await Promise.all(chunks.map((c) => store.ingest(c)));
      assert.ok(results.every((r) => r.stored));
      if (store instanceof ClickHouseSeriesStore) await store.optimize();
    });
    after(async () => {
      await store.close();
    });

    test("a range of one phase merges to that phase's stacks", async () => {
      const phaseA = await store.merged({ service: 'api', labels: { version: '1.2' }, from: BASE, to: BASE + 60_000 });
      assert.equal(phaseA.resolutionMs, 10_000);
      assert.deepEqual(asObject(phaseA.stacks), { 'main (app.py:1)': 6, 'main (app.py:1);a (app.py:5)': 60 });
      const phaseB = await store.merged({ service: 'api', labels: { version: '1.2' }, from: BASE + 60_000, to: BASE + 120_000 });
      assert.deepEqual(asObject(phaseB.stacks), { 'main (app.py:1)': 6, 'main (app.py:1);b (app.py:9)': 60 });
    });

    test('label filters select series; no filter merges them', async () => {
      const all = await store.merged({ service: 'api', from: BASE, to: BASE + 120_000 });
      assert.deepEqual(asObject(all.stacks), {
        'main (app.py:1)': 12,
        'main (app.py:1);a (app.py:5)': 60,
        'main (app.py:1);b (app.py:9)': 108,
      });
      const h2 = await store.merged({ service: 'api', labels: { host: 'h2' }, from: BASE, to: BASE + 120_000 });
      assert.deepEqual(asObject(h2.stacks), { 'main (app.py:1);b (app.py:9)': 48 });
      assert.deepEqual((await store.merged({ service: 'api', labels: { host: 'nope' }, from: BASE, to: BASE + 120_000 })).stacks, []);
      assert.deepEqual((await store.merged({ service: 'other', from: BASE, to: BASE + 120_000 })).stacks, []);
    });

    test('a resent chunk (same sender and seq) is stored once', async () => {
      // A resent chunk is the same chunk (same series and time); its weights changed here only to show they are not added.
      const again = await store.ingest(
        chunk({ at: BASE + 30_000, sender: 's1', seq: 3, stacks: { 'main (app.py:1);a (app.py:5)': 1000 } }),
      );
      assert.equal(again.stored, false);
      const phaseA = await store.merged({ service: 'api', labels: { version: '1.2' }, from: BASE, to: BASE + 60_000 });
      assert.equal(asObject(phaseA.stacks)['main (app.py:1);a (app.py:5)'], 60);
    });

    test('timeline: weight per 10 s bucket', async () => {
      const t = await store.timeline({ service: 'api', from: BASE, to: BASE + 120_000 });
      assert.equal(t.points.length, 12);
      assert.deepEqual(t.points[0], { time: BASE, weight: 15 });
      assert.deepEqual(t.points[11], { time: BASE + 110_000, weight: 15 });
    });

    test('rollups: 1 min and 1 h buckets hold the same sums', async () => {
      const minute = await store.timeline({ service: 'api', from: BASE, to: BASE + 120_000, resolutionMs: 60_000 });
      assert.deepEqual(minute.points, [
        { time: BASE, weight: 90 },
        { time: BASE + 60_000, weight: 90 },
      ]);
      const hour = await store.merged({ service: 'api', labels: { version: '1.2' }, from: BASE, to: BASE + HOUR, resolutionMs: 3_600_000 });
      assert.deepEqual(asObject(hour.stacks), {
        'main (app.py:1)': 12,
        'main (app.py:1);a (app.py:5)': 60,
        'main (app.py:1);b (app.py:9)': 60,
      });
      // A 7-day range reads hours without being told.
      const week = await store.timeline({ service: 'api', from: BASE - 7 * 24 * HOUR + HOUR, to: BASE + HOUR });
      assert.equal(week.resolutionMs, 3_600_000);
      assert.deepEqual(week.points, [{ time: BASE, weight: 180 }]);
    });

    test('stacks per bucket for top functions over time', async () => {
      const b = await store.bucketStacks({ service: 'api', labels: { version: '1.2' }, from: BASE + 50_000, to: BASE + 70_000 });
      assert.deepEqual(
        b.buckets.map((x) => [x.time, asObject(x.stacks)]),
        [
          [BASE + 50_000, { 'main (app.py:1)': 1, 'main (app.py:1);a (app.py:5)': 10 }],
          [BASE + 60_000, { 'main (app.py:1)': 1, 'main (app.py:1);b (app.py:9)': 10 }],
        ],
      );
    });

    test('services list their label values', async () => {
      const services = await store.services();
      assert.equal(services.length, 1);
      assert.equal(services[0].service, 'api');
      assert.equal(services[0].series, 2);
      assert.deepEqual(services[0].labels, { host: ['h1', 'h2'], version: ['1.2', '1.3'] });
      assert.equal(services[0].lastSeen, BASE + 120_000);
    });

    /** PyPy-like phases: a GC step every 2 s with a nested one inside, and a JIT phase crossing a chunk boundary. */
    const phases = (at: number, host: string): StreamChunk['markers'] => [
      ...[0, 2000, 4000, 6000, 8000].flatMap((t) => [
        { name: 'gc-minor', start: at + t + 100, end: at + t + 103.5, category: 'gc' as const, depth: 0 },
        { name: 'gc-minor-walkroots', start: at + t + 100.25, end: at + t + 101, category: 'gc' as const, depth: 1 },
      ]),
      ...(host === 'p1' ? [{ name: 'jit-tracing', start: at + 9_000, end: at + 9_990, category: 'jit' as const, depth: 0 }] : []),
    ];
    const pypyChunk = (i: number, host: string) =>
      chunk({
        service: 'pypy',
        labels: { host },
        at: BASE + i * 10_000,
        sender: host,
        seq: i,
        stacks: { 'main (p.py:1)': 3 },
        markers: phases(BASE + i * 10_000, host),
      });

    test('markers: kept per series, returned by range (overlapping, exact) and label, once even when a chunk is resent', async () => {
      const results = await Promise.all([0, 1, 2].flatMap((i) => [store.ingest(pypyChunk(i, 'p1')), store.ingest(pypyChunk(i, 'p2'))]));
      assert.ok(results.every((r) => r.stored));
      assert.equal((await store.ingest(pypyChunk(1, 'p1'))).stored, false); // a resend after a lost acknowledgement
      // A chunk without markers (an older sender) beside them.
      await store.ingest(
        chunk({ service: 'pypy', labels: { host: 'p1' }, at: BASE + 30_000, sender: 'p1', seq: 3, stacks: { 'main (p.py:1)': 3 } }),
      );
      if (store instanceof ClickHouseSeriesStore) await store.optimize();
      const one = await store.markers({ service: 'pypy', labels: { host: 'p1' }, from: BASE, to: BASE + 40_000 });
      assert.deepEqual(
        one,
        [0, 1, 2].flatMap((i) => phases(BASE + i * 10_000, 'p1')!).sort((a, b) => a.start - b.start || a.depth - b.depth),
      );
      const both = await store.markers({ service: 'pypy', from: BASE, to: BASE + 40_000 });
      assert.equal(both.length, 3 * 21);
      assert.equal(both.filter((m) => m.category === 'jit').length, 3);
      // Inside one chunk, not on bucket edges: [BASE + 12,101.5, BASE + 18,101) overlaps the gc-minor step that began at
      // 12,100 (not its walkroots, over at 12,101) and those to 18,100 with theirs, not 19,000's JIT phase.
      const inside = await store.markers({ service: 'pypy', labels: { host: 'p1' }, from: BASE + 12_101.5, to: BASE + 18_101 });
      assert.deepEqual(
        inside.map((m) => `${m.name}@${m.start - BASE}`),
        [
          'gc-minor@12100',
          'gc-minor@14100',
          'gc-minor-walkroots@14100.25',
          'gc-minor@16100',
          'gc-minor-walkroots@16100.25',
          'gc-minor@18100',
          'gc-minor-walkroots@18100.25',
        ],
      );
      assert.deepEqual(await store.markers({ service: 'pypy', labels: { host: 'p3' }, from: BASE, to: BASE + 40_000 }), []);
      assert.deepEqual(await store.markers({ service: 'nobody', from: BASE, to: BASE + 40_000 }), []);
    });

    test('expiry drops each resolution after its own retention', async () => {
      assert.ok((await store.diskBytes()) > 0);
      await store.expire(BASE + 2 * 86_400_000); // two days later: 10 s rows gone, 1 min and 1 h kept
      assert.deepEqual(await store.markers({ service: 'pypy', from: BASE, to: BASE + 40_000 }), [], 'markers go with the 10 s rows');
      assert.deepEqual((await store.timeline({ service: 'api', from: BASE, to: BASE + 120_000, resolutionMs: 10_000 })).points, []);
      assert.equal((await store.timeline({ service: 'api', from: BASE, to: BASE + 120_000, resolutionMs: 60_000 })).points.length, 2);
      await store.expire(BASE + 40 * 86_400_000); // past the 30-day retention: nothing left
      assert.deepEqual((await store.merged({ service: 'api', from: BASE, to: BASE + HOUR, resolutionMs: 3_600_000 })).stacks, []);
    });

    /** Chunk number seq of one sender, at the seq-th 10 s of BASE. */
    const numbered = (service: string, sender: string, stacks: Record<string, number>) => (seq: number) =>
      chunk({ service, labels: { host: 'r1' }, at: BASE + seq * 10_000, sender, seq, stacks });
    const replayed = (seq: number, weight = 5) => numbered('replay', 'replayer', { 'main (r.py:1)': weight })(seq);
    const replayTotal = async () =>
      (await store.merged({ service: 'replay', from: BASE, to: BASE + HOUR })).stacks.reduce((n, s) => n + s.weight, 0);

    test('a chunk replayed after a lost acknowledgement is stored once: by a fresh server, after merges, and twice at once', async () => {
      assert.equal((await store.ingest(replayed(1))).stored, true);
      if (store instanceof ClickHouseSeriesStore) await store.optimize(); // the record of the chunk must survive merges
      // The acknowledgement was lost and the server restarted: a new store on the same data, no memory of the chunk.
      const restarted = await open();
      try {
        assert.equal((await restarted.ingest(replayed(1))).stored, false);
        // The sender gave up waiting and sent again while the first copy was still being written.
        const both = await Promise.all([restarted.ingest(replayed(2)), restarted.ingest(replayed(2))]);
        assert.deepEqual(both.map((r) => r.stored).sort(), [false, true]);
      } finally {
        await restarted.close();
      }
      assert.equal(await replayTotal(), 10);
    });
    test('chunks with many distinct frames and stacks keep every stack apart', async () => {
      // The ClickHouse store numbers frames (at most 65,536, lowered here to 1,000): 600 frames, then
      // 600 others (the numbering starts over between them), then 14,000 in one chunk (more than
      // it numbers: stacks taken by their text). The 15,200 stacks of the merged answer also need
      // their texts fetched in more than one query (one query's ids are bounded by max_query_size).
      const limit = ChunkPreparer.frameNumberLimit;
      ChunkPreparer.frameNumberLimit = 1_000;
      const wide = (prefix: string, n: number, at: number) =>
        chunk({
          service: 'wide',
          labels: {},
          at,
          stacks: Object.fromEntries(Array.from({ length: n }, (_, i) => [`main (w.py:1);${prefix}${i} (w.py:${i})`, 1 + (i % 3)])),
        });
      try {
        for (const [prefix, n, at] of [
          ['a', 600, BASE],
          ['b', 600, BASE + 10_000],
          ['c', 14_000, BASE + 20_000],
        ] as const)
          assert.equal((await store.ingest(wide(prefix, n, at))).stored, true);
      } finally {
        ChunkPreparer.frameNumberLimit = limit;
      }
      const merged = await store.merged({ service: 'wide', from: BASE, to: BASE + 60_000 });
      const byStack = asObject(merged.stacks);
      assert.equal(merged.stacks.length, 15_200);
      for (const [prefix, i] of [
        ['a', 0],
        ['a', 599],
        ['b', 7],
        ['b', 598],
        ['c', 1_001],
        ['c', 13_999],
      ] as const)
        assert.equal(byStack[`main (w.py:1);${prefix}${i} (w.py:${i})`], 1 + (i % 3), `${prefix}${i}`);
    });

    test('a burst of 400 chunks, each sent again while the first copies are being written, counts every chunk once', async () => {
      // The second copies come while the ClickHouse store writes the first ones: they go out in a
      // later batch, and are cancelled after it counts them (see Once only).
      const burst = (sender: number, seq: number) =>
        chunk({
          service: 'burst',
          labels: { sender: String(sender) },
          at: BASE + seq * 10_000,
          sender: `burst-${sender}`,
          seq,
          stacks: { 'main (b.py:1);x (b.py:2)': 3, 'main (b.py:1)': 1 },
        });
      const all = Array.from({ length: 400 }, (_, i) => burst(i % 40, Math.floor(i / 40)));
      const first = Promise.all(all.map((c) => store.ingest(c)));
      await new Promise((resolve) => setTimeout(resolve, 8));
      const second = Promise.all(all.map((c) => store.ingest(c)));
      const results = [...(await first), ...(await second)];
      assert.equal(results.length, 800);
      assert.ok(results.filter((r) => r.stored).length <= 400);
      for (const resolutionMs of [10_000, 60_000, 3_600_000]) {
        const merged = await store.merged({ service: 'burst', from: BASE, to: BASE + HOUR, resolutionMs });
        assert.deepEqual(asObject(merged.stacks), { 'main (b.py:1)': 400, 'main (b.py:1);x (b.py:2)': 1200 }, `at ${resolutionMs} ms`);
      }
    });

    const raced = numbered('race', 'racer', { 'main (r.py:1);hot (r.py:2)': 7 });
    /** The race service's total at each resolution: 10 s, 1 min, 1 h. */
    const raceTotals = async () =>
      Promise.all(
        [10_000, 60_000, 3_600_000].map(async (resolutionMs) =>
          (await store.merged({ service: 'race', from: BASE, to: BASE + HOUR, resolutionMs })).stacks.reduce((n, s) => n + s.weight, 0),
        ),
      );

    test('two servers on the same data given the same chunk at once: it counts once at every resolution', async () => {
      // SQLite: one file, one writer at a time (the check is in the write's transaction); ClickHouse: see the forced race below.
      const other = await open();
      try {
        const results = await Promise.all([store.ingest(raced(1)), other.ingest(raced(1))]);
        assert.ok(results.some((r) => r.stored === false));
      } finally {
        await other.close();
      }
      assert.deepEqual(await raceTotals(), [7, 7, 7]);
    });
    if (name.startsWith('ClickHouse')) {
      test('ClickHouse: two servers both write the same chunk before either counts its copies; it counts once, also after merges', async () => {
        // Forces the race: each server's samples insert lands, then waits until the other's has landed too.
        const other = await open();
        let landed = 0;
        let bothLanded!: () => void;
        const barrier = new Promise<void>((resolve) => {
          bothLanded = resolve;
        });
        const hold = (s: SeriesStore) => {
          const client = (s as unknown as { client: { insert: (p: { table: string }) => Promise<unknown> } }).client;
          const insert = client.insert.bind(client);
          client.insert = async (params) => {
            const result = await insert(params);
            if (params.table.includes('cp_samples_10s')) {
              if (++landed === 2) bothLanded();
              await barrier;
            }
            return result;
          };
          return () => {
            client.insert = insert;
          };
        };
        const release = [hold(store), hold(other)];
        try {
          const results = await Promise.all([store.ingest(raced(2)), other.ingest(raced(2))]);
          assert.equal(landed, 2, 'both copies were written');
          // Each counted two copies: neither says it stored the chunk, and it is there once.
          assert.deepEqual(
            results.map((r) => r.stored),
            [false, false],
          );
        } finally {
          for (const r of release) r();
          await other.close();
        }
        assert.deepEqual(await raceTotals(), [14, 14, 14]);
        await (store as ClickHouseSeriesStore).optimize();
        assert.deepEqual(await raceTotals(), [14, 14, 14], 'merges keep one correction per copy');
        const minute = await store.timeline({ service: 'race', from: BASE, to: BASE + HOUR, resolutionMs: 60_000 });
        assert.deepEqual(minute.points, [{ time: BASE, weight: 14 }]);
      });

      test('ClickHouse: the samples insert landed but its answer was lost; the resent chunk is not added again', async () => {
        // Forces the lost answer: the insert of the 10 s rows runs, then the store is told it failed.
        const client = (store as unknown as { client: { insert: (p: { table: string }) => Promise<unknown> } }).client;
        const insert = client.insert.bind(client);
        client.insert = async (params) => {
          const result = await insert(params);
          if (params.table.includes('cp_samples_10s')) throw new Error('connection reset (forced by the test)');
          return result;
        };
        try {
          await assert.rejects(store.ingest(replayed(3)), /forced by the test/);
        } finally {
          client.insert = insert;
        }
        const before = await replayTotal();
        assert.equal((await store.ingest(replayed(3))).stored, false, 'the resent chunk is recognised');
        assert.equal(await replayTotal(), before);
        assert.equal(before, 15, 'and its first copy counts');
      });
    }
  });
}

contract('SQLite', async () => new SqliteSeriesStore(join(work, 'series.db')));

let single: ClickHouseCluster;
let sharded: ClickHouseCluster;
before(async () => {
  [single, sharded] = await Promise.all([startClickHouse(1), startClickHouse(2)]);
});
after(() => {
  single?.stop();
  sharded?.stop();
});
contract('ClickHouse, one server', async () => ClickHouseSeriesStore.open(single.url('pyrometer_test')));
contract('ClickHouse, 2 shards (Distributed)', async () => ClickHouseSeriesStore.open(sharded.url('pyrometer_test')));
