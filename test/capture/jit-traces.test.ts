/**
 * The trace model on a real recording: `pyrometer record --jitlog` of PyPy running
 * jit_loops.py (a hot loop that inlines a small function and takes a rare branch). Checked
 * by hand against vmprof-python's jitlog parser and profile reader on such a recording
 * (9 traces: loop 5 count_words, bridges 6, 7 on its guards, ...; ASSEMBLER samples per trace
 * {5: 15, 6: 1} of 16, equal to summarizeTraces'); here the same relations are asserted
 * on a fresh run, whose trace ids and counts vary with the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import { jitlogOf, opSources, summarizeTraces, tracesOfFunction } from '../../src/formats/jitlog/traces.js';
import { jitSamplesOf } from '../../src/model/jit-samples.js';
import { dataPath, removeDir, runPyrometer } from './run.js';

test('PyPy --jitlog: the hot loop is a trace of count_words with its source lines, bridges on its guards, and the samples', async () => {
  const program = dataPath('jit_loops.py');
  const run = await runPyrometer(['record', '--jitlog', '-o', 'j.prof', '--', 'pypy3', program, '20000']);
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /pyrometer view j\.prof\n\s+pyrometer show j\.prof --traces /);
    const profile = await loadWithSideFiles(join(run.dir, 'j.prof'));
    const log = jitlogOf(profile.attachments);
    assert.ok(log, 'the jitlog beside the profile is attached');
    const traces = summarizeTraces(log, jitSamplesOf(profile.attachments));
    const loops = tracesOfFunction(traces, 'count_words', program).filter((t) => t.kind === 'loop');
    assert.ok(loops.length >= 1, traces.map((t) => `${t.kind} ${t.id} ${t.source?.scope}`).join(', '));
    const loop = loops[0];
    assert.equal(loop.source!.scope, 'count_words');
    assert.equal(loop.source!.file, program);
    assert.ok(loop.entryCount >= 1);
    // Lines of the loop body (jit_loops.py 16-19), normalize (line 12) inlined into it.
    const lines = new Set(loop.lines.map((l) => `${l.scope}:${l.line}`));
    for (const line of ['count_words:16', 'count_words:17', 'count_words:18', 'count_words:19', 'normalize:12'])
      assert.ok(lines.has(line), `${line} in ${[...lines]}`);
    // The rare branch (line 20) became a bridge on one of the loop's guards, pointing back at it.
    const bridges = loop.bridges.map((b) => traces.find((t) => t.id === b.bridge)!);
    assert.ok(bridges.length >= 1);
    for (const b of bridges) {
      assert.equal(b.kind, 'bridge');
      assert.equal(b.parent!.trace, loop.id);
    }
    assert.ok(
      bridges.some((b) => b.lines.some((l) => l.line === 20)),
      bridges.map((b) => b.lines.map((l) => l.line)).join(' / '),
    );
    // A guard op of the loop's optimised stage sits at a line of the loop.
    const trace = log.traces.find((t) => t.id === loop.id)!;
    const sources = opSources(trace, 'opt');
    trace.stages.opt!.ops.forEach((op, i) => {
      if (op.name === 'call_r' || op.name === 'call_i')
        assert.ok(sources[i] === null || [12, 16, 17, 18, 19, 20].includes(sources[i]!.line!));
    });
    // Time: every sample that ran JIT code of this program lands in an assembled trace, most in count_words' traces.
    const jit = jitSamplesOf(profile.attachments);
    assert.ok(jit && jit.address.length > 0, 'samples with a JIT address');
    const inTraces = traces.reduce((n, t) => n + t.samples, 0);
    assert.ok(inTraces <= jit!.address.length);
    assert.ok(inTraces >= jit!.address.length * 0.9, `${inTraces} of ${jit!.address.length} JIT samples found a trace`);
    assert.equal(traces[0].samples, Math.max(...traces.map((t) => t.samples)));
    assert.ok(['count_words', 'normalize', 'main'].includes(traces[0].source?.scope ?? ''), traces[0].source?.scope);
  } finally {
    removeDir(run.dir);
  }
});
