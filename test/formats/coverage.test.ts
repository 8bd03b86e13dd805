/**
 * gcov (.gcov) and lcov (.info) coverage readers: real files made here with gcc
 * --coverage, gcov and lcov from a small C program, plus synthesized edge cases.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGcov } from '../../src/formats/gcov.js';
import { readLcov } from '../../src/formats/lcov.js';
import { coverageCounts } from '../../src/formats/coverage.js';
import { fileLineCosts, functionTable, stackWeights } from '../../src/model/analysis.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { testData } from '../helpers.js';
import { assertFormatError, assertModelInvariants, assertNotSniffedAs, assertSniffsAs, utf8 } from './format-helpers.js';

let dir = '';
let gcovBytes: Uint8Array;
let lcovBytes: Uint8Array;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-coverage-'));
  copyFileSync(testData('coverage/loop.c'), join(dir, 'loop.c'));
  run('gcc', ['--coverage', '-O0', '-o', 'loop', 'loop.c']);
  run('./loop', []);
  run('gcov', ['-b', 'loop.c']);
  run('lcov', ['--quiet', '--capture', '--directory', '.', '--output-file', 'cov.info']);
  gcovBytes = new Uint8Array(readFileSync(join(dir, 'loop.c.gcov')));
  lcovBytes = new Uint8Array(readFileSync(join(dir, 'cov.info')));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** line -> executions for the profile's one file. */
function lineCounts(p: Profile): Map<number, number> {
  const out = new Map<number, number>();
  for (const [line, c] of fileLineCosts(p, stackWeights(p), p.funcs.file[0])) out.set(line, c.self);
  return out;
}

function selfByName(p: Profile): Record<string, number> {
  const { self } = functionTable(p, stackWeights(p));
  const out: Record<string, number> = {};
  for (let f = 0; f < p.funcs.length; f++) if (self[f] > 0) out[funcName(p, f)] = self[f];
  return out;
}

test('real gcov -b output: counts per line, functions from its "function … called" lines', () => {
  assertSniffsAs(gcovBytes, 'gcov', 'loop.c.gcov');
  const p = readGcov(gcovBytes, { fileName: 'loop.c.gcov' });
  assertModelInvariants(p);
  assert.equal(p.meta.weightUnit, 'events');
  assert.deepEqual(
    [...lineCounts(p)].sort((a, b) => a[0] - b[0]),
    [
      [2, 334],
      [3, 1],
      [4, 1],
      [5, 1001],
      [6, 1000],
      [7, 334],
      [9, 1],
      [10, 1],
    ],
  );
  assert.deepEqual(selfByName(p), { square: 334, main: 1 + 1 + 1001 + 1000 + 334 + 1 + 1 });
  assert.equal(p.strings[p.funcs.file[0]], 'loop.c');
});

test('real lcov tracefile: the same counts as gcov, with the absolute source path', () => {
  assertSniffsAs(lcovBytes, 'lcov', 'cov.info');
  const p = readLcov(lcovBytes);
  assertModelInvariants(p);
  const g = readGcov(gcovBytes);
  assert.deepEqual(lineCounts(p), lineCounts(g));
  assert.deepEqual(selfByName(p), selfByName(g));
  assert.equal(p.strings[p.funcs.file[0]], join(dir, 'loop.c'));
});

test('gcov edge cases: never-run and partly-run lines, CRLF, no function lines, junk lines warned', () => {
  const text =
    '        -:    0:Source:/src/a.c\r\n    #####:    3:dead();\r\n    =====:    4:except();\r\n       5*:    5:x = y ? 1 : 2;\r\n      12:    6:loop();\r\nnot a line\r\n';
  const p = readGcov(utf8(text));
  assert.deepEqual(
    [...lineCounts(p)],
    [
      [5, 5],
      [6, 12],
    ],
  );
  assert.equal(funcName(p, 0), '<a.c>');
  assert.match(p.meta.warnings[0], /skipped 1 line .*line 6/);
  assertFormatError(() => readGcov(utf8('hello\nworld\n')), 'gcov', /not a gcov file/);
});

test('lcov edge cases: several files, a line listed twice adds up, lines before any function, bad records', () => {
  const text = [
    'TN:t',
    'SF:/x/a.py',
    'FN:10,run',
    'DA:1,1',
    'DA:11,5',
    'DA:11,2',
    'DA:12,0',
    'end_of_record',
    'SF:/x/b.c',
    'DA:3,7',
    'DA:x,1',
    'garbage',
    'end_of_record',
  ].join('\n');
  const p = readLcov(utf8(text));
  assert.deepEqual(selfByName(p), { '<a.py>': 1, run: 7, '<b.c>': 7 });
  assert.equal(p.funcs.kind[0], 0, 'a .py file is Python code');
  assert.match(p.meta.warnings[0], /skipped 2 lines .*line 11/);
  assertFormatError(() => readLcov(utf8('TN:\nend_of_record\n')), 'lcov', /no SF:/);
});

test('coverageCounts: the counts of one file for another profile of the program, matched by path or its tail', () => {
  const text = ['SF:/build/src/a.c', 'DA:3,7', 'DA:4,2', 'end_of_record', 'SF:/build/lib/b.c', 'DA:1,9', 'end_of_record'].join('\n');
  const p = readLcov(utf8(text));
  const counts = (path: string) => {
    const c = coverageCounts(p, path);
    return c && Object.fromEntries(c);
  };
  assert.deepEqual(counts('/build/src/a.c'), { 3: 7, 4: 2 }, 'the same path');
  assert.deepEqual(counts('src/a.c'), { 3: 7, 4: 2 }, 'a relative path (perf, callgrind with ./src/a.c)');
  assert.deepEqual(counts('/elsewhere/checkout/lib/b.c'), { 1: 9 }, 'another checkout: the file name and its directory agree');
  assert.equal(counts('/build/src/c.c'), null, 'no such file');
  assert.equal(
    coverageCounts(readLcov(utf8('SF:/x/a.c\nDA:1,1\nend_of_record\nSF:/y/a.c\nDA:1,2\nend_of_record\n')), 'a.c'),
    null,
    'two files tie: no guess',
  );
  assert.equal(
    coverageCounts(readGcov(gcovBytes, { fileName: 'loop.c.gcov' }), '/somewhere/loop.c')?.get(5),
    1001,
    'gcov: the loop header',
  );
  // A profile that is not coverage has no counts to give.
  const notCoverage = { ...p, meta: { ...p.meta, flags: [] } };
  assert.equal(coverageCounts(notCoverage, '/build/src/a.c'), null);
});

test('sniffing keeps coverage apart from collapsed stacks and other text', () => {
  assertNotSniffedAs(lcovBytes, 'collapsed');
  assertNotSniffedAs(gcovBytes, 'collapsed');
  assertNotSniffedAs(utf8('main;work 3\nmain 1\n'), 'lcov');
  assertNotSniffedAs(utf8('main;work 3\nmain 1\n'), 'gcov');
});
