import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadProfile, loadProfileBytes } from '../../src/formats/load.js';
import { ProfileFormatError, UnknownFormatError } from '../../src/formats/errors.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import type { Profile } from '../../src/model/profile.js';
import { funcName } from '../../src/model/profile.js';
import { fixture } from '../helpers.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-load-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a reader made of a file, in a form two loads can be compared by: self weight per function name. */
function selfByName(profile: Profile): Record<string, number> {
  const { self } = functionTable(profile, stackWeights(profile));
  const out: Record<string, number> = {};
  for (let f = 0; f < self.length; f++) if (self[f] > 0) out[funcName(profile, f)] = (out[funcName(profile, f)] ?? 0) + self[f];
  return out;
}

test('plain, gzip-compressed, streamed and in-memory loads give the same profile', async () => {
  const path = fixture('vmprof/vmprof_cpuburn.prof');
  const bytes = readFileSync(path);
  const gz = join(dir, 'cpuburn.prof.gz');
  writeFileSync(gz, gzipSync(bytes));
  const plain = await loadProfile(path);
  assert.equal(plain.meta.format, 'vmprof');
  const expected = selfByName(plain);
  assert.ok(Object.keys(expected).length > 5);
  assert.deepEqual(selfByName(await loadProfile(gz)), expected, 'gzip');
  // streamThreshold 0: the VMProf streaming reader gets the chunks.
  assert.deepEqual(selfByName(await loadProfile(path, { streamThreshold: 0 })), expected, 'streamed');
  assert.deepEqual(selfByName(await loadProfile(gz, { streamThreshold: 0 })), expected, 'gzip streamed');
  assert.deepEqual(selfByName(await loadProfileBytes(new Uint8Array(bytes), 'cpuburn.prof')), expected, 'bytes');
  assert.deepEqual(selfByName(await loadProfileBytes(new Uint8Array(gzipSync(bytes)))), expected, 'gzip bytes');
});

test('progress reports reach the file size', async () => {
  const path = fixture('vmprof/example_with_lines.prof');
  const size = statSync(path).size;
  const seen: [number, number][] = [];
  await loadProfile(path, { onProgress: (done, total) => seen.push([done, total]) });
  assert.ok(seen.length >= 1);
  assert.deepEqual(seen[seen.length - 1], [size, size]);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] >= seen[i - 1][0], 'never goes backwards');
});

test('serialized models load (the server storage form)', async () => {
  const original = await loadProfile(fixture('vmprof/example.prof'));
  const path = join(dir, 'example.model');
  writeFileSync(path, serializeProfile(original));
  const again = await loadProfile(path);
  assert.deepEqual(selfByName(again), selfByName(original));
  const gz = join(dir, 'example.model.gz');
  writeFileSync(gz, gzipSync(serializeProfile(original)));
  assert.deepEqual(selfByName(await loadProfile(gz)), selfByName(original));
});

test('errors: unknown content, unknown forced format, truncated gzip, missing file', async () => {
  const words = join(dir, 'words.prof');
  writeFileSync(words, 'no profile here\n'.repeat(100));
  await assert.rejects(loadProfile(words), (e) => e instanceof UnknownFormatError && e.message.includes('words.prof'));
  await assert.rejects(
    loadProfile(fixture('vmprof/example.prof'), { format: 'nonsense' }),
    (e) => e instanceof UnknownFormatError && /nonsense/.test(e.message),
  );
  // Forcing the right format works whatever the name.
  const renamed = join(dir, 'data.bin');
  writeFileSync(renamed, readFileSync(fixture('vmprof/example.prof')));
  assert.equal((await loadProfile(renamed, { format: 'vmprof' })).meta.format, 'vmprof');
  const gz = gzipSync(readFileSync(fixture('vmprof/vmprof_cpuburn.prof')));
  const truncated = join(dir, 'truncated.prof.gz');
  writeFileSync(truncated, gz.subarray(0, gz.length - 100));
  await assert.rejects(loadProfile(truncated), (e) => e instanceof ProfileFormatError && e.format === 'gzip' && e.offset > 0);
  const garbled = Buffer.from(gz);
  garbled.fill(0xff, 20, 60);
  const corrupt = join(dir, 'corrupt.prof.gz');
  writeFileSync(corrupt, garbled);
  await assert.rejects(loadProfile(corrupt), (e) => e instanceof ProfileFormatError && e.format === 'gzip');
  await assert.rejects(loadProfile(join(dir, 'missing.prof')), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  await assert.rejects(loadProfile(dir), (e) => (e as NodeJS.ErrnoException).code === 'EISDIR');
});

test('the loader picks VMProf without the other readers only where sniffing all would pick it too', async () => {
  // its premise: VMProf is first in the sniffing order, so it wins every tie but a file name's
  const { allFormats, sniffFormat } = await import('../../src/formats/all.js');
  assert.equal(allFormats()[0].name, 'vmprof');
  const bytes = new Uint8Array(readFileSync(fixture('vmprof/pypy-wordcount-opt.prof')));
  for (const name of ['run.prof', 'run.vmprof', 'run.prof.gz', 'run'])
    assert.equal(sniffFormat(bytes.subarray(0, 65536), name)?.name, 'vmprof');
  assert.equal((await loadProfileBytes(bytes, 'run.prof')).meta.format, 'vmprof');
});
