import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import { readCollapsed, writeCollapsed, parseFrameLabel } from '../../src/formats/collapsed.js';
import { readPstats } from '../../src/formats/pstats/index.js';
import { funcName, funcFile, type Profile } from '../../src/model/profile.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { syntheticProfile } from './writer-profiles.js';
import {
  assertExportRoundTrip,
  assertFormatError,
  assertNotSniffedAs,
  assertSniffsAs,
  multisetTotal,
  stackMultiset,
  utf8,
} from './format-helpers.js';

/** name-only stacks -> weight, for fixtures whose frames are bare names. */
function nameStacks(p: Profile): Record<string, number> {
  return Object.fromEntries([...stackMultiset(p)].sort());
}

// Expected values from the fixture text itself:
//   tr -d '\r' < F | awk '/^[^#].* [0-9]+$/ {n=$NF; $NF=""; sub(/ $/,""); w[$0]+=n; t+=n} END {print t; for (k in w) print w[k], k}'
const simple = { 'a;b': 5, 'a;b;c': 5, 'a;b;d': 4 };
const cases: { file: string; total: number; stacks?: Record<string, number>; warnings: number }[] = [
  { file: 'collapsed/simple.txt', total: 14, stacks: simple, warnings: 0 },
  { file: 'collapsed/simple-crlf.txt', total: 14, stacks: simple, warnings: 0 },
  // 2 lines skipped: "// some other comment" and "invalid line" ("#" comments are silent).
  { file: 'collapsed/simple-with-invalids.txt', total: 14, stacks: simple, warnings: 1 },
  // 10 lines of weight 1; "a;b;a;b", "a;b;a;c" and "a;b;a;b;c" appear twice.
  {
    file: 'collapsed/recursion.txt',
    total: 10,
    warnings: 0,
    stacks: { 'a;a': 1, 'b;b': 1, 'a;b': 1, 'a;b;a;b': 2, 'a;b;a;c': 2, 'a;b;a;b;a;b': 1, 'a;b;a;b;c': 2 },
  },
  // One line, 26 frames a..z, count 1.
  { file: 'collapsed/tall.txt', total: 1, warnings: 0, stacks: { [Array.from('abcdefghijklmnopqrstuvwxyz').join(';')]: 1 } },
];

for (const c of cases) {
  test(`collapsed: ${c.file}`, () => {
    const bytes = fixtureBytes(c.file);
    assertSniffsAs(bytes, 'collapsed', c.file);
    const p = readCollapsed(bytes);
    assert.equal(p.meta.format, 'collapsed');
    assert.equal(p.meta.weightUnit, 'samples');
    assert.equal(p.threads.length, 1);
    assert.equal(multisetTotal(stackMultiset(p)), c.total);
    if (c.stacks) assert.deepEqual(nameStacks(p), Object.fromEntries(Object.entries(c.stacks).sort()));
    assert.equal(p.meta.warnings.length, c.warnings, p.meta.warnings.join('; '));
    assertExportRoundTrip(p, 'collapsed');
  });
}

test('collapsed: invalid lines are skipped with one warning naming the count and the first line', () => {
  const p = readCollapsed(fixtureBytes('collapsed/simple-with-invalids.txt'));
  assert.deepEqual(p.meta.warnings, ['skipped 2 lines that are not "frames count" (first at line 2)']);
});

test('collapsed: py-spy frames become name, file and line; process and thread frames become threads', () => {
  const text = [
    'process 4242:"python3 primes.py";thread (0x7F3A2B1C0740): MainThread;<module> (primes.py:30);main (primes.py:25);primes (primes.py:9) 7',
    'process 4242:"python3 primes.py";thread (0x7F3A2B1C0740): MainThread;<module> (primes.py:30);main (primes.py:26) 3',
    'process 4242:"python3 primes.py";thread (0x7F3A29FFF640);worker (/usr/lib/python3.11/threading.py:1002);run (work.py) 2',
    'process 1:"bash run.sh";process 4243:"python3 child.py";thread (0x7F0000000001);child (child.py:3) 1',
    '',
  ].join('\n');
  const p = readCollapsed(utf8(text));
  // py-spy's frame forms (src/main.rs: `thread ({id})`, `thread ({id}): {name}`, process frames parents first).
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id, t.name]),
    [
      ['4242', '0x7F3A2B1C0740', 'MainThread'],
      ['4242', '0x7F3A29FFF640', 'python3 primes.py'],
      ['4243', '0x7F0000000001', 'python3 child.py'],
    ],
  );
  const byName = (name: string) => [...Array(p.funcs.length).keys()].find((f) => funcName(p, f) === name)!;
  assert.equal(funcFile(p, byName('primes')), 'primes.py');
  assert.equal(funcFile(p, byName('run')), 'work.py');
  // `main` ran at two lines: one function, two frames.
  const mainFrames = [...Array(p.frames.length).keys()].filter((f) => p.frames.func[f] === byName('main'));
  assert.deepEqual(mainFrames.map((f) => p.frames.line[f]).sort(), [25, 26]);
  assert.equal(multisetTotal(stackMultiset(p)), 13);
  assert.deepEqual(parseFrameLabel('f (x)'), { name: 'f (x)', file: '', line: 0 }, 'a parenthesis without a path is part of the name');
});

