import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixtureBytes, testData } from '../helpers.js';
import { readPstats, sniffPstats, type PstatsTable } from '../../src/formats/pstats/index.js';
import { readMarshal, MarshalDict } from '../../src/formats/pstats/marshal.js';
import { functionTable, stackWeights, stackFuncs, totalWeight } from '../../src/model/analysis.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { assertFormatError, assertSniffsAs, utf8 } from './format-helpers.js';

const table = (p: Profile) => p.attachments.pstats as PstatsTable;
const rowNamed = (p: Profile, name: string) => table(p).rows.find((r) => r.name === name)!;

/** The stack (root first, function names) with the largest self weight. */
function hottestStack(p: Profile): string[] {
  const w = stackWeights(p);
  let best = 0;
  for (let s = 1; s < w.length; s++) if (w[s] > w[best]) best = s;
  return stackFuncs(p, best).map((f) => funcName(p, f));
}

// Expected numbers below come from CPython's own reader, run when these tests were written:
//   python3 -c 'import pstats; pstats.Stats(PATH).sort_stats("tottime").print_stats(5)'
// ("N function calls (M primitive calls) in T seconds", "List reduced from R", and the top rows).
const cases = [
  {
    file: 'cprofile/cprofile-python3-primes.pstats',
    calls: 23139927,
    primitive: 23139927,
    seconds: 7.497,
    rows: 9,
    top: { name: 'primes', calls: 40, tottime: 6.468, cumtime: 7.319 },
    hottest: ['<built-in method builtins.exec>', '<module>', 'benchmark', 'primes'],
  },
  {
    file: 'cprofile/cprofile-python3-wordcount.pstats',
    calls: 1403345,
    primitive: 1403327,
    seconds: 0.454,
    rows: 120,
    top: { name: '<built-in method _collections._count_elements>', calls: 200000, tottime: 0.141, cumtime: 0.141 },
    hottest: null,
  },
  {
    file: 'cprofile/cprofile-pypy3-primes.pstats',
    calls: 23140234,
    primitive: 23140234,
    seconds: 1.09,
    rows: 14,
    top: { name: "<method 'append' of 'list' objects>", calls: 23139840, tottime: 0.744, cumtime: 0.744 },
    hottest: ['<built-in function exec>', '<module>', 'benchmark', 'primes', "<method 'append' of 'list' objects>"],
  },
];

for (const c of cases) {
  test(`pstats: ${c.file} matches CPython's pstats`, () => {
    const bytes = fixtureBytes(c.file);
    assertSniffsAs(bytes, 'pstats', c.file);
    const p = readPstats(bytes);
    const t = table(p);
    assert.equal(p.meta.format, 'pstats');
    assert.equal(p.meta.weightUnit, 'ms');
    assert.equal(p.meta.approximateCallTree, true);
    assert.equal(t.variant, 'cProfile');
    assert.equal(t.totalCalls, c.calls);
    assert.equal(t.primitiveCalls, c.primitive);
    assert.equal(t.totalTime.toFixed(3), c.seconds.toFixed(3));
    assert.equal(t.rows.length, c.rows);
    const byTottime = [...t.rows].sort((a, b) => b.tottime - a.tottime);
    const top = byTottime[0];
    assert.equal(top.name, c.top.name);
    assert.equal(top.calls, c.top.calls);
    assert.equal(top.tottime.toFixed(3), c.top.tottime.toFixed(3));
    assert.equal(top.cumtime.toFixed(3), c.top.cumtime.toFixed(3));

    // The derived tree keeps every function's exact self time (ms), so its samples add up to the run time.
    assert.equal(p.threads.length, 1);
    const total = totalWeight(stackWeights(p));
    assert.ok(Math.abs(total - t.totalTime * 1000) < 1e-6 * total, `tree total ${total} ms vs ${t.totalTime} s`);
    const fnTable = functionTable(p, stackWeights(p));
    for (const row of t.rows) assert.ok(Math.abs(fnTable.self[row.func] - row.tottime * 1000) < 1e-9 * total, row.name);
    if (c.hottest) assert.deepEqual(hottestStack(p), c.hottest);
  });
}

