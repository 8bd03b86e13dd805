import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { fixtureBytes } from '../helpers.js';
import { loadProfileBytes } from '../../src/formats/load.js';
import { parseJitlog, readJitlog, sniffJitlog, type JitLog } from '../../src/formats/jitlog/index.js';
import { assertFormatError, assertSniffsAs, utf8 } from './format-helpers.js';

const stageSizes = (log: JitLog) =>
  log.traces.map((t) => [
    t.id,
    t.type,
    ...(['noopt', 'opt', 'asm'] as const).map((k) => `${t.stages[k]?.ops.length}/${t.stages[k]?.mergePoints.length}`),
  ]);

// Expected trace structure comes from vmprof-python's own jitlog parser, run when this test was written:
//   python3 -c 'from jitlog.parser import parse_jitlog; f = parse_jitlog(PATH);
//               print(sorted((t.unique_id, t.type, {k: (len(s.ops), len(s.merge_points)) for k, s in t.stages.items()})
//                            for t in f.traces.values()))'
// and the raw JITLOG_COUNTER records by patching its counter reader to print (addr, kind, count).
test('jitlog: the PyPy word-count jitlog (version 4): traces, stages, merge points, counters', () => {
  const bytes = fixtureBytes('pypy/pypy-wordcount.prof.jit');
  assertSniffsAs(bytes, 'jitlog', 'pypy-wordcount.prof.jit');
  const p = readJitlog(bytes);
  assert.equal(p.meta.format, 'jitlog');
  assert.equal(p.meta.formatVersion, 4);
  assert.equal(
    p.threads.reduce((n, t) => n + t.samples.length, 0),
    0,
  );
  const log = p.attachments.jitlog as JitLog;
  assert.equal(log.machine, 'x86_64');
  assert.equal(log.wordSize, 8);
  assert.equal(Object.keys(log.opNames).length, 224);
  assert.equal(log.truncatedAt, -1);
  assert.deepEqual(stageSizes(log), [
    [3, 'bridge', '30/3', '38/3', '42/0'],
    [4, 'loop', '162/24', '104/24', '117/0'],
    [5, 'bridge', '47/7', '47/7', '51/0'],
    [6, 'bridge', '47/7', '48/7', '52/0'],
    [7, 'bridge', '18/2', '12/2', '15/0'],
    [8, 'bridge', '156/12', '56/12', '64/0'],
    [9, 'bridge', '47/8', '21/8', '25/0'],
    [10, 'loop', '2994/218', '543/218', '679/0'],
    [11, 'bridge', '86/24', '62/24', '77/0'],
    [12, 'loop', '366/38', '121/38', '131/0'],
  ]);
  // Raw counters: e (trace id): 1:1082 2:256 3:222 4:200274 8:631 10:55 11:1018 12:1;
  // b (fail descr): 140372075938184:1596131 140372075938544:199516 140372076379104:199634 140372075940848:113.
  // Traces 1 and 2 were compiled before the jitlog was enabled, so their counters match no trace.
  assert.deepEqual(
    log.traces.map((t) => [t.id, t.entryCount]),
    [
      [3, 222],
      [4, 200274],
      [5, 1596131],
      [6, 199516],
      [7, 199634],
      [8, 631],
      [9, 113],
      [10, 55],
      [11, 1018],
      [12, 1],
    ],
  );
  assert.equal(log.counters.filter((c) => c.kind === 'entry' && c.trace === null).length, 2);
  const bridge5 = log.traces.find((t) => t.id === 5)!;
  assert.equal(bridge5.descr, 140372075938184);
  assert.equal(bridge5.jitdriver, 'pypyjit');
  // Merge points map operations to source lines (vmprof-python: f.traces[4].stages['opt'].merge_points[0]
  // has values {1: '.../collections/__init__.py', 2: 526, 8: '_count_elements', 4: 12, 16: 'STORE_FAST'}, index 31).
  const loop = log.traces.find((t) => t.id === 4)!;
  assert.deepEqual(loop.stages.opt!.mergePoints[0], {
    opIndex: 31,
    file: '/usr/lib/pypy3.9/collections/__init__.py',
    line: 526,
    scope: '_count_elements',
    index: 12,
    opcode: 'STORE_FAST',
  });
  assert.equal(loop.label, '_count_elements (/usr/lib/pypy3.9/collections/__init__.py:526)');
  assert.ok(loop.address && loop.address.end > loop.address.start);
  const firstAsm = loop.stages.asm!.ops.find((o) => o.asm)!;
  assert.ok(firstAsm.asm!.size > 0);
  const guard = loop.stages.opt!.ops.find((o) => o.name.startsWith('guard_'))!;
  assert.ok(guard.descrId! > 0 && guard.failArgs!.length > 0);
  // Every bridge's stitch names its trace.
  assert.equal(log.stitches.length, 4);
  assert.ok(log.stitches.every((s) => s.trace !== null));
  // The attachment is plain data: it survives JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(log)), log);
});

