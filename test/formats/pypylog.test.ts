import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBytes } from '../helpers.js';
import {
  attachPypyLog,
  NOMINAL_TICKS_PER_MS,
  parsePypyLog,
  readPypyLog,
  sniffPypyLog,
  tickClock,
  type PypyLogInfo,
  type PypyLogTiming,
} from '../../src/formats/pypylog/index.js';
import { readVmprof } from '../../src/formats/vmprof/index.js';
import type { Profile } from '../../src/model/profile.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { assertFormatError, assertSniffsAs, utf8 } from './format-helpers.js';

function markerSummary(p: Profile, thread = 0) {
  const m = p.threads[thread].markers;
  const byCategory: Record<string, number> = {};
  const byDepth: Record<number, number> = {};
  for (let i = 0; i < m.length; i++) {
    const c = p.strings[m.category[i]];
    byCategory[c] = (byCategory[c] ?? 0) + 1;
    byDepth[m.depth[i]] = (byDepth[m.depth[i]] ?? 0) + 1;
  }
  return { count: m.length, byCategory, byDepth };
}

const findMarker = (p: Profile, name: string) => {
  const m = p.threads[0].markers;
  for (let i = 0; i < m.length; i++) if (p.strings[m.name[i]] === name) return i;
  return -1;
};

// Expected values were counted with grep/awk when the test was written:
//   grep -c '^\[[0-9a-f]*\] {' FILE                          -> 1526 openings (and 1526 closings)
//   grep -o '{[a-z-]*' FILE | sort | uniq -c                 -> gc-minor 519, gc-minor-walkroots 519, gc-collect-step 47,
//        gc-collect-done 6, gc-hardware 2, gc-set-nursery-size 2; jit-backend-dump 377, jit-optimize 16,
//        jit-tracing 12, jit-backend 12, jit-backend-addr 12, jit-summary 1, jit-backend-counts 1
//   awk depth count ({ -> d++, } -> d--)                     -> 565 top-level sections, deepest nesting 5 (depth 4), once
test('pypylog: the PyPy word-count log becomes nested GC and JIT markers', () => {
  const bytes = fixtureBytes('pypy/pypy-wordcount.pypylog');
  assertSniffsAs(bytes, 'pypylog', 'pypy-wordcount.pypylog');
  const p = readPypyLog(bytes);
  assert.equal(p.meta.format, 'pypylog');
  assert.equal(p.meta.interpreter, 'pypy');
  const s = markerSummary(p);
  assert.equal(s.count, 1526);
  assert.deepEqual(s.byCategory, { gc: 519 + 519 + 47 + 6 + 2 + 2, jit: 377 + 16 + 12 + 12 + 12 + 1 + 1 });
  assert.equal(s.byDepth[0], 565);
  assert.equal(s.byDepth[4], 1);
  assert.equal(s.byDepth[5], undefined);
  const info = p.attachments.pypylog as PypyLogInfo;
  assert.equal(info.sectionCounts['gc-minor'], 519);
  assert.equal(info.firstTick, 0x216bcf7ccf2);
  assert.equal(info.lastTick, 0x216ee5645a2);

  // jit-summary is parsed into numbers ("TOTAL:  0.303113", "Total # of loops: 8", "Tracing: 12 0.016491").
  const summary = p.threads[0].markers.data[findMarker(p, 'jit-summary')]!;
  const table = summary.summary as Record<string, number | number[]>;
  assert.equal(table.TOTAL, 0.303113);
  assert.equal(table['Total # of loops'], 8);
  assert.equal(table['Total # of bridges'], 4);
  assert.deepEqual(table.Tracing, [12, 0.016491]);
  assert.equal(summary.lineCount, 28);
  // jit-backend-counts: 20 counter lines ("entry 1:0", "TargetToken(...):0", "bridge ...:0").
  const counts = p.threads[0].markers.data[findMarker(p, 'jit-backend-counts')]!;
  assert.equal((counts.counts as unknown[]).length, 20);
  assert.deepEqual((counts.counts as unknown[])[0], { name: 'entry 1', count: 0 });
  // Text inside sections is kept but bounded (jit-backend-dump holds long hex dumps).
  const dump = p.threads[0].markers.data[findMarker(p, 'jit-backend-dump')]!;
  assert.deepEqual((dump.lines as string[]).slice(0, 2), ['BACKEND x86_64', 'SYS_EXECUTABLE pypy3']);
  assert.ok((dump.lines as string[]).every((l) => l.length <= 241));

  // Alone, the tick rate comes from jit-summary's TOTAL: its start lands at 303.113 ms.
  assert.equal(info.rateSource, 'jit-summary');
  assert.match(p.meta.warnings.join('\n'), /CPU ticks.*jit-summary/);
  const m = p.threads[0].markers;
  assert.equal(m.start[0], 0);
  assert.ok(Math.abs(m.start[findMarker(p, 'jit-summary')] - 303.113) < 1e-6);
  for (let i = 0; i < m.length; i++) assert.ok(m.end[i] >= m.start[i]);
});

