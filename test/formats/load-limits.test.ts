import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadProfile, loadProfileBytes } from '../../src/formats/load.js';
import { ProfileFormatError } from '../../src/formats/errors.js';

// A small zip bomb: 8 MiB of collapsed-stack lines compress to a few KiB.
const plain = Buffer.from('a;b;c 1\n'.repeat(1024 * 1024));
const bomb = gzipSync(plain, { level: 9 });
const limit = 1024 * 1024;

const isLimitError = (format: string) => (e: unknown) =>
  e instanceof ProfileFormatError &&
  e.format === format &&
  /exceeds the limit of 1048576 bytes/.test(e.message) &&
  !e.message.includes('\n');

test('loader: maxBytes stops a gzip bomb with one error, for files and uploads', async () => {
  assert.ok(bomb.length < plain.length / 100, `bomb is ${bomb.length} bytes`);
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-load-'));
  try {
    const path = join(dir, 'stacks.txt.gz');
    writeFileSync(path, bomb);
    await assert.rejects(loadProfile(path, { maxBytes: limit }), isLimitError('gzip'));
    await assert.rejects(loadProfileBytes(new Uint8Array(bomb), 'stacks.txt.gz', undefined, limit), isLimitError('gzip'));
    // An uncompressed file over the limit fails the same way.
    const big = join(dir, 'stacks.txt');
    writeFileSync(big, plain);
    await assert.rejects(loadProfile(big, { maxBytes: limit }), isLimitError('input'));
    // Under the limit, the same content loads: 1M samples.
    const p = await loadProfile(path, { maxBytes: plain.length });
    assert.equal(p.meta.format, 'collapsed');
    assert.equal(p.threads[0].samples.length, 1024 * 1024);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
