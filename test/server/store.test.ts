/**
 * The Store contract, run against a real SQLite file and a real PostgreSQL
 * cluster (test/server/pg-cluster.ts): same calls, same answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { PostgresStore } from '../../src/server/store/postgres.js';
import { LATEST_SCHEMA_VERSION } from '../../src/server/store/migrations.js';
import { type ParsedProfileFacts, readBlobBytes, type Store, StoreConflictError } from '../../src/server/store/store.js';
import { startPgCluster, type PgCluster } from './pg-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-store-'));
after(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array) {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return { path, size: bytes.length };
}

function facts(overrides: Partial<ParsedProfileFacts> = {}): ParsedProfileFacts {
  return {
    fileName: 'app.prof',
    format: 'vmprof',
    interpreter: 'cpython',
    startTime: 1000,
    stopTime: 3000,
    arch: '64-bit',
    os: 'linux',
    sampleCount: 10,
    threadCount: 1,
    durationMs: 2000,
    rawSize: 5,
    rawSha256: 'ab',
    rawEncoding: 'gzip',
    modelSize: 7,
    ...overrides,
  };
}

function contract(name: string, open: () => Promise<Store>, reopen: () => Promise<Store>) {
  describe(name, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    test('migrates a fresh database and reopens it unchanged', async () => {
      assert.equal(await (store as SqliteStore | PostgresStore).schemaVersion(), LATEST_SCHEMA_VERSION);
      await store.createRuntime({ id: 'persist-1', name: 'kept', vm: 'PyPy', createdAt: 5 });
      const again = await reopen();
      try {
        assert.equal(await (again as SqliteStore | PostgresStore).schemaVersion(), LATEST_SCHEMA_VERSION);
        assert.equal((await again.getProfile('persist-1'))?.name, 'kept');
      } finally {
        await again.close();
      }
    });

    test('stores raw and model blobs (multi-chunk) atomically and reads them back byte for byte', async () => {
      const raw = randomBytes((2 << 20) + 12345);
      const model = randomBytes(100);
      await store.createRuntime({ id: 'blob-1', name: 'python app.py', vm: 'CPython', createdAt: 10 });
      await store.storeProfile('blob-1', facts(), file('raw1', raw), file('model1', model));
      const row = (await store.getProfile('blob-1'))!;
      assert.equal(row.hasProfile, true);
      assert.equal(row.vm, 'CPython');
      assert.equal(row.sampleCount, 10);
      assert.equal(row.startTime, 1000);
      assert.deepEqual(await readBlobBytes(store, row.rawBlob!), raw);
      assert.deepEqual(await readBlobBytes(store, row.modelBlob!), model);
    });

    test('an empty file is a one-chunk empty blob', async () => {
      await store.createRuntime({ id: 'empty-1', name: '', vm: '', createdAt: 11 });
      await store.storeProfile(
        'empty-1',
        facts({ interpreter: 'pypy' }),
        file('raw-empty', new Uint8Array(0)),
        file('model-empty', new Uint8Array(3)),
      );
      const row = (await store.getProfile('empty-1'))!;
      assert.equal(row.vm, 'pypy', 'a runtime without a VM takes the detected interpreter');
      assert.equal((await readBlobBytes(store, row.rawBlob!)).length, 0);
    });

    test('refuses a second profile, a frozen runtime and a missing one, storing nothing', async () => {
      await assert.rejects(
        store.storeProfile('blob-1', facts(), file('r2', randomBytes(10)), file('m2', randomBytes(10))),
        StoreConflictError,
      );
      await store.createRuntime({ id: 'frozen-1', name: '', vm: '', createdAt: 12 });
      assert.equal(await store.freeze('frozen-1'), true);
      await assert.rejects(store.storeProfile('frozen-1', facts(), file('r3', randomBytes(10)), file('m3', randomBytes(10))), /frozen/);
      assert.equal((await store.getProfile('frozen-1'))!.hasProfile, false);
      await assert.rejects(
        store.storeProfile('missing', facts(), file('r4', randomBytes(10)), file('m4', randomBytes(10))),
        StoreConflictError,
      );
      assert.equal(await store.freeze('missing'), false);
    });

    test('lists uploaded profiles newest first, searches literally and case-insensitively, filters and pages', async () => {
      const names = ['python zq100%_done.py', 'pypy zqBench.py', 'python zqother.py'];
      for (let i = 0; i < names.length; i++) {
        const id = `list-${i}`;
        await store.createRuntime({ id, name: names[i], vm: i === 1 ? 'PyPy' : 'CPython', createdAt: 1_000_000 + i * 86_400_000 });
        await store.storeProfile(
          id,
          facts({ interpreter: i === 1 ? 'pypy' : 'cpython' }),
          file(`lr${i}`, randomBytes(5)),
          file(`lm${i}`, randomBytes(5)),
        );
      }
      await store.createRuntime({ id: 'list-noprofile', name: 'python 100%_done.py', vm: '', createdAt: 9_999_999_999 });
      const all = await store.list({ limit: 100, offset: 0 });
      assert.ok(!all.rows.some((r) => r.id === 'list-noprofile'), 'runtimes without a profile are not listed');
      const created = all.rows.map((r) => r.createdAt);
      assert.deepEqual(
        created,
        [...created].sort((a, b) => b - a),
      );
      assert.deepEqual(
        (await store.list({ text: '100%_', limit: 10, offset: 0 })).rows.map((r) => r.id),
        ['list-0'],
      );
      assert.equal((await store.list({ text: '100%x', limit: 10, offset: 0 })).count, 0, '% is literal');
      assert.deepEqual(
        (await store.list({ text: 'bench', limit: 10, offset: 0 })).rows.map((r) => r.id),
        ['list-1'],
      );
      const pypy = (await store.list({ interpreter: 'PYPY', limit: 10, offset: 0 })).rows;
      assert.deepEqual(pypy.map((r) => r.id).sort(), ['empty-1', 'list-1']);
      const ranged = await store.list({ text: 'zq', from: 1_000_000 + 86_400_000, to: 1_000_000 + 2 * 86_400_000, limit: 10, offset: 0 });
      assert.deepEqual(ranged.rows.map((r) => r.id).sort(), ['list-1', 'list-2']);
      assert.equal((await store.list({ text: 'list-', limit: 1, offset: 0 })).count, 0, 'ids are not searched');
      const paged = await store.list({ text: 'ZQ', limit: 2, offset: 2 });
      assert.equal(paged.count, 3);
      assert.deepEqual(
        paged.rows.map((r) => r.id),
        ['list-0'],
      );
    });

    test('side files are kept with their profile and deleted with it, bytes and all', async () => {
      await store.createRuntime({ id: 'side-1', name: 'x', vm: 'PyPy', createdAt: 20 });
      await store.storeProfile('side-1', facts(), file('sr', randomBytes(50)), file('sm', randomBytes(50)));
      const jit = randomBytes(3000);
      const a = await store.addAttachment(
        {
          id: 'att-1',
          profileId: 'side-1',
          kind: 'jitlog',
          fileName: 'x.jit',
          createdAt: 21,
          size: 3000,
          sha256: 'cd',
          encoding: 'identity',
        },
        file('sj', jit),
      );
      assert.deepEqual(await readBlobBytes(store, a.blob), jit);
      assert.deepEqual(
        (await store.listAttachments('side-1')).map((x) => x.id),
        ['att-1'],
      );
      assert.equal((await store.getAttachment('att-1'))?.kind, 'jitlog');
      const row = (await store.getProfile('side-1'))!;
      assert.equal(await store.deleteProfile('side-1'), true);
      assert.equal(await store.getProfile('side-1'), undefined);
      assert.equal(await store.getAttachment('att-1'), undefined);
      for (const blob of [row.rawBlob!, row.modelBlob!, a.blob]) assert.equal((await readBlobBytes(store, blob)).length, 0);
      assert.equal(await store.deleteProfile('side-1'), false);
      await assert.rejects(
        store.addAttachment(
          { id: 'att-2', profileId: 'side-1', kind: 'jitlog', fileName: '', createdAt: 0, size: 1, sha256: '', encoding: 'gzip' },
          file('sj2', jit),
        ),
        StoreConflictError,
      );
    });

    test('runtimes that never got a profile are swept once old; everything else stays', async () => {
      await store.createRuntime({ id: 'abandoned-old', name: '', vm: '', createdAt: 1 });
      await store.createRuntime({ id: 'abandoned-new', name: '', vm: '', createdAt: 9_000_000_000_000 });
      await store.createRuntime({ id: 'filled-old', name: '', vm: '', createdAt: 2 });
      await store.storeProfile('filled-old', facts(), file('fo-r', randomBytes(5)), file('fo-m', randomBytes(5)));
      const before = (await store.list({ limit: 1000, offset: 0 })).count;
      assert.ok((await store.deleteAbandonedRuntimes(1_000_000)) >= 1);
      assert.equal(await store.getProfile('abandoned-old'), undefined);
      assert.notEqual(await store.getProfile('abandoned-new'), undefined);
      assert.notEqual(await store.getProfile('filled-old'), undefined);
      assert.equal((await store.list({ limit: 1000, offset: 0 })).count, before);
    });

    test('tokens: stored by hash, usable until revoked', async () => {
      const t = await store.createToken('ci', 'hash-1');
      assert.equal((await store.useToken('hash-1'))?.id, t.id);
      assert.notEqual((await store.listTokens()).find((x) => x.id === t.id)?.lastUsedAt, null);
      assert.equal(await store.useToken('hash-2'), undefined);
      assert.equal(await store.revokeToken(t.id), true);
      assert.equal(await store.revokeToken(t.id), false);
      assert.equal(await store.useToken('hash-1'), undefined);
      assert.notEqual((await store.listTokens()).find((x) => x.id === t.id)?.revokedAt, null);
    });

    test('concurrent uploads into different runtimes all land; racing uploads into one runtime store exactly one', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `conc-${i}`);
      for (const id of ids) await store.createRuntime({ id, name: id, vm: '', createdAt: 30 });
      const payloads = ids.map(() => randomBytes(70_000));
      await Promise.all(ids.map((id, i) => store.storeProfile(id, facts(), file(`cr${i}`, payloads[i]), file(`cm${i}`, randomBytes(9)))));
      for (let i = 0; i < ids.length; i++)
        assert.deepEqual(await readBlobBytes(store, (await store.getProfile(ids[i]))!.rawBlob!), payloads[i]);
      await store.createRuntime({ id: 'race-1', name: '', vm: '', createdAt: 31 });
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          store.storeProfile('race-1', facts(), file(`rr${i}`, randomBytes(10)), file(`rm${i}`, randomBytes(10))),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });
  });
}

const sqlitePath = join(work, 'sub', 'store.db');
contract(
  'SQLite store',
  async () => SqliteStore.open(sqlitePath),
  async () => SqliteStore.open(sqlitePath),
);

let cluster: PgCluster | undefined;
let pgUrl = '';
contract(
  'PostgreSQL store',
  async () => {
    cluster = await startPgCluster();
    pgUrl = await cluster.createDatabase('store_contract');
    return PostgresStore.open(pgUrl);
  },
  async () => PostgresStore.open(pgUrl),
);
after(() => cluster?.stop());

test('a database from a newer pyrometer is refused with a clear message, not used', async () => {
  const path = join(work, 'newer.db');
  const store = SqliteStore.open(path);
  await store.close();
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path);
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA_VERSION + 1);
  db.close();
  assert.throws(() => SqliteStore.open(path), new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this pyrometer`));
});