test('pypylog: attached to the VMProf profile of the same run, markers span its wall-clock time', () => {
  const prof = readVmprof(fixtureBytes('vmprof/pypy-wordcount.prof'));
  // Start and stop records of pypy-wordcount.prof: 1795325711.361365 s and 1795325711.650902 s -> 289.537 ms.
  assert.ok(Math.abs(prof.meta.endTime - prof.meta.startTime - 289.537) < 1e-3);
  const log = readPypyLog(fixtureBytes('pypy/pypy-wordcount.pypylog'));
  const before = prof.threads.map((t) => t.markers.length);
  const merged = attachPypyLog(prof, log);
  assert.equal(merged.threads.length, prof.threads.length);
  const main = merged.threads.findIndex((t, i) => t.markers.length !== before[i]);
  assert.ok(main >= 0);
  const m = merged.threads[main].markers;
  assert.equal(m.length, before[main] + 1526);
  let lastEnd = 0;
  for (let i = before[main]; i < m.length; i++) lastEnd = Math.max(lastEnd, m.end[i]);
  assert.ok(Math.abs(lastEnd - 289.537) < 1e-3, `last section ends at the profile's end: ${lastEnd}`);
  assert.equal(m.start[before[main]], 0);
  assert.equal(merged.strings[m.name[before[main]]], 'gc-set-nursery-size');
  assert.equal(merged.strings[m.category[before[main]]], 'gc');
  // The inputs are untouched; the parsed form attaches the same way.
  assert.equal(prof.threads[main].markers.length, before[main]);
  const again = attachPypyLog(prof, parsePypyLog(fixtureBytes('pypy/pypy-wordcount.pypylog')));
  assert.deepEqual(again.threads[main].markers.end, m.end);
  assert.match(merged.meta.warnings.join('\n'), /approximate/);
});

test('pypylog: tickClock stretches the tick range over a span, or uses the nominal rate', () => {
  const c = tickClock(1000, 3000, 4);
  assert.equal(c.ticksPerMs, 500);
  assert.equal(c.toMs(2000), 2);
  assert.equal(tickClock(1000, 3000).ticksPerMs, NOMINAL_TICKS_PER_MS);
  const text = '[10] {gc-minor\n[4c4b410] gc-minor}\n';
  const p = readPypyLog(utf8(text));
  assert.equal((p.attachments.pypylog as PypyLogInfo).rateSource, 'nominal');
  assert.match(p.meta.warnings.join(), /nominal 2\.5 GHz/);
  assert.equal(p.threads[0].markers.end[0], (0x4c4b410 - 0x10) / NOMINAL_TICKS_PER_MS);
  assert.equal(readPypyLog(utf8(text), 10).threads[0].markers.end[0], 10);
});

test('pypylog: nesting, unclosed and mismatched sections, text outside sections, CRLF', () => {
  const text = [
    '[100] {gc-collect-step',
    'starting gc state:  SCANNING',
    '[110] {gc-minor',
    '[120] {gc-minor-walkroots',
    '[130] gc-minor-walkroots}',
    'minor collect, total memory used: 0',
    '[140] gc-minor}',
    '[150] gc-collect-step}',
    'stray text',
    '[160] jit-bogus}',
    '[170] {jit-tracing',
    '[180] {jit-optimize',
    '[190] jit-tracing}', // closes jit-optimize too
    '[200] {jit-backend',
    '[210] {foo',
  ].join('\r\n');
  const log = parsePypyLog(utf8(text));
  assert.deepEqual(
    log.sections.map((s) => [s.category, s.depth, s.startTick, s.endTick, s.lineCount, s.unclosed ?? false]),
    [
      ['gc-collect-step', 0, 0x100, 0x150, 1, false],
      ['gc-minor', 1, 0x110, 0x140, 1, false],
      ['gc-minor-walkroots', 2, 0x120, 0x130, 0, false],
      ['jit-tracing', 0, 0x170, 0x190, 0, false],
      ['jit-optimize', 1, 0x180, 0x190, 0, true],
      ['jit-backend', 0, 0x200, 0x210, 0, true],
      ['foo', 1, 0x210, 0x210, 0, true],
    ],
  );
  assert.equal(log.sections[0].lines[0], 'starting gc state:  SCANNING');
  assert.equal(log.looseLines, 1);
  assert.match(log.warnings.join('\n'), /2 section\(s\) still open/);
  assert.match(log.warnings.join('\n'), /2 section end\(s\) did not match/);
  const p = readPypyLog(utf8(text));
  assert.deepEqual(markerSummary(p).byCategory, { gc: 3, jit: 3, other: 1 });
});

