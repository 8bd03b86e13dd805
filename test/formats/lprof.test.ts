import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { testData } from '../helpers.js';
import { readLprof, type LprofLine } from '../../src/formats/lprof.js';
import { PickleDict, PickleGlobal, PickleObject, PickleTuple, readPickle } from '../../src/formats/pickle.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { funcName } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertSniffsAs, assertNotSniffedAs, utf8 } from './format-helpers.js';

const files = ['work.py311.lprof', 'work.py37.lprof', 'work.protocol2.lprof', 'work.protocol0.lprof'];
const path = (f: string) => testData(`formats/lprof/${f}`);
const bytes = (f: string) => new Uint8Array(readFileSync(path(f)));

/** CPython's own pickle reading the same file (with a stand-in LineStats class): the oracle. */
function cpythonLines(file: string): LprofLine[] {
  const script = `
import json, pickle, sys, types
m = types.ModuleType("line_profiler.line_profiler"); p = types.ModuleType("line_profiler"); p.line_profiler = m
class LineStats(object): pass
LineStats.__module__ = "line_profiler.line_profiler"; m.LineStats = LineStats
sys.modules["line_profiler"] = p; sys.modules["line_profiler.line_profiler"] = m
s = pickle.load(open(sys.argv[1], "rb"))
print(json.dumps([{"file": k[0], "func": k[2], "line": l, "hits": h, "ms": t * s.unit * 1000} for k, v in s.timings.items() for (l, h, t) in v]))
`;
  const r = spawnSync('python3', ['-c', script, path(file)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as LprofLine[];
}

for (const file of files) {
  test(`lprof: ${file} reads as CPython's pickle reads it`, () => {
    const data = bytes(file);
    if (file !== 'work.protocol0.lprof') assertSniffsAs(data, 'lprof', file);
    const p = readLprof(data);
    const ours = p.attachments.lprof as LprofLine[];
    const theirs = cpythonLines(file);
    assert.equal(ours.length, theirs.length);
    ours.forEach((l, i) => {
      const t = theirs[i];
      assert.deepEqual([l.file, l.func, l.line, l.hits], [t.file, t.func, t.line, t.hits]);
      assert.ok(Math.abs(l.ms - t.ms) <= 1e-9 * Math.max(1, t.ms), `${l.func}:${l.line} ${l.ms} vs ${t.ms}`);
    });
    // One sample per line that took time, on its function at that line; fib's recursive line dominates.
    const total = ours.reduce((a, l) => a + l.ms, 0);
    const weights = p.threads[0].samples.weight.reduce((a, w) => a + w, 0);
    assert.ok(Math.abs(total - weights) < 1e-9 * total);
    const fibLines = new Set(
      Array.from({ length: p.frames.length }, (_, r) => r)
        .filter((r) => funcName(p, p.frames.func[r]) === 'fib')
        .map((r) => p.frames.line[r]),
    );
    assert.deepEqual([...fibLines].sort(), [35, 36, 37]);
    assertExportRoundTrip(p, 'speedscope');
  });
}

test('lprof: every file has the same lines and hit counts (the work is deterministic, only times vary)', () => {
  const hits = (f: string) => (readLprof(bytes(f)).attachments.lprof as LprofLine[]).map((l) => `${l.func}:${l.line}:${l.hits}`);
  for (const f of files.slice(1)) assert.deepEqual(hits(f), hits(files[0]), f);
});

test('pickle: never runs anything; hostile and broken pickles are one clean error', () => {
  // os.system("touch ...") via REDUCE: recorded as an object, not called.
  const marker = `/tmp/pyrometer-pickle-${process.pid}`;
  const evil = utf8(`cos\nsystem\n(S'touch ${marker}'\ntR.`);
  const value = readPickle(evil, 'lprof');
  assert.ok(value instanceof PickleObject && value.cls instanceof PickleGlobal && value.cls.fullName === 'os.system');
  assert.ok(!existsSync(marker));
  assert.throws(
    () => readLprof(evil),
    (e) => e instanceof ProfileFormatError && /does not hold a line_profiler LineStats/.test(e.message),
  );
  const fails = (data: number[] | Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => readPickle(data instanceof Uint8Array ? data : new Uint8Array(data), 'lprof'),
      (e) => e instanceof ProfileFormatError && pattern.test(e.message) && !e.message.includes('\n'),
    );
  fails([0x80, 0x05, 0x4b], /ends inside opcode/);
  fails([0x80, 0x05, 0x4b, 0x01], /ends before STOP/);
  fails([0x80, 0x05, 0x51, 0x2e], /opcode 0x51 is not supported/); // BINPERSID
  fails([0x80, 0x05, 0x82, 0x01, 0x2e], /opcode 0x82 is not supported/); // EXT1
  fails([0x80, 0x05, 0x68, 0x07, 0x2e], /memo 7 that was never PUT/);
  fails([0x80, 0x05, 0x30, 0x2e], /stack is empty/);
  fails([0x80, 0x05, 0x4b, 0x01, 0x4b, 0x02, 0x2e], /STOP with 2 values/);
  fails([0x80, 0x05, 0x4b, 0x01, 0x73, 0x2e], /stack is empty|SETITEM/);
  fails(bytes('work.py311.lprof').subarray(0, 100), /ends inside opcode|ends before STOP/);
  // Plain data round: tuples, dicts with tuple keys, longs, floats, sets.
  const py = spawnSync('python3', [
    '-c',
    'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({(1, "a"): [2**70, -5, 1.5, None, True, b"x", frozenset([3])]}, 4))',
  ]);
  const plain = readPickle(new Uint8Array(py.stdout), 'test') as PickleDict;
  const [key, list] = plain.entries[0];
  assert.deepEqual((key as PickleTuple).items, [1, 'a']);
  assert.deepEqual((list as unknown[]).slice(0, 5), [2 ** 70, -5, 1.5, null, true]);
});

test('lprof: other pickles are not sniffed as lprof; a LineStats without timings fails cleanly', () => {
  const py = spawnSync('python3', ['-c', 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({"a": 1}, 4))']);
  assertNotSniffedAs(new Uint8Array(py.stdout), 'lprof');
  // Protocol 2: NEWOBJ of LineStats, BUILD with {"unit": 1.0} only (bytes given one by one: they are not UTF-8).
  const raw = new Uint8Array(
    [...'\x80\x02cline_profiler.line_profiler\nLineStats\n)\x81}(X\x04\x00\x00\x00unitG?\xf0\x00\x00\x00\x00\x00\x00ub.'].map((c) =>
      c.charCodeAt(0),
    ),
  );
  assert.throws(
    () => readLprof(raw),
    (e) => e instanceof ProfileFormatError && /timings: expected a dict/.test(e.message),
  );
});