test('pstats: the caller table is exact (wordcount: Counter.update called from the module and from __init__)', () => {
  const p = readPstats(fixtureBytes('cprofile/cprofile-python3-wordcount.pstats'));
  // pstats.Stats(...).print_callers('update'): 200000 calls from wordcount.py:1(<module>), 1 from __init__.
  const update = table(p).rows.find((r) => r.name === 'update' && r.file.endsWith('collections/__init__.py'))!;
  assert.equal(update.calls, 200001);
  const callerNames = update.callers.map((c) => `${funcName(p, c.func)}:${c.calls}`).sort();
  assert.deepEqual(callerNames, ['<module>:200000', '__init__:1']);
  const fromModule = update.callers.find((c) => funcName(p, c.func) === '<module>')!;
  assert.equal(fromModule.primitiveCalls, 200000);
  assert.ok(fromModule.cumtime! > 0.27 && fromModule.cumtime! < 0.29);
});

test('pstats: a profile-module file (callers are plain counts, keys with code objects, recursion)', () => {
  const path = testData('pstats/profile-module-recursion.pstats');
  const bytes = new Uint8Array(readFileSync(path));
  assertSniffsAs(bytes, 'pstats', path);
  const p = readPstats(bytes);
  const t = table(p);
  // python3 -c 'import pstats; s=pstats.Stats(PATH); print(s.total_calls, s.prim_calls)' -> 14420 94
  assert.equal(t.variant, 'profile');
  assert.equal(t.totalCalls, 14420);
  assert.equal(t.primitiveCalls, 94);
  const fib = rowNamed(p, 'fib');
  assert.equal(fib.calls, 13950);
  assert.equal(fib.primitiveCalls, 30);
  assert.deepEqual(fib.callers.map((c) => [funcName(p, c.func), c.calls, c.cumtime]).sort(), [
    ['fib', 13920, null],
    ['main', 30, null],
  ]);
  // The profiler's pseudo frame is keyed by a code object.
  assert.ok(t.rows.some((r) => r.name === '<code object <module> (profile-module-recursion.py:1)>'));
  // Direct recursion is folded: fib sits under main only, never under itself.
  const w = stackWeights(p);
  for (let s = 0; s < p.stacks.length; s++) {
    const names = stackFuncs(p, s).map((f) => funcName(p, f));
    if (names.at(-1) === 'fib') assert.equal(names.at(-2), 'main');
    assert.ok(names.filter((n) => n === 'even').length <= 2, `a cycle is followed at most once around: ${names.join(' > ')}`);
  }
  // Self times stay exact even though per-caller times are unknown.
  const fibSelf = functionTable(p, w).self[fib.func];
  assert.ok(Math.abs(fibSelf - fib.tottime * 1000) < 1e-9, `${fibSelf} vs ${fib.tottime * 1000}`);
  assert.ok(Math.abs(totalWeight(w) - t.totalTime * 1000) < 1e-9);
});

