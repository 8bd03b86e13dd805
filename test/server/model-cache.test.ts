import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelCache } from '../../src/server/model-cache.js';
import type { Store } from '../../src/server/store/store.js';

/** A store that only serves blobs, counting reads. */
function blobStore(blobs: Record<string, number>) {
  const reads: string[] = [];
  const store = {
    async *readBlob(blob: string) {
      reads.push(blob);
      yield Buffer.alloc(blobs[blob], blob.charCodeAt(0));
    },
  } as unknown as Store;
  return { store, reads };
}

test('the model cache serves repeat opens from memory and evicts the least recently used past its budget', async () => {
  const { store, reads } = blobStore({ a: 10, b: 10, c: 10, d: 10, e: 10, huge: 500 });
  const cache = new ModelCache(store, 40);
  assert.equal((await cache.get('a'))[0], 'a'.charCodeAt(0));
  await cache.get('a');
  assert.deepEqual(reads, ['a']);
  for (const blob of ['b', 'c', 'd']) await cache.get(blob);
  await cache.get('a'); // a is now the most recent
  await cache.get('e'); // 50 bytes > 40: b, the least recently used, goes
  await cache.get('a');
  await cache.get('c');
  await cache.get('b');
  assert.deepEqual(reads, ['a', 'b', 'c', 'd', 'e', 'b']);
  await cache.get('huge');
  await cache.get('huge');
  assert.deepEqual(reads.slice(-2), ['huge', 'huge'], 'entries over a quarter of the budget are not kept');
  cache.forget('a');
  await cache.get('a');
  assert.equal(reads.at(-1), 'a');
});