test('collapsed: edge cases', () => {
  // Empty and blank input: no samples, a warning, no error.
  for (const empty of ['', '\n\n', '# only a comment\n']) {
    const p = readCollapsed(utf8(empty));
    assert.equal(p.threads.length, 0);
    assert.match(p.meta.warnings.join(), /no samples/);
  }
  // Content with no valid line is an error naming the line.
  assertFormatError(() => readCollapsed(utf8('# header\nthis is not a profile\n')), 'collapsed', /line 2/);
  // Huge counts are kept (as doubles) with a warning, and the profile total is right.
  const huge = readCollapsed(utf8('a;b 123456789012345678901234\na 1\n'));
  assert.match(huge.meta.warnings.join(), /2\^53/);
  assert.equal(multisetTotal(stackMultiset(huge)), 123456789012345678901234 + 1);
  // Hostile names survive as text.
  const hostile = readCollapsed(utf8('<script>alert(1)</script>;<img src=x onerror=y> 3\n'));
  assert.deepEqual(nameStacks(hostile), { '<script>alert(1)</script>;<img src=x onerror=y>': 3 });
  // A final line without a newline counts; zero counts add nothing.
  assert.equal(multisetTotal(stackMultiset(readCollapsed(utf8('a 0\na;b 2')))), 2);
  // Not sniffed as collapsed: JSON, austin.
  assertNotSniffedAs(utf8('{"a": 1}'), 'collapsed');
  assertNotSniffedAs(utf8('# austin: 3.6.0\nP1;T0:1;f.py:g:1 10\n'), 'collapsed');
});

test('collapsed: writer escapes separators, scales fractional ms to integer us, and round-trips pstats', () => {
  const b = new ProfileBuilder('test', { weightUnit: 'ms' });
  const t = b.thread('1');
  const f1 = b.frame(b.func('semi;colon', 'a.py', 3));
  const f2 = b.frame(b.func('new\nline', '', 0, 'native'));
  b.addSampleFrames(t, [f1, f2], 0, 1.5);
  const text = writeCollapsed(b.build());
  assert.equal(text, 'semi colon (a.py:3);new line 1500\n');
  // A real profile with fractional ms weights (pstats): counts become us.
  const pstats = readPstats(fixtureBytes('cprofile/cprofile-python3-wordcount.pstats'));
  assertExportRoundTrip(pstats, 'collapsed', { scale: 1000, tolerance: 0.5 * stackMultiset(pstats).size });
});

test('collapsed: round trip of the shared synthetic profile (hostile names, two threads merged)', () => {
  assertExportRoundTrip(syntheticProfile(), 'collapsed', { threads: 1 });
});

test('collapsed: a file whose first line is longer than the 64 KiB sniffing head (a deep stack we wrote) is still recognised', () => {
  const b = new ProfileBuilder('test');
  const deep: number[] = [];
  for (let i = 0; i < 20_000; i++) deep.push(b.frame(b.func(`recurse_${i % 10}`, 'deep.py', 3)));
  b.addSampleFrames(b.thread('1'), deep, 0);
  const written = utf8(String(writeCollapsed(b.build())));
  assert.ok(written.indexOf(0x0a) > 64 * 1024, 'the first line is longer than the head');
  assertSniffsAs(written, 'collapsed', 'deep.collapsed');
  assert.equal(readCollapsed(written).stacks.length, 20_000);
  // A long line of something else is still not taken for a stack.
  assertNotSniffedAs(utf8(`${'word '.repeat(20_000)}\n`), 'collapsed');
  assertNotSniffedAs(utf8(`[${'1,'.repeat(40_000)}1]`), 'collapsed');
});
