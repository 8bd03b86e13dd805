import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import { readCallgrind, sniffCallgrind, type CallgrindData } from '../../src/formats/callgrind/index.js';
import { functionTable, functionsByCost, stackWeights, stackFuncs, totalWeight } from '../../src/model/analysis.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { assertFormatError, assertNotSniffedAs, assertSniffsAs, utf8 } from './format-helpers.js';

const data = (p: Profile) => p.attachments.callgrind as CallgrindData;
const fn = (p: Profile, name: string, object?: string) =>
  data(p).functions.find((f) => f.name === name && (object === undefined || f.object === object))!;

test('callgrind: the format reference example (three functions, calls with inclusive costs)', () => {
  for (const name of ['callgrind.example.log', 'callgrind.name-compression.log']) {
    const bytes = fixtureBytes(`callgrind/${name}`);
    assertSniffsAs(bytes, 'callgrind', name);
    const p = readCallgrind(bytes);
    // The reference text: "Inclusive cost of main is 820, which is the sum of self cost 20 and costs
    // spent in the calls: 400 for the single call to func1 and 400 as sum for the three calls to func2."
    assert.deepEqual(data(p).events, ['Instructions']);
    assert.deepEqual(data(p).totals, [820]);
    assert.deepEqual([fn(p, 'main').self, fn(p, 'main').inclusive], [[20], [820]]);
    assert.deepEqual([fn(p, 'func1').self, fn(p, 'func1').inclusive], [[100], [400]]);
    assert.deepEqual([fn(p, 'func2').self, fn(p, 'func2').inclusive], [[700], [700]]);
    assert.equal(fn(p, 'func2').file, 'file2.c');
    const calls = data(p)
      .calls.map((c) => `${funcName(p, c.caller)}>${funcName(p, c.callee)} x${c.calls} ${c.inclusive[0]}`)
      .sort();
    assert.deepEqual(calls, ['func1>func2 x2 300', 'main>func1 x1 400', 'main>func2 x3 400']);
    assert.equal(p.meta.weightUnit, 'instructions');
    assert.equal(p.meta.approximateCallTree, true);
    // The derived tree: func2's 700 split 400 under main directly and 300 under main > func1.
    const w = stackWeights(p);
    assert.equal(totalWeight(w), 820);
    const paths = new Map<string, number>();
    for (let s = 0; s < p.stacks.length; s++)
      paths.set(
        stackFuncs(p, s)
          .map((f) => funcName(p, f))
          .join('>'),
        w[s],
      );
    assert.deepEqual(Object.fromEntries(paths), { main: 20, 'main>func1': 100, 'main>func2': 400, 'main>func1>func2': 300 });
    assert.equal(fn(p, 'main').lines[0].line, 16);
  }
});

test('callgrind: several event types keep every event; the first one weighs the tree', () => {
  const p = readCallgrind(fixtureBytes('callgrind/callgrind.multiple-event-types.log'));
  assert.deepEqual(data(p).events, ['Time_(10ns)', 'Memory_(bytes)']);
  assert.deepEqual(data(p).totals, [820, 38000]);
  assert.deepEqual(fn(p, 'main').inclusive, [820, 38000]);
  assert.equal(p.meta.extra.weightEvent, 'Time_(10ns)');
  assert.equal(p.meta.extra.creator, 'xdebug 3.0.2 (PHP 7.4.14)');
  assert.equal(p.meta.weightUnit, 'events');
  assert.equal(totalWeight(stackWeights(p)), 820);
});

test('callgrind: CPython running tiny.py agrees with callgrind_annotate', () => {
  const bytes = fixtureBytes('callgrind/callgrind.python3-tiny.out');
  assertSniffsAs(bytes, 'callgrind', 'callgrind.python3-tiny.out');
  const p = readCallgrind(bytes);
  const d = data(p);
  // callgrind_annotate --inclusive=no callgrind.python3-tiny.out:
  //   153,403,060  PROGRAM TOTALS
  //    60,158,389  ???:_PyEval_EvalFrameDefault [/usr/bin/python3.11]
  //    11,074,856  ???:PyObject_SetItem [/usr/bin/python3.11]
  //     7,492,334  ???:0x000000000058a7d0 [/usr/bin/python3.11]
  // callgrind_annotate --inclusive=yes: 153,192,804  ???:(below main) [/usr/bin/python3.11]
  assert.deepEqual(d.totals, [153403060]);
  assert.deepEqual(d.summary, [153403060]);
  const bySelf = [...d.functions].sort((a, b) => b.self[0] - a.self[0]).slice(0, 3);
  assert.deepEqual(
    bySelf.map((f) => [f.name, f.object, f.self[0]]),
    [
      ['_PyEval_EvalFrameDefault', '/usr/bin/python3.11', 60158389],
      ['PyObject_SetItem', '/usr/bin/python3.11', 11074856],
      ['0x000000000058a7d0', '/usr/bin/python3.11', 7492334],
    ],
  );
  assert.equal(fn(p, '(below main)', '/usr/bin/python3.11').inclusive[0], 153192804);
  // `grep -c '^fn=' = 1987` fn= lines name 1980 distinct (object, file, function) triples.
  assert.equal(d.functions.length, 1980);
  assert.equal(p.meta.interpreter, 'cpython');
  assert.equal(p.meta.extra.pid, '9140');
  // The derived tree keeps exact self costs (so the total too) and puts the interpreter loop under Py_RunMain.
  const w = stackWeights(p);
  assert.ok(Math.abs(totalWeight(w) - 153403060) < 1e-3);
  const table = functionTable(p, w);
  assert.equal(functionsByCost(table.self)[0], bySelf[0].func);
  for (const f of bySelf) assert.ok(Math.abs(table.self[f.func] - f.self[0]) < 1e-3, f.name);
  // Inclusive costs are the approximate part: the eval loop's stays within 15% of the exact 140,922,152.
  assert.ok(Math.abs(table.total[bySelf[0].func] - 140922152) / 140922152 < 0.15);
  let evalUnderRunMain = false;
  for (let s = 0; s < p.stacks.length && !evalUnderRunMain; s++) {
    const names = stackFuncs(p, s).map((f) => funcName(p, f));
    evalUnderRunMain = names.at(-1) === '_PyEval_EvalFrameDefault' && names.includes('Py_RunMain');
  }
  assert.ok(evalUnderRunMain);
});

