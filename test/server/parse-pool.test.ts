/**
 * The server's parse workers under hostile uploads: a parse that never ends is
 * stopped at the time limit, one that needs too much memory is stopped at the
 * memory limit, both with a 422, and neither holds back the uploads behind it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParsePool } from '../../src/server/parse-pool.js';
import { UploadError } from '../../src/server/ingest.js';
import { fixture } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-pool-'));
/**
 * Descriptors that keep a FIFO's writing end open: a reader of it waits forever, like a parse that
 * never ends. Unlike a parse stuck in CPU work, a worker waiting on a read cannot be terminated
 * until the read returns, so each test closes its writers before closing its pool.
 */
const writers: number[] = [];
function releaseNeverEndingInputs(): void {
  for (const fd of writers.splice(0)) closeSync(fd);
}
after(() => {
  releaseNeverEndingInputs();
  rmSync(work, { recursive: true, force: true });
});

let dirs = 0;
function jobDir(): string {
  const dir = join(work, `job-${dirs++}`);
  execFileSync('mkdir', ['-p', dir]);
  return dir;
}

/** A "profile" whose read never ends: a FIFO nobody writes to. */
function neverEndingInput(name: string): string {
  const path = join(work, name);
  execFileSync('mkfifo', [path]);
  writers.push(openSync(path, 'r+'));
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof UploadError, String(err));
    return err;
  }
  assert.fail('expected the parse to fail');
}

test('a parse that never ends does not hold back the next upload, and the time limit ends it with a 422', {
  timeout: 120_000,
}, async () => {
  const pool = new ParsePool({ size: 1, timeMs: 600_000, slowAfterMs: 200 });
  try {
    let stuckSettled = false;
    const stuck = pool.build(neverEndingInput('stuck.txt'), 'stuck.txt', jobDir());
    stuck.then(
      () => {
        stuckSettled = true;
      },
      () => {
        stuckSettled = true;
      },
    );
    const next = await pool.build(fixture('collapsed/simple.txt'), 'simple.txt', jobDir());
    assert.equal(next.facts.format, 'collapsed');
    assert.equal(next.facts.sampleCount, 5);
    assert.equal(stuckSettled, false, 'the stuck parse is still running: the good one did not wait for it');
  } finally {
    releaseNeverEndingInputs();
    await pool.close();
  }

  const limited = new ParsePool({ size: 1, timeMs: 1_500, slowAfterMs: 200 });
  try {
    const err = await rejection(limited.build(neverEndingInput('stuck2.txt'), 'stuck2.txt', jobDir()));
    assert.equal(err.statusCode, 422);
    assert.match(err.message, /^stuck2\.txt: reading it took longer than the parser's limit of 2 s/);
    // The worker was replaced: the pool goes on parsing.
    const after = await limited.build(fixture('collapsed/simple.txt'), 'simple.txt', jobDir());
    assert.equal(after.facts.sampleCount, 5);
  } finally {
    releaseNeverEndingInputs();
    await limited.close();
  }
  // A worker busy in CPU work is stopped the same way: this 3 MB perf file cannot be read in 1 ms.
  const instant = new ParsePool({ size: 1, timeMs: 1 });
  try {
    const err = await rejection(instant.build(fixture('perf/perf-python3-primes.txt'), 'primes.perf', jobDir()));
    assert.equal(err.statusCode, 422);
    assert.match(err.message, /took longer than the parser's limit/);
  } finally {
    await instant.close();
  }
});

test('a parse over the memory limit fails with a 422 naming the limit; the pool goes on', { timeout: 120_000 }, async () => {
  // 40 MB of distinct stacks: far more than a 24 MiB heap holds.
  const big = join(work, 'big.collapsed');
  const lines: string[] = [];
  for (let i = 0; i < 400_000; i++) lines.push(`main;handler_${i};leaf_${i % 977}_${'x'.repeat(60)} 1`);
  writeFileSync(big, lines.join('\n'));
  const pool = new ParsePool({ size: 1, memoryMb: 24 });
  try {
    const err = await rejection(pool.build(big, 'big.collapsed', jobDir()));
    assert.equal(err.statusCode, 422);
    assert.match(err.message, /^big\.collapsed: reading it needed more than the parser's 24 MiB/);
    const small = await pool.build(fixture('collapsed/simple.txt'), 'simple.txt', jobDir());
    assert.equal(small.facts.sampleCount, 5);
  } finally {
    await pool.close();
  }
});
