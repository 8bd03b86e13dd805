/**
 * Frame categories survive streaming: a PyPy-shaped profile (Python code running as JIT code,
 * the GC, native code, an idle wait) cut into a chunk, stored in the SQLite series store,
 * merged back and read as the profile the continuous page shows keeps each frame's category.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileBuilder } from '../../src/model/builder.js';
import { CATEGORIES, FUNCTION_KINDS, funcName, type Profile } from '../../src/model/profile.js';
import { chunkBody, decodeChunk, encodeChunk, profileStacks } from '../../src/formats/stream-chunk.js';
import { readCollapsed } from '../../src/formats/collapsed.js';
import { SqliteSeriesStore } from '../../src/server/series/sqlite.js';
import { profileFromStacks } from '../../src/server/series/analysis.js';

function pypyShaped(): Profile {
  const b = new ProfileBuilder('vmprof', { interpreter: 'pypy' });
  const t = b.thread('1', 'main');
  const main = b.func('main', 'app.py', 1, 'python');
  const work = b.func('work', 'app.py', 5, 'python');
  const gc = b.func('gc_collect_step', '', 0, 'gc');
  const memcpy = b.func('memcpy', 'libc.so.6', 0, 'native');
  const mainFrame = b.frame(main, 2);
  const root = b.stack(-1, mainFrame);
  const add = (frame: number, n: number) => {
    for (let i = 0; i < n; i++) b.addSample(t, b.stack(root, frame), i, 1);
  };
  add(b.frame(work, 6, 'jit'), 7); // work as JIT code
  add(b.frame(work, 6), 3); // work interpreted
  add(b.frame(gc, 0, 'gc'), 2);
  add(b.frame(memcpy, 0, 'native'), 4);
  add(b.frame(work, 7, 'idle'), 5);
  return b.build();
}

/** Weight per `function/kind/category` of leaf frames. */
function leafCategories(p: Profile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of p.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const frame = p.stacks.frame[t.samples.stack[i]];
      const func = p.frames.func[frame];
      const key = `${funcName(p, func)}/${FUNCTION_KINDS[p.funcs.kind[func]]}/${CATEGORIES[p.frames.category[frame]]}`;
      out[key] = (out[key] ?? 0) + t.samples.weight[i];
    }
  }
  return out;
}

test('stream chunks keep frame categories from the sender through the store to the queried profile', async () => {
  const original = pypyShaped();
  const expected = {
    'work/python/jit': 7,
    'work/python/python': 3,
    'gc_collect_step/gc/gc': 2,
    'memcpy/native/native': 4,
    'work/python/idle': 5,
  };
  assert.deepEqual(leafCategories(original), expected);
  const now = Date.now() - 60_000;
  const chunk = decodeChunk(
    encodeChunk({
      service: 'pypy-app',
      labels: {},
      from: now,
      until: now + 10_000,
      unit: 'samples',
      kind: 'cpu',
      sender: 's',
      seq: 1,
      ...chunkBody(profileStacks(original)),
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-categories-'));
  const store = new SqliteSeriesStore(join(dir, 'series.db'));
  try {
    assert.ok((await store.ingest(chunk)).stored);
    const merged = await store.merged({ service: 'pypy-app', labels: {}, from: now - 10_000, to: now + 20_000 });
    const queried = profileFromStacks(merged.stacks, { service: 'pypy-app', from: now, to: now + 10_000 });
    assert.deepEqual(leafCategories(queried), expected);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("collapsed input: flamegraph.pl's _[j] and _[k] annotations are JIT and kernel frames", () => {
  const p = readCollapsed(new TextEncoder().encode('java;Foo::bar_[j];do_syscall_64_[k] 3\nmain;x_[unknown] 1\n'));
  assert.deepEqual(leafCategories(p), { 'do_syscall_64/native/kernel': 3, 'x_[unknown]/other/other': 1 });
  const bar = [...Array(p.frames.length).keys()].find((f) => funcName(p, p.frames.func[f]) === 'Foo::bar');
  assert.equal(CATEGORIES[p.frames.category[bar!]], 'jit');
});
