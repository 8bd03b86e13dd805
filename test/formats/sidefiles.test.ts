import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findSideFiles, loadWithSideFiles, sideFileKind } from '../../src/formats/sidefiles.js';
import { parsePypyLog } from '../../src/formats/pypylog/index.js';
import type { JitLog } from '../../src/formats/jitlog/index.js';
import { fixture } from '../helpers.js';

let dir = '';
const file = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-sidefiles-'));
  // The PyPy word-count run: profile, jitlog and PYPYLOG of the same process (fixtures live in two folders).
  symlinkSync(fixture('vmprof/pypy-wordcount.prof'), file('run.prof'));
  symlinkSync(fixture('pypy/pypy-wordcount.prof.jit'), file('run.prof.jit'));
  symlinkSync(fixture('pypy/pypy-wordcount.pypylog'), file('run.pypylog'));
  // The same profile with gzip-compressed side files under the other accepted names.
  symlinkSync(fixture('vmprof/pypy-wordcount.prof'), file('zipped.prof'));
  writeFileSync(file('zipped.jitlog.gz'), gzipSync(readFileSync(fixture('pypy/pypy-wordcount.prof.jit'))));
  writeFileSync(file('zipped.prof.pypylog.gz'), gzipSync(readFileSync(fixture('pypy/pypy-wordcount.pypylog'))));
  // A profile whose PYPYLOG is garbage.
  symlinkSync(fixture('vmprof/pypy-wordcount.prof'), file('broken.prof'));
  writeFileSync(file('broken.prof.jit'), Buffer.from('this is not a jitlog'));
  // A profile with nothing beside it.
  symlinkSync(fixture('vmprof/pypy-primes.prof'), file('alone.prof'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('side files are found by name next to the profile', () => {
  assert.equal(sideFileKind('a/run.prof.jit'), 'jitlog');
  assert.equal(sideFileKind('run.jitlog.gz'), 'jitlog');
  assert.equal(sideFileKind('run.PYPYLOG'), 'pypylog');
  assert.equal(sideFileKind('run.prof'), null);
  assert.deepEqual(findSideFiles(file('run.prof')), [
    { path: file('run.prof.jit'), kind: 'jitlog' },
    { path: file('run.pypylog'), kind: 'pypylog' },
  ]);
  assert.deepEqual(
    findSideFiles(file('zipped.prof'))
      .map((f) => f.path)
      .sort(),
    [file('zipped.jitlog.gz'), file('zipped.prof.pypylog.gz')],
  );
  assert.deepEqual(findSideFiles(file('alone.prof')), []);
});

test('loading a PyPy profile attaches its JIT log and its PYPYLOG sections as markers', async () => {
  const seen: string[] = [];
  const profile = await loadWithSideFiles(file('run.prof'), { onSideFile: (f) => seen.push(f.kind) });
  assert.deepEqual(seen, ['jitlog', 'pypylog']);
  const log = parsePypyLog(new Uint8Array(readFileSync(fixture('pypy/pypy-wordcount.pypylog'))));
  const markers = profile.threads.reduce((n, t) => n + t.markers.length, 0);
  assert.equal(markers, log.sections.length);
  const jit = profile.attachments.jitlog as JitLog;
  assert.ok(jit.traces.length > 0, 'jitlog traces attached');

  const zipped = await loadWithSideFiles(file('zipped.prof'));
  assert.equal(
    zipped.threads.reduce((n, t) => n + t.markers.length, 0),
    markers,
  );
  assert.equal((zipped.attachments.jitlog as JitLog).traces.length, jit.traces.length);

  const without = await loadWithSideFiles(file('run.prof'), { sideFiles: false });
  assert.equal(
    without.threads.reduce((n, t) => n + t.markers.length, 0),
    0,
  );
  assert.equal(without.attachments.jitlog, undefined);
});

test('a bad side file becomes a warning; the profile still loads', async () => {
  const profile = await loadWithSideFiles(file('broken.prof'));
  assert.ok(profile.threads[0].samples.length > 0);
  assert.equal(profile.attachments.jitlog, undefined);
  const warning = profile.meta.warnings.find((w) => w.startsWith('broken.prof.jit: not attached'));
  assert.ok(warning, profile.meta.warnings.join(' | '));
  assert.ok(!warning.includes('\n'));
});