const small = (body: string, header = '# callgrind format\nevents: Ir Dr\n') => utf8(header + body);

test('callgrind: position compression (+N, -N, *, hex) per column, and CRLF', () => {
  const text = [
    '# callgrind format',
    'positions: instr line',
    'events: Ir',
    'fl=a.c',
    'fn=f',
    '0x10 10 1',
    '+2 * 2', // line 10 again
    '+1 +5 4', // line 15
    '* -3 8', // line 12
    'cfn=g',
    'calls=1 0x40 30',
    '* +1 100', // call cost at line 13: does not move the base
    '+1 * 16', // still relative to line 12
    'fn=g',
    '0x40 30 100',
    '',
  ].join('\r\n');
  const p = readCallgrind(utf8(text));
  const f = fn(p, 'f');
  assert.deepEqual(
    f.lines.map((l) => [l.line, l.self[0]]).sort((a, b) => a[0] - b[0]),
    [
      [10, 3],
      [12, 24],
      [15, 4],
    ],
  );
  assert.deepEqual(f.self, [31]);
  assert.deepEqual(f.inclusive, [131]);
  assert.deepEqual(fn(p, 'g').lines, [{ line: 30, self: [100] }]);
});

test('callgrind: inlined files (fi/fe), objects (ob/cob) and callee files (cfi)', () => {
  const text = small(
    [
      'ob=(1) /bin/prog',
      'fl=(1) main.c',
      'fn=(1) main',
      '3 5',
      'fi=(2) inline.h',
      '7 2',
      'cfn=(2) helper', // the callee lives in the current file: inline.h
      'calls=2 1',
      '7 10',
      'fe=(1)',
      '4 1 1',
      'cob=(2) /lib/libc.so',
      'cfi=(3) ???',
      'cfn=(3) memcpy',
      'calls=1 0',
      '4 6',
      'fl=(2)',
      'fn=(2)',
      '1 10',
      'ob=(2)',
      'fl=(3)',
      'fn=(3)',
      '0 6',
    ].join('\n'),
  );
  const p = readCallgrind(text);
  const main = fn(p, 'main');
  assert.deepEqual(main.self, [8, 1]);
  assert.deepEqual(main.inclusive, [24, 1]);
  assert.deepEqual(main.lines.map((l) => [l.file ?? '', l.line, l.self[0]]).sort(), [
    ['', 3, 5],
    ['', 4, 1],
    ['inline.h', 7, 2],
  ]);
  assert.equal(fn(p, 'helper').file, 'inline.h');
  const memcpy = fn(p, 'memcpy');
  assert.equal(memcpy.object, '/lib/libc.so');
  // An unknown source file shows the binary instead.
  assert.equal(p.strings[p.funcs.file[memcpy.func]], '/lib/libc.so');
  assert.equal(data(p).calls.length, 2);
});

test('callgrind: recursion and cycles stay finite in the derived tree', () => {
  const text = small(
    [
      'fl=r.c',
      'fn=a',
      '1 1',
      'cfn=b',
      'calls=1 1',
      '1 100',
      'cfn=a',
      'calls=5 1',
      '1 50',
      'fn=b',
      '2 40',
      'cfn=a',
      'calls=1 1',
      '2 60',
    ].join('\n'),
    '# callgrind format\nevents: Ir\n',
  );
  const p = readCallgrind(text);
  // a -> b -> a is shown once around the cycle (a function appears at most twice on a path), and
  // the self-call a -> a is never followed. The tree weighs the exclusive total, 1 + 40.
  const paths: string[] = [];
  for (let s = 0; s < p.stacks.length; s++)
    paths.push(
      stackFuncs(p, s)
        .map((f) => funcName(p, f))
        .join('>'),
    );
  assert.deepEqual(paths.sort(), ['a', 'a>b', 'a>b>a', 'a>b>a>b'].slice(0, paths.length));
  assert.ok(Math.abs(totalWeight(stackWeights(p)) - 41) < 1e-9);
  assert.equal(data(p).calls.find((c) => c.caller === c.callee)?.calls, 5);
});

