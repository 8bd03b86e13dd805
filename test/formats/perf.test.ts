import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes, prng } from '../helpers.js';
import { readPerfScript, sniffPerfScript, parsePerfHeader } from '../../src/formats/perf/index.js';
import { functionTable, functionsByCost, stackWeights, stackFuncs } from '../../src/model/analysis.js';
import { CATEGORY_KERNEL, funcFile, funcKind, funcName, totalSamples, type Profile } from '../../src/model/profile.js';
import { assertFormatError, assertNotSniffedAs, assertSniffsAs, utf8 } from './format-helpers.js';
import { oldParsePerfHeader } from './perf-header-oracle.js';

function hottestSelf(p: Profile, n: number): string[] {
  const t = functionTable(p, stackWeights(p));
  return functionsByCost(t.self)
    .slice(0, n)
    .map((f) => `${t.self[f]} ${funcName(p, f)} (${funcFile(p, f) || '[unknown]'})`);
}

function leafCategoryCount(p: Profile, category: number): number {
  let n = 0;
  for (const t of p.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0 && p.frames.category[p.stacks.frame[s]] === category) n++;
    }
  }
  return n;
}

// Expected values were counted from the files with grep/awk when the tests were written:
//   samples:   grep -c '^[^[:space:]]' FILE
//   threads:   grep '^[^[:space:]]' FILE | awk '{print $1, $2}' | sort | uniq -c
//   hot leafs: awk '/^[^ \t#]/{h=1;next} /^[ \t]+[0-9a-f]+ /{if(h){s=$2; sub(/\+0x[0-9a-f]+$/,"",s); c[s" "$NF]++; h=0}}
//              END{for(k in c) print c[k], k}' FILE | sort -rn | head -3
test('perf: CPython 3.11 running primes.py (3 MB, kernel and [unknown] frames)', () => {
  const bytes = fixtureBytes('perf/perf-python3-primes.txt');
  assertSniffsAs(bytes, 'perf', 'perf-python3-primes.txt');
  const p = readPerfScript(bytes);
  assert.equal(totalSamples(p), 16532);
  assert.deepEqual(
    p.threads.map((t) => [t.processId, t.id, t.name]),
    [['9136', '9136', 'python3']],
  );
  assert.deepEqual(hottestSelf(p, 3), [
    '10926 _PyEval_EvalFrameDefault (/usr/bin/python3.11)',
    '2907 [unknown] (/usr/bin/python3.11)',
    '544 PyObject_Free (/usr/bin/python3.11)',
  ]);
  // awk '/^[^ \t#]/{h=1;next} /^[ \t]/{if(h && $NF=="([kernel.kallsyms])") k++; h=0} END{print k}' -> 1061
  assert.equal(leafCategoryCount(p, CATEGORY_KERNEL), 1061);
  // cpu-clock periods are ns: 250000 ns = 0.25 ms between samples.
  assert.equal(p.meta.interval, 0.25);
  const t = p.threads[0];
  assert.equal(t.samples.time[0], 0);
  // Last header: 'python3  9136   899.023535:'; the first 894.876639 -> 4146.896 ms.
  assert.equal(t.samples.time[t.samples.length - 1].toFixed(3), '4146.896');
  // Frames are ordered root first: the deepest sample starts at the outermost frame.
  const stack = t.samples.stack[1];
  const names = stackFuncs(p, stack).map((f) => funcName(p, f));
  assert.equal(names.at(-1), 'prepend_path');
  assert.equal(names[0], '[unknown]');
  assert.equal(funcKind(p, stackFuncs(p, stack).at(-1)!), 'native');
});

test('perf: speedscope samples: cpu field, pid/tid, several processes', () => {
  const forks = readPerfScript(fixtureBytes('perf/forks.linux-perf.txt'));
  assert.equal(totalSamples(forks), 561);
  assert.deepEqual(forks.threads.map((t) => `${t.name} ${t.processId}/${t.id} ${t.samples.length}`).sort(), [
    'forks 10/10 49',
    'forks 11/11 50',
    'forks 9/9 138',
    'swapper 0/0 324',
  ]);
  assert.deepEqual(hottestSelf(forks, 2), ['325 [unknown] ([kernel.kallsyms])', '93 _Z5alphav (/workdir/forks)']);

  const withPid = fixtureBytes('perf/simple-with-pid.linux-perf.txt');
  assertSniffsAs(withPid, 'perf', 'simple-with-pid.linux-perf.txt');
  const p = readPerfScript(withPid);
  assert.equal(totalSamples(p), 137);
  assert.equal(p.meta.interval, 0, 'no period field, no interval');

  const simple = readPerfScript(fixtureBytes('perf/simple.linux-perf.txt'));
  assert.equal(totalSamples(simple), 1);
  assert.deepEqual(
    stackFuncs(simple, simple.threads[0].samples.stack[0]).map((f) => funcName(simple, f)),
    ['[unknown]', '__libc_start_main', 'main', '_Z5deltav', '_Z4betav'],
  );
});

