import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readScalene } from '../../src/formats/scalene.js';
import { lineMetrics, metricColumn } from '../../src/model/line-metrics.js';
import { showJson } from '../../src/report/json.js';
import { writeCallgrind } from '../../src/formats/callgrind/write.js';
import { readCallgrind } from '../../src/formats/callgrind/index.js';
import { readSpeedscope, speedscopeDocument } from '../../src/formats/speedscope.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { lineCosts, stackWeights } from '../../src/model/analysis.js';
import { CATEGORIES, funcName } from '../../src/model/profile.js';
import { renderLines } from '../../src/report/lines.js';
import { plainStyle } from '../../src/report/text.js';
import { assertExportRoundTrip, assertFormatError, assertModelInvariants, assertSniffsAs, utf8 } from './format-helpers.js';

/** A LineDetail with every field scalene_json.py writes, zero unless given. */
function line(lineno: number, text: string, values: Record<string, number> = {}, region = lineno) {
  return {
    lineno,
    line: text,
    memory_samples: [],
    cpu_samples_list: [],
    async_task_names: [],
    is_coroutine: false,
    n_avg_mb: 0,
    n_copy_mb_s: 0,
    n_core_utilization: 0,
    n_cpu_percent_c: 0,
    n_cpu_percent_python: 0,
    n_gpu_avg_memory_mb: 0,
    n_gpu_peak_memory_mb: 0,
    n_gpu_percent: 0,
    n_growth_mb: 0,
    n_peak_mb: 0,
    n_malloc_mb: 0,
    n_mallocs: 0,
    n_python_fraction: 0,
    n_sys_percent: 0,
    n_usage_fraction: 0,
    start_region_line: region,
    end_region_line: region,
    start_outermost_loop: lineno,
    end_outermost_loop: lineno,
    ...values,
  };
}

const profile = {
  alloc_samples: 3,
  args: [],
  elapsed_time_sec: 2,
  entrypoint_dir: '/app',
  filename: '/app',
  growth_rate: 0.5,
  max_footprint_mb: 120,
  max_footprint_python_fraction: 0.4,
  memory: true,
  program: '/app/work.py',
  start_time_absolute: 1_700_000_000,
  gpu: false,
  gpu_device: '',
  stacks: [],
  samples: [
    [2_000_000, 10],
    [1_000_000, 5],
    [1_500_000_000, 120],
  ],
  files: {
    '/app/work.py': {
      percent_cpu_time: 80,
      imports: [],
      leaks: {},
      functions: [
        { ...line(3, 'parse'), n_cpu_percent_python: 50 },
        { ...line(10, 'crunch'), n_cpu_percent_c: 25 },
      ],
      lines: [
        line(1, 'import json\n', { n_cpu_percent_python: 5 }, 1),
        line(
          4,
          '    data = json.loads(text)\n',
          {
            n_cpu_percent_python: 30,
            n_cpu_percent_c: 10,
            n_sys_percent: 2,
            n_malloc_mb: 50,
            n_peak_mb: 60,
            n_mallocs: 4,
            n_python_fraction: 0.25,
          },
          3,
        ),
        line(5, '    return data\n', { n_cpu_percent_python: 10 }, 3),
        line(12, '    total = sum(x * x for x in data)\n', { n_cpu_percent_c: 25, n_copy_mb_s: 3 }, 10),
        line(20, 'print(total)\n'),
        // Memory and no CPU: still a cost.
        line(21, 'cache = [0] * 10**6\n', { n_malloc_mb: 8, n_growth_mb: 7.5, n_peak_mb: 8, n_mallocs: 1, n_python_fraction: 1 }, 21),
      ],
    },
  },
};

test('scalene: per-line CPU becomes line costs, split into Python, native and system time', () => {
  const bytes = utf8(JSON.stringify(profile, null, 2));
  assertSniffsAs(bytes, 'scalene', 'profile.json');
  const p = readScalene(bytes);
  assertModelInvariants(p);
  assert.equal(p.meta.weightUnit, 'ms');
  assert.deepEqual(p.meta.flags, ['lines', 'memory']);
  assert.equal(p.meta.startTime, 1_700_000_000_000);
  // 2 s elapsed: 30% of it is 600 ms.
  const costs = lineCosts(p, stackWeights(p));
  const byName = (name: string) => costs.get(Array.from({ length: p.funcs.length }, (_, f) => f).find((f) => funcName(p, f) === name)!)!;
  assert.deepEqual([...byName('parse')].map(([l, c]) => [l, Math.round(c.self)]).sort(), [
    [4, 840],
    [5, 200],
  ]);
  assert.deepEqual(
    [...byName('crunch')].map(([l, c]) => [l, Math.round(c.self)]),
    [[12, 500]],
  );
  assert.deepEqual(
    [...byName('<module>')].map(([l, c]) => [l, Math.round(c.self)]),
    [[1, 100]],
  );
  // Line 4's 42% is three samples: Python, native, system.
  const line4 = Array.from({ length: p.frames.length }, (_, r) => r)
    .filter((r) => p.frames.line[r] === 4)
    .map((r) => CATEGORIES[p.frames.category[r]])
    .sort();
  assert.deepEqual(line4, ['kernel', 'native', 'python']);
  const m = lineMetrics(p)!;
  const row = (line: number) => m.line.indexOf(line);
  const value = (line: number, key: string) => m.values[metricColumn(m, key)][row(line)];
  assert.equal(funcName(p, m.func[row(4)]), 'parse');
  assert.deepEqual(
    ['allocMb', 'peakMb', 'mallocs', 'pythonFraction'].map((k) => value(4, k)),
    [50, 60, 4, 0.25],
  );
  assert.deepEqual(m.line, [4, 12, 21], 'lines that allocated, grew, peaked or copied; not CPU-only lines nor line 20');
  // The footprint samples (ns since the start, MB) in time order, as KiB.
  assert.deepEqual([...p.counters[0].time], [1, 2, 1500]);
  assert.deepEqual([...p.counters[0].value], [5 * 1024, 10 * 1024, 120 * 1024]);
  assertExportRoundTrip(p, 'speedscope');
});

