/**
 * The loader's catalog (formats/catalog.ts: signatures plus lazy readers) and all.ts (every format,
 * registered) must describe the same readers in the same sniffing order, with the same sniff: the
 * catalog picks what sniffFormat would have picked, loading one reader instead of all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readers, readerByName, sniffReader } from '../../src/formats/catalog.js';
import { allFormats, formatByName, sniffFormat } from '../../src/formats/all.js';
import { fixture, testData } from '../helpers.js';

test('the catalog lists every format that reads, in all.ts order, with the same name, extensions and sniff', async () => {
  const reading = allFormats().filter((f) => f.read || f.readStream);
  assert.deepEqual(
    readers.map((r) => r.name),
    reading.map((f) => f.name),
  );
  for (const [i, entry] of readers.entries()) {
    const format = reading[i];
    assert.deepEqual(entry.extensions, format.extensions, entry.name);
    assert.equal(entry.description, format.description, entry.name);
    assert.equal(entry.sniff, format.sniff, `${entry.name}: the format's sniff is its signature's`);
    assert.equal(await entry.load(), format, `${entry.name}: load() gives the registered format`);
  }
});

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

test('sniffing through the catalog picks what sniffFormat picks, for every fixture and test file', () => {
  let files = 0;
  const picked = new Set<string>();
  for (const path of [...filesUnder(fixture('')), ...filesUnder(testData(''))]) {
    let bytes: Uint8Array = readFileSync(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    const head = bytes.subarray(0, 64 * 1024);
    for (const fileName of [basename(path), undefined]) {
      const name = sniffFormat(head, fileName)?.name;
      assert.equal(sniffReader(head, fileName)?.name, name, `${path} as ${fileName}`);
      if (name) picked.add(name);
    }
    files++;
  }
  assert.ok(files > 100 && picked.size >= 10, `${files} files, formats ${[...picked]}`);
});

test('a format forced by name or extension is the one formatByName gives; writers without a reader are not in it', () => {
  for (const name of ['pstats', 'cprof', 'LOG', 'pb.gz', 'txt', 'vmprof'])
    assert.equal(readerByName(name)?.name, formatByName(name)?.name, name);
  assert.equal(readerByName('svg'), undefined);
  assert.equal(readerByName('dot'), undefined);
});
