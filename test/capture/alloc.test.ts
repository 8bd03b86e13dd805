/**
 * `record --alloc` on real interpreters (every pyenv CPython 3.8–3.13, Debian's python3, and
 * pypy3): a program that allocates 80% of its objects in one function and 20% in another shows
 * that split within 5 points; and `record --mem --lines` charges a growing list's memory to the
 * line that grows it. Shares of samples: in scripts/test.mjs's ALONE list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import { allocationProfile, allocationMeasures, allocationsByType, weighByAllocation } from '../../src/model/allocations.js';
import { memoryGrowth } from '../../src/model/memory-growth.js';
import { funcName } from '../../src/model/profile.js';
import { cpythons } from './interpreters.js';
import { dataPath, removeDir, runPyrometer, totalByName } from './run.js';

/** big's share of big + small, in percent, by the given allocation measure. */
async function bigShare(profilePath: string, measure: 'objects' | 'bytes'): Promise<{ share: number; samples: number }> {
  const loaded = await loadWithSideFiles(profilePath);
  const alloc = allocationProfile(loaded);
  assert.ok(alloc, 'the allocation side file was attached');
  const totals = totalByName(weighByAllocation(alloc, measure));
  const big = totals.get('big') ?? 0;
  const small = totals.get('small') ?? 0;
  assert.ok(big + small > 0, 'samples in big and small');
  let samples = 0;
  for (const t of alloc.threads) samples += t.samples.length;
  return { share: (100 * big) / (big + small), samples };
}

async function recordSplit(interpreter: string, extra: string[], args: string[]) {
  const run = await runPyrometer(['record', '--alloc', ...extra, '-o', 'out.prof', '--', interpreter, dataPath('alloc_split.py'), ...args]);
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /allocations: out\.prof\.alloc/);
    assert.ok(existsSync(join(run.dir, 'out.prof.alloc')));
    return { run, path: join(run.dir, 'out.prof') };
  } catch (err) {
    removeDir(run.dir);
    throw err;
  }
}

for (const python of cpythons().filter((p) => !p.label.includes('3.7'))) {
  test(`--alloc on ${python.label} (outside sampler): 80/20 split of objects within 5 points, with types and bytes`, async () => {
    const { run, path } = await recordSplit(python.path, [], ['100000', '64']);
    try {
      const { share, samples } = await bigShare(path, 'objects');
      assert.ok(samples >= 40, `${samples} samples`);
      assert.ok(Math.abs(share - 80) <= 5, `big's share ${share.toFixed(1)}%`);
      const alloc = allocationProfile(await loadWithSideFiles(path))!;
      assert.deepEqual(allocationMeasures(alloc), ['objects', 'bytes']);
      assert.equal(alloc.meta.extra.source, 'gc.callbacks');
      assert.equal(allocationsByType(alloc, 'objects')[0].name, 'list');
      const bytes = await bigShare(path, 'bytes');
      assert.ok(Math.abs(bytes.share - 80) <= 5, `big's share of bytes ${bytes.share.toFixed(1)}%`);
    } finally {
      removeDir(run.dir);
    }
  });
}

test('--alloc --in-process: the agent frames are not in the allocation stacks, and the split holds', async () => {
  const { run, path } = await recordSplit('python3', ['--in-process'], ['100000', '64']);
  try {
    const { share } = await bigShare(path, 'objects');
    assert.ok(Math.abs(share - 80) <= 5, `big's share ${share.toFixed(1)}%`);
    const alloc = allocationProfile(await loadWithSideFiles(path))!;
    for (let f = 0; f < alloc.funcs.length; f++) {
      const file = alloc.strings[alloc.funcs.file[f]] ?? '';
      assert.ok(!file.includes('_pyrometer_agent'), `agent frame ${funcName(alloc, f)} in ${file}`);
    }
  } finally {
    removeDir(run.dir);
  }
});