test('pypylog: bad input is one ProfileFormatError naming the line', () => {
  assertFormatError(() => readPypyLog(utf8('')), 'pypylog', /empty/);
  assertFormatError(
    () => readPypyLog(utf8('hello\n[10] {gc\n')),
    'pypylog',
    /expected "\[hex timestamp\] \{category", found "hello" \(line 1\)/,
  );
  assertFormatError(() => readPypyLog(utf8('\n\n[zz] {gc\n')), 'pypylog', /line 3/);
  assertFormatError(() => readPypyLog(fixtureBytes('perf/simple.linux-perf.txt')), 'pypylog', /line 1/);
  // A log cut in the middle of a line keeps everything before it.
  const full = new TextDecoder().decode(fixtureBytes('pypy/pypy-wordcount.pypylog'));
  const p = readPypyLog(utf8(full.slice(0, 5000)));
  assert.ok(p.threads[0].markers.length > 10);
});

test('pypylog: sniffing', () => {
  assert.ok(sniffPypyLog(utf8('[216bcf7ccf2] {gc-set-nursery-size\nnursery size: 270336\n')));
  assert.ok(!sniffPypyLog(utf8('[216bcf7ccf2] gc-set-nursery-size}\n')));
  assert.ok(!sniffPypyLog(utf8('[INFO] {"a": 1}\n')));
  assert.ok(!sniffPypyLog(utf8('main;foo 1\n')));
});

/** A one-sample profile of a 1 s run starting at Unix ms 1e12, with META pypylog_clock when given. */
function runWithClock(clock?: string): Profile {
  const b = new ProfileBuilder('vmprof', { startTime: 1e12, endTime: 1e12 + 1000, interval: 1 });
  const t = b.thread('1', 'main');
  b.addSampleFrames(t, [b.frame(b.func('main', 'm.py', 1))], 0);
  if (clock !== undefined) b.meta.extra.pypylog_clock = clock;
  return b.build();
}

test('pypylog: the clocks record wrote (tick, Unix ms at start and stop) place sections at their real times', () => {
  // 1000 ticks per ms; tick 5,000,000 is read 100 ms after the profile's start, tick 6,000,000 at 1,100 ms
  const profile = runWithClock('5000000 1000000000100.000 6000000 1000000001100.000');
  // the log starts before the profile (interpreter start-up) and ends after it
  const log =
    '[4c4b40] {gc-minor\n[4c4b41] gc-minor}\n[4dd1e0] {gc-collect-step\n[4ef2f0] gc-collect-step}\n[5a06e0] {jit-tracing\n[5a4178] jit-tracing}\n';
  const merged = attachPypyLog(profile, parsePypyLog(utf8(log)));
  const m = merged.threads[0].markers;
  const at = (name: string) => {
    const i = findMarker(merged, name);
    return [m.start[i], m.end[i]];
  };
  assert.deepEqual(at('gc-minor'), [100, 100.001]); // 0x4c4b40 = 5,000,000
  assert.deepEqual(at('gc-collect-step'), [200, 274]); // 5,100,000 .. 5,174,000
  assert.deepEqual(at('jit-tracing'), [1000, 1015]);
  assert.deepEqual(merged.attachments.pypylogTiming as PypyLogTiming, { source: 'clock', ticksPerMs: 1000 });
  assert.doesNotMatch(merged.meta.warnings.join('\n'), /approximate/);
  // the same log without the clocks: its tick range stretched over the run, and said so
  const stretched = attachPypyLog(runWithClock(), parsePypyLog(utf8(log)));
  assert.equal((stretched.attachments.pypylogTiming as PypyLogTiming).source, 'span');
  assert.equal(stretched.threads[0].markers.start[findMarker(stretched, 'gc-minor')], 0);
  assert.match(stretched.meta.warnings.join('\n'), /approximate/);
});

test('pypylog: unusable clock marks (garbled, stopped before started, one clock still) fall back to the stretched span', () => {
  const log = utf8('[10] {gc-minor\n[20] gc-minor}\n');
  for (const clock of ['', 'garbage', '5 100 5 200', '5 100 9 100', '9 100 5 200', '5 100 NaN 200', '1 2 3']) {
    const merged = attachPypyLog(runWithClock(clock), parsePypyLog(log));
    assert.equal((merged.attachments.pypylogTiming as PypyLogTiming).source, 'span', JSON.stringify(clock));
    assert.deepEqual([merged.threads[0].markers.start[0], merged.threads[0].markers.end[0]], [0, 1000]);
  }
});
