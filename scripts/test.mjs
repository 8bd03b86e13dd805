// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [substring-filter...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = walk(join(root, 'test'), [])
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests that measure how a sampler sees CPU time run on their own afterwards, one file at a time:
// beside another test file's Chromium or ClickHouse on 2 cores, the programs they sample are starved
// and their shares say more about the neighbours than about the sampler.
const ALONE = [
  'test/capture/outside-matrix.test.ts',
  'test/capture/outside-wall-state.test.ts',
  'test/capture/alloc.test.ts',
  'test/capture/stream/end-to-end.test.ts',
  'test/cli/diff.test.ts',
  // the in-process agent's --wall: a computing thread starved of CPU by neighbours reads as idle
  'test/capture/cpython.test.ts',
  'test/formats/vmprof-sampler-meta.test.ts',
];
const together = files.filter((f) => !ALONE.includes(f));
const alone = files.filter((f) => ALONE.includes(f));
const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : // a test still running after 15 minutes has hung (the longest, a whole interpreter matrix
      // suite, takes about 3 on a loaded machine): it fails instead of stalling the run
      (spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000', ...list], {
        cwd: root,
        stdio: 'inherit',
      }).status ?? 1);
const first = run(together, 2);
const second = run(alone, 1);
process.exit(first || second);