test('perf: header variants, comm with spaces, Python trampolines, CRLF, empty stacks', () => {
  assert.deepEqual(parsePerfHeader('Web Content  4321/4333 [007]  12.500000:   1000 cycles:u: '), {
    comm: 'Web Content',
    pid: '4321',
    tid: '4333',
    cpu: 7,
    seconds: 12.5,
    secondsText: '12.500000',
    period: 1000,
    event: 'cycles',
    rest: '',
  });
  const text = [
    '# ========',
    '# captured on: today',
    'my prog 10/11 1.000000: 1 cpu-clock:',
    '\t    55d0 py::fib:/tmp/fib.py+0x10 (/tmp/perf-10.map)',
    '\tffffffff8100 do_syscall_64+0x71 ([kernel.kallsyms])',
    '\t    4000 main (/bin/prog)',
    '',
    'my prog 10/11 1.002000: 1 cpu-clock:',
    '',
    'other 12 1.003000: 1 cpu-clock:',
    '\t    4000 operator()(int, char) const (/bin/prog (deleted))',
    '',
    'flat 13 [000] 1.0035: PERF_RECORD_MMAP2 13/13: [0x400000(0x1000) @ 0 08:01 42 0]: r-xp /bin/flat', // --show-mmap-events
    'flat 13 1.004000: 1 cycles:  4005d0 hot_loop+0x10 (/bin/flat)', // perf script -F without a call chain
    'flat 13 1.005000: 1 cycles:  4005d0 hot_loop+0x10 (/bin/flat)',
  ].join('\r\n');
  const p = readPerfScript(utf8(text));
  assert.deepEqual(
    p.threads.map((t) => `${t.name} ${t.processId}/${t.id} ${t.samples.length}`),
    ['my prog 10/11 2', 'other 12/12 1', 'flat 13/13 2'],
  );
  assert.deepEqual(
    stackFuncs(p, p.threads[2].samples.stack[1]).map((f) => funcName(p, f)),
    ['hot_loop'],
  );
  assert.match(p.meta.warnings.join(), /2 different events/);
  assert.equal(p.meta.extra.sideBandRecords, '1');
  const first = stackFuncs(p, p.threads[0].samples.stack[0]);
  assert.deepEqual(
    first.map((f) => `${funcName(p, f)}|${funcFile(p, f)}|${funcKind(p, f)}`),
    ['main|/bin/prog|native', 'do_syscall_64|[kernel.kallsyms]|native', 'fib|/tmp/fib.py|python'],
  );
  assert.equal(p.frames.category[p.stacks.frame[p.stacks.prefix[p.threads[0].samples.stack[0]]]], CATEGORY_KERNEL);
  assert.equal(p.threads[0].samples.stack[1], -1, 'a sample without frames has no stack');
  assert.deepEqual(p.threads[0].samples.time, new Float64Array([0, 2]));
  const other = stackFuncs(p, p.threads[1].samples.stack[0])[0];
  assert.equal(funcName(p, other), 'operator()(int, char) const');
});

test('perf: bad input is one ProfileFormatError naming the line; a cut last line is a warning', () => {
  assertFormatError(() => readPerfScript(utf8('')), 'perf', /empty/);
  assertFormatError(() => readPerfScript(utf8('\t  4000 main (/bin/prog)\n')), 'perf', /frame line before any sample header \(line 1\)/);
  assertFormatError(
    () => readPerfScript(utf8('a 1 1.0: 1 cpu-clock:\n\t 1 f (x)\n\nhello there\nmore\n')),
    'perf',
    /expected a sample header.*"hello there" \(line 4\)/,
  );
  assertFormatError(() => readPerfScript(utf8('# only comments\n')), 'perf', /no sample headers/);
  const full = new TextDecoder().decode(fixtureBytes('perf/forks.linux-perf.txt'));
  const cut = full.slice(0, full.indexOf('forks    10') + 8);
  const p = readPerfScript(utf8(cut));
  assert.match(p.meta.warnings.join(), /truncated/);
  assert.ok(totalSamples(p) > 0);
});

test('perf: sniffing', () => {
  assert.ok(sniffPerfScript(utf8('python3  9136   894.876639:     250000 cpu-clock:ppp: \n\t  1465f handle_amd+0x3f (/lib/ld.so)\n')));
  assert.ok(!sniffPerfScript(utf8('main;foo;bar 12\n')));
  assert.ok(!sniffPerfScript(utf8('[216bcf7ccf2] {gc-minor\n')));
  assertNotSniffedAs(fixtureBytes('collapsed/simple.txt'), 'perf');
});

test('perf: the header parser reads every short line exactly as the old regex did', () => {
  const random = prng(7);
  const pieces = [
    'a',
    'a b',
    '1',
    '12',
    '-3',
    '1/2',
    '[2]',
    '[x]',
    '1.5:',
    '0.25:',
    ':',
    ' ',
    '  ',
    '\t',
    'cycles',
    'cycles:',
    'x:u:',
    '7/8',
    'ff',
    ' 12 ',
    ' 1.5: ',
  ];
  let headers = 0;
  for (let i = 0; i < 100_000; i++) {
    let line = '';
    const count = 1 + Math.floor(random() * 12);
    for (let j = 0; j < count; j++) line += pieces[Math.floor(random() * pieces.length)];
    const expected = oldParsePerfHeader(line);
    if (expected) headers++;
    assert.deepEqual(parsePerfHeader(line), expected, JSON.stringify(line));
  }
  assert.ok(headers > 1000, `only ${headers} of the random lines were headers`);
});

test('perf: a non-space followed by 250 KB of spaces is refused at once (was quadratic: ~15 min)', () => {
  const hostile = 'x' + ' '.repeat(250_000) + '\n';
  assertFormatError(() => readPerfScript(utf8(hostile)), 'perf', /expected a sample header/);
  assert.equal(parsePerfHeader('x' + ' '.repeat(250_000) + '1 1.0'), null);
  assert.equal(sniffPerfScript(utf8(hostile)), false);
});