test('scalene: per-line memory is a cost: show --lines ranks lines by MB allocated, with growth, peak and mallocs', () => {
  const p = readScalene(utf8(JSON.stringify(profile)));
  const out = renderLines(p, {}, plainStyle(140)).split('\n');
  const header = out.findIndex((l) => l.startsWith('memory per line'));
  assert.ok(header > 0, out.join('\n'));
  const rows = out.slice(header + 2).filter((l) => l.trim() !== '');
  assert.deepEqual(
    rows.map((l) => l.trim().split(/\s+/)),
    [
      ['50', '0', '60', '4', '25%', 'parse', '/app/work.py:4'],
      ['8', '7.5', '8', '1', '100%', 'crunch', '/app/work.py:21'],
    ],
  );
});

test('scalene: show --json carries the memory per line, largest allocation first', () => {
  const p = readScalene(utf8(JSON.stringify(profile)));
  const json = showJson(p, { threads: [0], top: 20 });
  assert.deepEqual(
    json.lineMetrics!.columns.map((c) => `${c.key}/${c.unit}`),
    ['allocMb/MB', 'growthMb/MB', 'peakMb/MB', 'avgMb/MB', 'mallocs/count', 'pythonFraction/fraction', 'copyMbPerS/MB/s'],
  );
  assert.deepEqual(
    json.lineMetrics!.lines.map((l) => [l.name, l.line, l.values.allocMb, l.values.growthMb, l.values.copyMbPerS]),
    [
      ['parse', 4, 50, 0, 0],
      ['crunch', 21, 8, 7.5, 0],
      ['crunch', 12, 0, 0, 3],
    ],
  );
  assert.ok(JSON.parse(JSON.stringify(json)).lineMetrics, 'survives JSON');
});

test('scalene: bad input is one error', () => {
  assertFormatError(() => readScalene(utf8('{"elapsed_time_sec": 1, "files": {')), 'scalene', /unexpected end/);
  const shape = (value: unknown, pattern: RegExp) =>
    assert.throws(
      () => readScalene(utf8(JSON.stringify(value))),
      (e) => e instanceof ProfileFormatError && pattern.test(e.message),
    );
  shape({ elapsed_time_sec: 'x', files: {} }, /elapsed_time_sec: expected a number/);
  shape({ elapsed_time_sec: 1, files: { a: { lines: [line(1, 'x', { n_cpu_percent_python: -3 })] } } }, /negative CPU percentage/);
  shape({ elapsed_time_sec: 1, files: { a: { lines: [{ line: 'x' }] } } }, /lines\[0\]\.lineno: expected a number/);
});

test('scalene: convert carries the memory per line: callgrind as an AllocBytes event, speedscope as a bytes profile our reader reads back', () => {
  const p = readScalene(utf8(JSON.stringify(profile)));
  const callgrind = writeCallgrind(p);
  assert.match(callgrind, /^events: ms AllocBytes$/m);
  // parse's line 4: 840 ms of CPU and 50 MB.
  assert.match(callgrind, new RegExp(`^4 840 ${50 * 1024 * 1024}$`, 'm'));
  // crunch's line 21 allocated 8 MB and took no CPU.
  assert.match(callgrind, new RegExp(`^21 0 ${8 * 1024 * 1024}$`, 'm'));
  const back = readCallgrind(utf8(callgrind));
  assert.deepEqual((back.attachments.callgrind as { events: string[] }).events, ['ms', 'AllocBytes']);

  const doc = speedscopeDocument(p);
  const memory = doc.profiles.find((x) => x.unit === 'bytes')!;
  assert.ok(memory.name.startsWith('memory allocated per line'));
  assert.deepEqual(
    memory.samples.map((s) => `${doc.shared.frames[s[0]].name}:${doc.shared.frames[s[0]].line}`),
    ['parse:4', 'crunch:21'],
  );
  assert.deepEqual(memory.weights, [50 * 1024 * 1024, 8 * 1024 * 1024]);
  const read = readSpeedscope(utf8(JSON.stringify(doc)));
  assert.equal(read.threads.length, 1, 'the memory profile is not a thread');
  assert.deepEqual(read.meta.warnings, []);
  const m = lineMetrics(read)!;
  assert.deepEqual(
    m.func.map((f, r) => [funcName(read, f), m.line[r], m.values[0][r]]),
    [
      ['parse', 4, 50],
      ['crunch', 21, 8],
    ],
  );
});
