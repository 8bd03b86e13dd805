/**
 * The trace model (src/formats/jitlog/traces.ts) on the fixtures: traces with their kind,
 * source and entry count, guards -> bridges, operations -> source lines, and the profile time
 * that landed in each trace's machine code.
 *
 * Oracle: vmprof-python's own readers, run beside the project when this test was written
 * (CI cannot fetch them). For test/fixtures/vmprof/pypy-wordcount.prof with its jitlog
 * test/fixtures/pypy/pypy-wordcount.prof.jit:
 *   from vmprof.reader import _read_prof, AssemblerCode; from jitlog.parser import parse_jitlog
 *   forest = parse_jitlog(JIT); ranges = [(t.addrs[0], t.addrs[1], t.unique_id) for t in forest.traces.values()]
 *   for each sample: a = the last AssemblerCode of its stack (the innermost), counted for the
 *   trace whose [addrs[0], addrs[1]) holds it
 * printed: traces 10, assembled 10; samples 70, with assembler 63; hits {4: 18, 5: 3, 6: 2,
 * 10: 39, 11: 1}; first merge point scopes (t.get_first_merge_point()): 3 _count_elements,
 * 4 _count_elements, 5 _count_elements, 6 _count_elements, 7 _count_elements, 8 __contains__,
 * 9 __contains__, 10 <module>, 11 decode, 12 nlargest; types: loops 4, 10, 12, the rest bridges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers.js';
import { loadProfile } from '../../src/formats/load.js';
import { attachSideFile } from '../../src/formats/sidefiles.js';
import { jitSamplesOf } from '../../src/model/jit-samples.js';
import { jitlogOf, opSources, summarizeTraces, traceFinder, tracesOfFunction, traceTitle } from '../../src/formats/jitlog/traces.js';
import { parseJitlog, type JitLog } from '../../src/formats/jitlog/index.js';

async function wordcount() {
  const profile = await attachSideFile(await loadProfile(fixture('vmprof/pypy-wordcount.prof')), {
    path: fixture('pypy/pypy-wordcount.prof.jit'),
    kind: 'jitlog',
  });
  return { profile, log: jitlogOf(profile.attachments)!, jitSamples: jitSamplesOf(profile.attachments) };
}

test('traces: word count — samples per trace, kinds and sources equal vmprof-python', async () => {
  const { profile, log, jitSamples } = await wordcount();
  assert.equal(profile.threads[0].samples.length, 70);
  assert.equal(jitSamples!.address.length, 63, 'samples with an ASSEMBLER entry');
  const traces = summarizeTraces(log, jitSamples);
  assert.equal(traces.length, 10);
  assert.deepEqual(
    traces.filter((t) => t.samples > 0).map((t) => [t.id, t.samples]),
    [
      [10, 39],
      [4, 18],
      [5, 3],
      [6, 2],
      [11, 1],
    ],
    'sorted by profile time',
  );
  assert.deepEqual(Object.fromEntries(traces.map((t) => [t.id, `${t.kind} ${t.source?.scope}`])), {
    3: 'bridge _count_elements',
    4: 'loop _count_elements',
    5: 'bridge _count_elements',
    6: 'bridge _count_elements',
    7: 'bridge _count_elements',
    8: 'bridge __contains__',
    9: 'bridge __contains__',
    10: 'loop <module>',
    11: 'bridge decode',
    12: 'loop nlargest',
  });
  // Traces that were never entered after sampling started come last, by entry count.
  assert.deepEqual(
    traces.slice(5).map((t) => t.id),
    [7, 8, 3, 9, 12],
  );
  assert.equal(traceTitle(traces[0]), 'loop 10: <module> (wordcount.py:3)');
});

test('traces: word count — guards with bridges, and each bridge points back at its guard', async () => {
  const { log } = await wordcount();
  const traces = summarizeTraces(log);
  const byId = new Map(traces.map((t) => [t.id, t]));
  for (const t of traces) {
    for (const g of t.bridges) {
      const trace = log.traces.find((x) => x.id === t.id)!;
      const op = trace.stages.asm!.ops[g.opIndex];
      assert.match(op.name, /^guard_/);
      assert.equal(op.descrId, g.descrId);
      assert.deepEqual(byId.get(g.bridge)!.parent, { trace: t.id, opIndex: g.opIndex });
    }
  }
  // Loop 4 (_count_elements) has the bridges 5, 6 and 7 on its guards; bridges 3 and 9 hang from guards of traces
  // compiled before the jitlog started (no parent).
  assert.deepEqual(
    byId
      .get(4)!
      .bridges.map((b) => b.bridge)
      .sort((a, b) => a - b),
    [5, 6, 7],
  );
  assert.equal(byId.get(3)!.parent, null);
  for (const t of traces) if (t.kind === 'loop') assert.equal(t.parent, null);
});

test('traces: operations map to the source lines of their merge points (opt stage and the assembled stage)', async () => {
  const { log } = await wordcount();
  const loop = log.traces.find((t) => t.id === 10)!;
  const opt = loop.stages.opt!;
  const sources = opSources(loop, 'opt');
  assert.equal(sources.length, opt.ops.length);
  // Before the first merge point (the loop's preamble reads the frame) there is no line.
  assert.equal(sources[0], null);
  // At each merge point's operation, the source is the last merge point written before that operation.
  const lastAt = new Map(opt.mergePoints.map((mp) => [mp.opIndex, mp]));
  for (const [opIndex, mp] of lastAt) if (opIndex < opt.ops.length) assert.equal(sources[opIndex], mp);
  // vmprof-python: f.traces[10].stages['opt'].merge_points: wordcount.py line 3 at op 11, line 4 at op 62.
  assert.equal(sources[11]!.line, 3);
  assert.equal(sources[61]!.line, 3);
  assert.equal(sources[62]!.line, 4);
  // The assembled stage takes the line of the optimised operation with the same descr: every guard agrees.
  const asmSources = opSources(loop, 'asm');
  const optLineByDescr = new Map(opt.ops.map((op, i) => [op.descrId, sources[i]?.line]));
  let guards = 0;
  loop.stages.asm!.ops.forEach((op, i) => {
    if (op.descrId === undefined || !op.name.startsWith('guard_')) return;
    guards++;
    assert.equal(asmSources[i]?.line, optLineByDescr.get(op.descrId), `asm op ${i} ${op.name}`);
  });
  assert.ok(guards > 20, `guards ${guards}`);
  // The machine code of an assembled operation is kept as bytes.
  const withCode = loop.stages.asm!.ops.filter((op) => op.asm && op.asm.size > 0);
  assert.ok(withCode.length > 100);
  for (const op of withCode) assert.equal(op.asm!.hex.length, 2 * op.asm!.size);
});

test('traces: addresses find their trace; functions find the traces that ran their code', async () => {
  const { log } = await wordcount();
  const find = traceFinder(log);
  for (const t of log.traces) {
    assert.equal(find(t.address!.start)!.id, t.id);
    assert.equal(find(t.address!.end - 1)!.id, t.id);
    const after = find(t.address!.end);
    assert.notEqual(after?.id, t.id);
  }
  assert.equal(find(0), null);
  const traces = summarizeTraces(log);
  const ids = (name: string, file: string) =>
    tracesOfFunction(traces, name, file)
      .map((t) => t.id)
      .sort((a, b) => a - b);
  // The profile's function (name, file) as the VMProf reader names it; inlined callees count (10 inlines __contains__).
  assert.deepEqual(ids('__contains__', '<builtin>/_abc/app_abc.py'), [8, 9, 10]);
  assert.deepEqual(ids('_count_elements', '/usr/lib/pypy3.9/collections/__init__.py'), [3, 4, 5, 6, 7, 10]);
  assert.deepEqual(ids('<module>', 'wordcount.py'), [10]);
  assert.deepEqual(ids('<module>', 'other.py'), []);
});

test('traces: the entry bridge kind, and a log without samples', () => {
  // A loop started with entry_bridge=True carries 1 in the descr field (rjitlog.start_new_trace).
  const log: JitLog = parseJitlog(
    new Uint8Array([
      0x1e,
      4,
      0,
      0,
      6,
      0,
      0,
      0,
      ...Buffer.from('x86_64'),
      0x12,
      0,
      0,
      0x1b,
      ...u64(7),
      4,
      0,
      0,
      0,
      ...Buffer.from('loop'),
      ...u64(1),
      0,
      0,
      0,
      0,
    ]),
  );
  const [t] = summarizeTraces(log, null);
  assert.equal(t.kind, 'entry bridge');
  assert.equal(t.samples, 0);
  assert.equal(t.source, null);
  assert.equal(traceTitle(t), 'entry bridge 7: (no source)');
});

function u64(n: number): number[] {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return [...b];
}

// vmprof-python on vmprof-firefox-converter's example.jitlog: one trace, "40 loop 8 function_a (2, 'example.py')
// {'noopt': 54, 'opt': 39, 'asm': 43}" (unique_id, type, counter, first merge point scope and (line, file), ops per stage).
test('traces: the firefox converter example equals vmprof-python (one loop of function_a, entered 8 times)', () => {
  const log = parseJitlog(new Uint8Array(readFileSync(fixture('pypy/example.jitlog'))));
  const [t, ...rest] = summarizeTraces(log, null);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    { id: t.id, kind: t.kind, entries: t.entryCount, source: t.source, ops: t.opCounts },
    {
      id: 40,
      kind: 'loop',
      entries: 8,
      source: { scope: 'function_a', file: 'example.py', line: 2 },
      ops: { noopt: 54, opt: 39, asm: 43 },
    },
  );
  assert.deepEqual(
    t.lines.map((l) => l.line),
    [2, 3],
  );
});