test('jitlog: vmprof-firefox-converter example (one loop entered 8 times)', () => {
  const bytes = fixtureBytes('pypy/example.jitlog');
  assertSniffsAs(bytes, 'jitlog', 'example.jitlog');
  const log = readJitlog(bytes).attachments.jitlog as JitLog;
  assert.deepEqual(stageSizes(log), [[40, 'loop', '54/8', '39/8', '43/0']]);
  assert.equal(log.traces[0].entryCount, 8);
  assert.equal(log.traces[0].label, 'function_a (example.py:2)');
  assert.deepEqual(log.traces[0].stages.noopt!.inputArgs, ['p0', 'p1', 'i2', 'p3', 'i4', 'p5', 'p6', 'p7', 'p8', 'p9']);
});

/** A small jitlog writer for edge cases, following the layout in src/formats/jitlog/index.ts. */
class Writer {
  out: number[] = [];
  u8(...v: number[]) {
    this.out.push(...v);
    return this;
  }
  u16(v: number) {
    return this.u8(v & 0xff, v >> 8);
  }
  u32(v: number) {
    return this.u8(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  }
  u64(v: number) {
    return this.u32(v % 0x100000000).u32(Math.floor(v / 0x100000000));
  }
  str(s: string) {
    const b = utf8(s);
    return this.u32(b.length).u8(...b);
  }
  bytes() {
    return Uint8Array.from(this.out);
  }
}

function synthetic(version = 4): Writer {
  const w = new Writer();
  w.u8(0x1e).u16(version).u8(0).str('x86_64');
  w.u8(0x12).u16(4).u16(1).str('label').u16(2).str('int_add').u16(3).str('guard_true').u16(4).str('jump');
  w.u8(0x1b).u64(7).str('loop').u64(0);
  if (version >= 2) w.str('pypyjit');
  w.u8(0x18).u64(7);
  w.u8(0x11).str('p0,i1');
  w.u8(0x1d).u16(3).u8(0x1, 115).u8(0x2, 105).u8(0x8, 115); // filename 's', lineno 'i', scope 's'
  w.u8(0x1f).u8(0xff).str('/home/me/prog.py').u8(0).u64(10).u8(0xff).str('main');
  w.u8(0x20).u8(0).str('/home/me/');
  w.u8(0x1f).u8(0x00).str('lib.py').u8(0).u64(11).u8(0xef); // scope: prefix "" (none set) -> ''
  w.u8(0x14).u16(1).str('None,i1,TargetToken(99)').u64(99);
  if (version >= 2) w.str('');
  w.u8(0x13).u16(2).str('i2,i1,1');
  if (version >= 2) w.str('');
  w.u8(0x14).u16(3).str('None,i2,<Guard0x55>').u64(0x55);
  if (version >= 2) w.str('p0,i2');
  w.u8(0x1f).u8(0xef).u8(0).u64(12).u8(0xff).str('main');
  w.u8(0x1b).u64(8).str('bridge').u64(0x55);
  if (version >= 2) w.str('pypyjit');
  w.u8(0x19).u64(8);
  w.u8(0x15).u64(0x1000).u64(0x1040);
  w.u8(0x13).u16(4).str('None,i2');
  if (version >= 2) w.str('');
  w.u8(0x16).u16(0).str('\u0090\u0090');
  w.u8(0x22).str('/home/me/prog.py').u16(2).u16(10).u8(0).str('def main():').u16(11).u8(4).str('x = 1');
  w.u8(0x1c).u64(7).u8(101).u64(1000); // 'e'
  w.u8(0x1c).u64(0x55).u8(98).u64(40); // 'b'
  w.u8(0x1c).u64(99).u8(108).u64(960); // 'l'
  w.u8(0x1a).u64(0x55).u64(0x1000);
  w.u8(0x21).u64(9);
  return w;
}

test('jitlog: every record type, prefix-compressed merge points, versions 1 and 4', () => {
  for (const version of [1, 4]) {
    const bytes = synthetic(version).bytes();
    assert.ok(sniffJitlog(bytes));
    const log = parseJitlog(bytes);
    assert.equal(log.version, version);
    const [loop, bridge] = log.traces;
    assert.equal(loop.jitdriver, version >= 2 ? 'pypyjit' : null);
    assert.deepEqual(loop.stages.opt!.inputArgs, ['p0', 'i1']);
    assert.deepEqual(loop.stages.opt!.mergePoints, [
      { opIndex: 0, file: '/home/me/prog.py', line: 10, scope: 'main' },
      { opIndex: 0, file: '/home/me/lib.py', line: 11, scope: '' },
      { opIndex: 3, file: '/home/me/', line: 12, scope: 'main' },
    ]);
    const [label, add, guard] = loop.stages.opt!.ops;
    assert.deepEqual(add, { opnum: 2, name: 'int_add', result: 'i2', args: ['i1', '1'] });
    assert.equal(label.descr, 'TargetToken(99)');
    assert.equal(label.count, 960, "the 'l' counter lands on the label with that descr");
    assert.equal(guard.descrId, 0x55);
    assert.deepEqual(guard.failArgs, version >= 2 ? ['p0', 'i2'] : undefined);
    assert.equal(loop.entryCount, 1000);
    assert.equal(bridge.type, 'bridge');
    assert.equal(bridge.entryCount, 40);
    assert.deepEqual(bridge.address, { start: 0x1000, end: 0x1040 });
    assert.deepEqual(bridge.stages.asm!.ops[0].asm, { offset: 0, size: 4, hex: 'c290c290' }); // two U+0090 are 4 UTF-8 bytes
    assert.deepEqual(log.sourceCode, [
      {
        file: '/home/me/prog.py',
        lines: [
          { line: 10, indent: 0, text: 'def main():' },
          { line: 11, indent: 4, text: 'x = 1' },
        ],
      },
    ]);
    assert.deepEqual(log.stitches, [{ descr: 0x55, bridgeAddress: 0x1000, trace: 8 }]);
    assert.equal(log.counters.find((c) => c.kind === 'label')!.trace, 7);
    assert.equal(log.truncatedAt, -1);
  }
});

test('jitlog: a log cut mid-record keeps what came before, with a warning', () => {
  const full = synthetic().bytes();
  const cut = full.subarray(0, full.length - 5);
  const p = readJitlog(cut);
  const log = p.attachments.jitlog as JitLog;
  assert.equal(log.traces.length, 2);
  assert.ok(log.truncatedAt > 0);
  assert.match(p.meta.warnings.join(), /ends in the middle of a record at byte \d+/);
  // The real fixture cut anywhere after its header still reads.
  const real = fixtureBytes('pypy/pypy-wordcount.prof.jit');
  const half = readJitlog(real.subarray(0, 200_000)).attachments.jitlog as JitLog;
  assert.ok(half.traces.length >= 1 && half.truncatedAt > 0);
});

test('jitlog: bad input is one ProfileFormatError with a byte offset', () => {
  assertFormatError(() => readJitlog(new Uint8Array(0)), 'jitlog', /empty/);
  assertFormatError(() => readJitlog(utf8('hello')), 'jitlog', /header marker 0x1e, found 0x68 \(at byte 0\)/);
  assertFormatError(() => readJitlog(Uint8Array.of(0x1e, 4, 0)), 'jitlog', /truncated header/);
  assertFormatError(() => readJitlog(Uint8Array.of(0x1e, 4, 0, 7, 0, 0, 0, 0)), 'jitlog', /is_32bit byte is 7/);
  const w = synthetic();
  const at = w.out.length;
  w.u8(0x99);
  assertFormatError(() => readJitlog(w.bytes()), 'jitlog', new RegExp(`unknown record marker 0x99 \\(at byte ${at}\\)`));
  const orphan = new Writer().u8(0x1e).u16(4).u8(0).str('x86_64').u8(0x13).u16(1).str('a').str('');
  assertFormatError(() => readJitlog(orphan.bytes()), 'jitlog', /an operation outside of a trace/);
  const badTrace = new Writer().u8(0x1e).u16(4).u8(0).str('x86_64').u8(0x17).u64(3);
  assertFormatError(() => readJitlog(badTrace.bytes()), 'jitlog', /trace 3, which was never started/);
});

test('jitlog: sniffing', () => {
  assert.ok(!sniffJitlog(utf8('\u001e hello')));
  assert.ok(!sniffJitlog(Uint8Array.of(0x1e, 0, 0, 0, 6, 0, 0, 0)));
  assert.ok(!sniffJitlog(fixtureBytes('vmprof/pypy-wordcount.prof')));
});

test('jitlog: a gzip-compressed upload (the vmprof client names it *.zip) goes through the loader', async () => {
  const gz = new Uint8Array(gzipSync(fixtureBytes('pypy/pypy-wordcount.prof.jit')));
  const p = await loadProfileBytes(gz, 'pypy-wordcount.prof.jit.zip');
  assert.equal(p.meta.format, 'jitlog');
  assert.equal((p.attachments.jitlog as JitLog).traces.length, 10);
});
