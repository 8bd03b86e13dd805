/** Paths every test uses: the project root and the real-profile fixtures kept in test/fixtures (PROVENANCE.md there). */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesDir = resolve(projectRoot, 'test/fixtures');

/** Absolute path of a file under test/fixtures, e.g. fixture('vmprof/example.prof'). */
export function fixture(relative: string): string {
  return resolve(fixturesDir, relative);
}

export function fixtureBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixture(relative)));
}

/** Absolute path of a file in the project's own test data (test/data/...). */
export function testData(relative: string): string {
  return resolve(projectRoot, 'test/data', relative);
}

/** Where tests may write artefacts CI keeps (screenshots, outputs). */
export const testOutput = resolve(projectRoot, 'test-output');

/** Mulberry32: a small deterministic PRNG, so seeded fuzz tests and benchmarks see the same data every run. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
