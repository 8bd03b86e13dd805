/**
 * Every reader's output keeps the model's invariants (test/model/invariants.ts): each fixture
 * (real files in test/fixtures, test/data/formats) read by the reader the registry picks, whole
 * and in small chunks when the reader streams; each writer's output read back by the same format;
 * and every registered reader must be reached by one of these (or be listed as checked by its own
 * tests), so a new reader is checked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { allFormats, formatByName, sniffFormat, type Format } from '../../src/formats/all.js';
import { fixturesDir, projectRoot, testData } from '../helpers.js';
import { assertModelInvariants } from '../model/invariants.js';
import { syntheticProfile } from './writer-profiles.js';
import { SNIFF_BYTES } from './format-helpers.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Programs, generators and notes kept beside the profiles they made: not profiles. */
const NOT_PROFILES = /\/programs\/|\.(md|py|c|sh)$/;
/** Inputs the registry does not sniff by design, read with the format their own tests name. */
const NOT_SNIFFED: Record<string, string> = { 'work.protocol0.lprof': 'lprof' };

const inputs = [...files(fixturesDir), ...files(testData('formats'))].filter((f) => !NOT_PROFILES.test(f)).sort();
const reached = new Set<string>();

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Readers take uncompressed bytes: the file loader inflates gzip first, and so does this test. */
const inflated = (bytes: Uint8Array): Uint8Array => (bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes);

async function readEveryWay(format: Format, compressed: Uint8Array, fileName: string, what: string): Promise<void> {
  const bytes = inflated(compressed);
  if (format.read) assertModelInvariants(format.read(bytes, { fileName }), `${what} (read)`);
  if (format.readStream) assertModelInvariants(await format.readStream(chunks(bytes, 4093), { fileName }), `${what} (readStream)`);
  reached.add(format.name);
}

for (const path of inputs) {
  const name = relative(projectRoot, path);
  test(`invariants: ${name}`, async () => {
    const bytes = new Uint8Array(readFileSync(path));
    const forced = NOT_SNIFFED[basename(path)];
    const format = forced ? formatByName(forced) : sniffFormat(inflated(bytes).subarray(0, SNIFF_BYTES), path);
    assert.ok(format, `no reader picks ${name}`);
    await readEveryWay(format, bytes, path, name);
  });
}

for (const format of allFormats().filter((f) => f.write && (f.read || f.readStream))) {
  test(`invariants: ${format.name} written, then read back`, async () => {
    const written = format.write!(syntheticProfile(), {});
    const bytes = typeof written === 'string' ? new TextEncoder().encode(written) : written;
    await readEveryWay(format, bytes, `synthetic.${format.extensions[0] ?? 'out'}`, `${format.name} round trip`);
  });
}

/**
 * Readers whose tests make their inputs at test time (scalene's JSON is synthesized there), not kept
 * as fixtures: those tests run assertModelInvariants on what they read (scalene.test.ts).
 */
const CHECKED_BY_THEIR_OWN_TESTS = new Set(['scalene']);

test('invariants: every reader was reached by a fixture or a round trip', () => {
  const readers = allFormats()
    .filter((f) => (f.read || f.readStream) && !CHECKED_BY_THEIR_OWN_TESTS.has(f.name))
    .map((f) => f.name);
  assert.deepEqual(
    readers.filter((name) => !reached.has(name)),
    [],
  );
});