/** A tiny marshal writer for edge cases (only what these tests need). */
function m(...parts: (number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return Uint8Array.from(out);
}
const i32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const f64 = (v: number) => [...new Uint8Array(new Float64Array([v]).buffer)];
const shortAscii = (s: string, ref = false) => [ref ? 0xda : 0x7a, s.length, ...utf8(s)];
const ch = (c: string, ref = false) => c.charCodeAt(0) | (ref ? 0x80 : 0);

test('pstats: marshal back-references, short/interned strings, binary floats, long tuples', () => {
  // {('a.py', 1, 'f'): (1, 1, 0.4, 1.0, {}), ('a.py'<ref>, 2, 'g'): (2, 2, 0.5, 0.5, {('a.py', 1, 'f')<ref>: (2, 2, 0.5, 0.5)})}
  const bytes = m(
    [ch('{', true)],
    [ch(')', true), 3],
    shortAscii('a.py', true),
    [ch('i')],
    i32(1),
    [ch('Z')],
    [1],
    utf8('f'), // key f: slots 1 (tuple), 2 ('a.py')
    [ch(')'), 5, ch('i')],
    i32(1),
    [ch('i')],
    i32(1),
    [ch('g')],
    f64(0.4),
    [ch('g')],
    f64(1.0),
    [ch('{'), ch('0')],
    [ch('('), ...i32(3)],
    [ch('r'), ...i32(2)],
    [ch('i')],
    i32(2),
    [ch('u'), ...i32(1), ...utf8('g')], // key g, filename by reference
    [ch(')'), 5, ch('i')],
    i32(2),
    [ch('i')],
    i32(2),
    [ch('g')],
    f64(0.5),
    [ch('g')],
    f64(0.5),
    [ch('{')],
    [ch('r'), ...i32(1)],
    [ch(')'), 4, ch('i')],
    i32(2),
    [ch('i')],
    i32(2),
    [ch('g')],
    f64(0.5),
    [ch('g')],
    f64(0.5),
    [ch('0')],
    [ch('0')],
  );
  assert.ok(sniffPstats(bytes));
  const p = readPstats(bytes);
  const g = rowNamed(p, 'g');
  assert.equal(g.file, 'a.py');
  assert.equal(funcName(p, g.callers[0].func), 'f');
  assert.equal(table(p).totalTime, 0.9);
  assert.deepEqual(hottestStack(p), ['f', 'g']);
  // A long (arbitrary precision) int and a text float decode too.
  const value = readMarshal(m([ch('('), ...i32(2)], [ch('l'), ...i32(-3)], [1, 0, 0, 0, 1, 0], [ch('f'), 3], utf8('2.5')));
  assert.deepEqual(value, [-(1 + 2 ** 30), 2.5]);
  assert.ok(readMarshal(m([ch('{'), ch('0')])) instanceof MarshalDict);
});

test('pstats: bad input is one ProfileFormatError with a position', () => {
  const good = fixtureBytes('cprofile/cprofile-python3-primes.pstats');
  assertFormatError(() => readPstats(new Uint8Array(0)), 'pstats', /empty/);
  assertFormatError(() => readPstats(good.subarray(0, 500)), 'pstats', /truncated.*at byte \d+/);
  assertFormatError(() => readPstats(utf8('{"not": "marshal"}')), 'pstats', /unknown marshal type byte 0x22 .*at byte 1/);
  assertFormatError(() => readPstats(m([ch('['), ...i32(0)])), 'pstats', /expected a marshalled dict/);
  assertFormatError(() => readPstats(m([ch('{')], [ch('r'), ...i32(7)])), 'pstats', /back-reference 7/);
  assertFormatError(
    () => readPstats(m([ch('{')], shortAscii('k'), [ch('i'), ...i32(1), ch('0')])),
    'pstats',
    /entry 1: expected a \(filename, line, function\) tuple/,
  );
  assertFormatError(
    () => readPstats(m([ch('{'), ch(')'), 3], shortAscii('a'), [ch('i'), ...i32(1)], shortAscii('f'), [ch('N'), ch('0')])),
    'pstats',
    /expected \(cc, nc, tt, ct, callers\), found None/,
  );
  assertFormatError(() => readPstats(m(good, [0])), 'pstats', /1 unexpected bytes/);
  // Deeply nested garbage stops at a bound instead of overflowing the stack.
  assertFormatError(() => readPstats(new Uint8Array(100_000).fill(0x5b /* [ */)), 'pstats');
});

test('pstats: sniffing is by content and rejects look-alikes', () => {
  assert.equal(sniffPstats(utf8('{"a": 1}')), false);
  assert.equal(sniffPstats(utf8('{\n  "x": 1}')), false);
  assert.equal(sniffPstats(m([ch('{'), ch('0')])), true);
  assert.equal(sniffPstats(m([ch('{'), ch('0'), 0])), false);
  assert.equal(sniffPstats(m([ch('{', true), ch(')', true), 4])), false);
});
