/** The allocation side file (record --alloc): synthesized bytes for the layout and its edge cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAllocations } from '../../src/formats/alloc.js';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import { loadProfile } from '../../src/formats/load.js';
import { allocationMeasures, allocationProfile, allocationsByType, weighByAllocation } from '../../src/model/allocations.js';
import { functionTable, stackWeights } from '../../src/model/analysis.js';
import { funcName } from '../../src/model/profile.js';
import { ProfileFormatError } from '../../src/model/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const FILE = [
  'pyrometer-alloc 1',
  'M\tsource\tgc.callbacks',
  'M\tunit\tobjects',
  'M\tstart_ms\t1000',
  'C\t1\tbig\t/app/a\\tb.py\t3',
  'C\t2\t<module>\t/app/a\\tb.py\t1',
  'S\t1010\t700\t7000\tlist\tMainThread\t1:4 2:9',
  'S\t1020\t300\t9000\tdict\tMainThread\t2:9',
  'S\t1030\t100\t100\t\tworker\t1:5 2:9',
  'M\tend_ms\t1040',
  '',
].join('\n');

test('reads samples, both measures, types, threads, escapes and times', () => {
  const p = readAllocations(enc(FILE));
  assert.equal(p.meta.format, 'pyrometer-alloc');
  assert.equal(p.meta.startTime, 1000);
  assert.equal(p.meta.endTime, 1040);
  assert.equal(p.threads.length, 2);
  assert.deepEqual(Array.from(p.threads[0].samples.time), [10, 20]);
  assert.equal(p.strings[p.funcs.file[0]], '/app/a\tb.py');
  assert.deepEqual(allocationMeasures(p), ['objects', 'bytes']);
  const byObjects = weighByAllocation(p, 'objects');
  const costs = functionTable(byObjects, stackWeights(byObjects));
  const big = [...Array(p.funcs.length).keys()].find((f) => funcName(p, f) === 'big')!;
  assert.equal(costs.total[big], 800);
  const byBytes = weighByAllocation(p, 'bytes');
  assert.equal(functionTable(byBytes, stackWeights(byBytes)).total[big], 7100);
  assert.deepEqual(
    allocationsByType(p, 'bytes').map((t) => [t.name, t.bytes]),
    [
      ['dict', 9000],
      ['list', 7000],
      ['', 100],
    ],
  );
});

test('a last line cut short is left out with a warning; one in the middle is an error with its line', () => {
  const cut = readAllocations(enc(`${FILE}S\t1050\t7`));
  assert.equal(
    cut.threads.reduce((n, t) => n + t.samples.length, 0),
    3,
  );
  assert.match(cut.meta.warnings.join(), /last line \(11\) was cut short/);
  assert.throws(
    () => readAllocations(enc(FILE.replace('S\t1020\t300', 'S\t1020\tx'))),
    (e: unknown) => e instanceof ProfileFormatError && e.lineNumber === 8 && /a sample line is/.test(e.message),
  );
  assert.throws(() => readAllocations(enc(FILE.replace('1:4 2:9', '7:4'))), /names no code defined before it \(line 7\)/);
  assert.throws(() => readAllocations(enc('pyrometer-alloc 2\n')), /newer than this reader/);
  assert.throws(() => readAllocations(enc('')), /empty file/);
});

test('a time stepped back (wall clock) is held, so sample times stay ordered', () => {
  const p = readAllocations(enc(FILE.replace('S\t1020', 'S\t1005')));
  assert.deepEqual(Array.from(p.threads[0].samples.time), [10, 10]);
});

test('sniffed by content, and attached to the profile beside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-alloc-'));
  try {
    writeFileSync(join(dir, 'x.data'), FILE);
    assert.equal((await loadProfile(join(dir, 'x.data'))).meta.format, 'pyrometer-alloc');
    writeFileSync(join(dir, 'run.collapsed'), 'a;b 3\n');
    writeFileSync(join(dir, 'run.collapsed.alloc'), FILE);
    const p = await loadWithSideFiles(join(dir, 'run.collapsed'));
    assert.equal(allocationProfile(p)?.threads.length, 2);
    writeFileSync(join(dir, 'run.collapsed.alloc'), 'garbage\n');
    const bad = await loadWithSideFiles(join(dir, 'run.collapsed'));
    assert.equal(allocationProfile(bad), null);
    assert.match(bad.meta.warnings.join(), /run\.collapsed\.alloc: not attached \(pyrometer-alloc: expected "pyrometer-alloc 1"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