test('callgrind: bad input is one ProfileFormatError naming the line', () => {
  assertFormatError(() => readCallgrind(utf8('')), 'callgrind', /empty/);
  assertFormatError(() => readCallgrind(utf8('# callgrind format\nfn=main\n1 2\n')), 'callgrind', /fn= before the events: line \(line 2\)/);
  assertFormatError(() => readCallgrind(utf8('# callgrind format\nversion: 1\n')), 'callgrind', /missing events: line/);
  assertFormatError(
    () => readCallgrind(small('fl=a\nfn=(4)\n1 2\n')),
    'callgrind',
    /function name id \(4\) used before it was defined \(line 4\)/,
  );
  assertFormatError(() => readCallgrind(small('fl=a\nfn=f\n1 2 3 4\n')), 'callgrind', /more costs than the 2 events declared \(line 5\)/);
  assertFormatError(() => readCallgrind(small('fl=a\nfn=f\ncfn=g\ncalls=1 1\n')), 'callgrind', /ends after calls=/);
  assertFormatError(() => readCallgrind(small('fl=a\nfn=f\n1 2x\n')), 'callgrind', /bad cost "2x" \(line 5\)/);
  assertFormatError(() => readCallgrind(small('fl=a\nfn=f\nhello world\n')), 'callgrind', /unexpected line "hello world" \(line 5\)/);
  assertFormatError(() => readCallgrind(small('1 2\n')), 'callgrind', /cost line before any fn= line \(line 3\)/);
  // A truncated real file: cut in the middle of a calls= pair or just fine, never a stack trace.
  const real = new TextDecoder().decode(fixtureBytes('callgrind/callgrind.example.log'));
  const cut = real.slice(0, real.indexOf('calls=1 50') + 'calls=1 50'.length);
  assertFormatError(() => readCallgrind(utf8(cut)), 'callgrind', /calls=/);
});

test('callgrind: sniffing', () => {
  assert.ok(sniffCallgrind(utf8('events: Ir\nfl=a.c\nfn=main\n16 20\n')));
  assert.ok(!sniffCallgrind(utf8('events: Ir\n')));
  assert.ok(!sniffCallgrind(utf8('main;foo 12\n')));
  assertNotSniffedAs(fixtureBytes('perf/simple.linux-perf.txt'), 'callgrind');
});

test('callgrind: valgrind --compress-pos=yes --dump-instr=yes output (real, /bin/true) sums to its summary line', async () => {
  const { gunzipSync } = await import('node:zlib');
  const { readFileSync } = await import('node:fs');
  const { testData } = await import('../helpers.js');
  const bytes = new Uint8Array(gunzipSync(readFileSync(testData('formats/callgrind/true.compress-pos.callgrind.out.gz'))));
  const text = new TextDecoder().decode(bytes);
  assert.match(text, /^\+\d+ \* \d+$/m, 'positions are compressed: +N for the address, * for the same line');
  const summary = Number(/^summary: (\d+)$/m.exec(text)![1]);
  const p = readCallgrind(bytes);
  assert.deepEqual(data(p).totals, [summary]);
  assert.ok(!p.meta.warnings.some((w) => /summary/.test(w)), p.meta.warnings.join());
});

test('callgrind: costs compressed like positions (*, +N, -N) read as their uncompressed twin', () => {
  // The example of valgrind's format reference, and the same with compressed costs.
  const example =
    'events: Instructions\n\nfl=file1.c\nfn=main\n16 20\ncfn=func1\ncalls=1 50\n16 400\ncfi=file2.c\ncfn=func2\ncalls=3 20\n16 400\n\n' +
    'fn=func1\n51 100\ncfi=file2.c\ncfn=func2\ncalls=2 20\n51 300\n\nfl=file2.c\nfn=func2\n20 700\n';
  const plain = utf8(example);
  const compressed = example
    .replace('calls=1 50\n16 400', 'calls=1 50\n* 400')
    .replace('calls=3 20\n16 400', 'calls=3 20\n* *')
    .replace('51 100', '+35 -300')
    .replace('20 700', '-31 +400');
  assert.notEqual(compressed, example);
  const a = readCallgrind(plain);
  const b = readCallgrind(utf8(compressed));
  assert.deepEqual(
    data(b).functions.map((f) => [f.name, f.self, f.inclusive]),
    data(a).functions.map((f) => [f.name, f.self, f.inclusive]),
  );
  assert.match(b.meta.warnings.join(), /relative to the previous cost line/);
  assertFormatError(() => readCallgrind(utf8('events: Ir\nfn=a\n1 5\n2 -9\n')), 'callgrind', /bad cost "-9"/);
});