test('--alloc on pypy3: gc.hooks minor collections, 80/20 split of bytes within 5 points', async () => {
  const { run, path } = await recordSplit('pypy3', [], ['200000', '64']);
  try {
    const alloc = allocationProfile(await loadWithSideFiles(path))!;
    assert.equal(alloc.meta.extra.source, 'gc.hooks.on_gc_minor');
    assert.deepEqual(allocationMeasures(alloc), ['bytes']);
    // Debian's PyPy 7.3.11 has no allocation sampling in _vmprof (it came in later): the file says so
    assert.equal(alloc.meta.extra.vmprof_allocation_sampling, 'no');
    const { share, samples } = await bigShare(path, 'bytes');
    assert.ok(samples >= 40, `${samples} samples`);
    assert.ok(Math.abs(share - 80) <= 5, `big's share ${share.toFixed(1)}%`);
    // show --alloc picks the measure the recording has; asking for objects says why not
    const shown = await runPyrometer(['show', 'out.prof', '--alloc'], { cwd: run.dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /pyrometer-alloc · PyPy[^\n]* weighing [\d,]+ bytes/);
    const objects = await runPyrometer(['show', 'out.prof', '--alloc', 'objects'], { cwd: run.dir });
    assert.equal(objects.code, 2);
    assert.match(objects.stderr, /have no objects \(gc\.hooks\.on_gc_minor counts bytes\)/);
  } finally {
    removeDir(run.dir);
  }
});

test('--alloc with --pid: a clear error (the hook starts with the interpreter)', async () => {
  const run = await runPyrometer(['record', '--pid', String(process.pid), '--alloc']);
  removeDir(run.dir);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--alloc needs a program record starts/);
});

test('--alloc with -S: a clear error, nothing recorded', async () => {
  const run = await runPyrometer(['record', '--alloc', '-o', 'out.prof', '--', 'python3', '-S', dataPath('alloc_split.py'), '10']);
  try {
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--alloc starts through site\.py, which -S and -I turn off/);
    assert.ok(!existsSync(join(run.dir, 'out.prof')));
  } finally {
    removeDir(run.dir);
  }
});

for (const python of cpythons().filter((p) => /3\.(8|13)/.test(p.label))) {
  test(`--mem --lines on ${python.label}: the line that grows a list is the top grower (show --memory too)`, async () => {
    const run = await runPyrometer(['record', '--mem', '--lines', '-o', 'out.prof', '--', python.path, dataPath('grow_list.py')]);
    try {
      assert.equal(run.code, 0, run.stderr);
      const profile = await loadWithSideFiles(join(run.dir, 'out.prof'));
      const growth = memoryGrowth(profile);
      assert.ok(growth.growth > 50 * 1024 * 1024, `grew ${growth.growth} bytes`);
      const top = growth.lines[0];
      const table = growth.lines.slice(0, 4).map((l) => `${funcName(profile, l.func)}:${l.line} +${l.growth} -${l.shrink}`);
      assert.equal(`${funcName(profile, top.func)}:${top.line}`, 'grow:10', table.join(', '));
      assert.equal(
        funcName(profile, growth.functions.find((f) => f.selfGrowth > 0 && funcName(profile, f.func) !== '<module>')!.func),
        'grow',
      );
      const shown = await runPyrometer(['show', 'out.prof', '--memory'], { cwd: run.dir });
      assert.equal(shown.code, 0, shown.stderr);
      // the first line of the by-line table is the growing line, with its source
      const byLine = shown.stdout.split('\n').slice(shown.stdout.split('\n').findIndex((l) => /^line +grew +shrank +net/.test(l)) + 1);
      assert.match(byLine[0] ?? '', /grow_list\.py:10 +\S+ \S+ +\S+ \S+ +\+\S+ \S+ +data\.append\(\[i\] \* 100\)/, shown.stdout);
    } finally {
      removeDir(run.dir);
    }
  });
}
