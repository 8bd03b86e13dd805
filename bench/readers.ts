/**
 * `npm run bench:readers`: throughput of the pstats, callgrind, perf script,
 * PyPy log and jitlog readers, side by side with the reference tools where one
 * exists on the machine.
 *
 * Inputs: the shared fixtures (real files), plus a synthetic pstats file large
 * enough to time (READERS_BENCH_PSTATS_FUNCS functions, default 20000, each with
 * 4 callers), written by python3's own marshal. Each reader runs on the same bytes
 * READERS_BENCH_RUNS times (default 5) after one warm-up; the table shows the
 * median. Reference tools, run on the same file in the same invocation:
 * - pstats: CPython's `pstats.Stats(path)` (timed inside python, start-up excluded);
 * - callgrind: `callgrind_annotate` (wall time of the whole tool, which also prints).
 * A missing tool is reported as such, never guessed.
 *
 * - V8 tick log: a `node --prof` log of a native-heavy workload, read with native symbols (the
 *   libraries' ELF symbol tables) and without, beside `node --prof-process --preprocess` (which
 *   runs nm on the same libraries).
 *
 * Then the trace-event reader on a READERS_BENCH_TRACE_MB (default 100) MB
 * synthetic Chrome trace (bench/trace-event.ts), beside speedscope's importer
 * in headless Chromium on the same file: READERS_BENCH_TRACE_ROUNDS (default 3)
 * rounds, each running both, the order alternating; medians of wall time, MB/s and
 * peak RSS with 90% bootstrap intervals (bench/stats.ts), every round's numbers, and
 * the per-round ratios (speedscope / pyrometer) with theirs.
 * READERS_BENCH_TRACE_MB=0 skips it; speedscope gets READERS_BENCH_SPEEDSCOPE_TIMEOUT_S
 * (default 900) per round, after which the row says it gave no profile.
 *
 * Prints a Markdown table for docs/performance.md.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readPstats } from '../src/formats/pstats/index.js';
import { readCallgrind } from '../src/formats/callgrind/index.js';
import { readPerfScript } from '../src/formats/perf/index.js';
import { readPypyLog } from '../src/formats/pypylog/index.js';
import { readJitlog } from '../src/formats/jitlog/index.js';
import { readV8Log } from '../src/formats/v8log.js';
import { machineSymbols } from '../src/formats/machine-symbols.js';
import type { Profile } from '../src/model/profile.js';
import { measureOurs, measureSpeedscope, writeTrace, type Measurement } from './trace-event.js';
import { median, medianInterval } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(root, 'test/fixtures');
const runs = Number(process.env.READERS_BENCH_RUNS ?? 5);
const pstatsFuncs = Number(process.env.READERS_BENCH_PSTATS_FUNCS ?? 20000);

function time(read: () => Profile): number {
  read();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    read();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function timeTool(cmd: string, args: string[]): number | null {
  const ms: number[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.error || r.status !== 0) return null;
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const rows: string[] = [];
const traceRows: string[] = [];

function speedscopeVersion(): string {
  return (JSON.parse(readFileSync(resolve(root, 'node_modules/speedscope/package.json'), 'utf8')) as { version: string }).version;
}
const row = (what: string, bytes: number, ours: number, reference: string) => {
  const mbps = bytes / 1024 / 1024 / (ours / 1000);
  rows.push(`| ${what} | ${(bytes / 1024).toFixed(0)} KiB | ${ours.toFixed(1)} ms (${mbps.toFixed(1)} MB/s) | ${reference} |`);
};

const tmp = mkdtempSync(join(tmpdir(), 'pyrometer-readers-'));
try {
  // pstats: a synthetic file made by CPython's marshal, and CPython's reader on it.
  const pstatsPath = join(tmp, 'big.pstats');
  const gen = spawnSync('python3', [
    '-c',
    `
import marshal, random, sys
random.seed(1)
n = ${pstatsFuncs}
keys = [('/src/mod%d.py' % (i % 300), i, 'f%d' % i) for i in range(n)]
stats = {}
for i, k in enumerate(keys):
    callers = {}
    for c in random.sample(range(max(1, i)), min(4, max(1, i))) if i else []:
        callers[keys[c]] = (3, 3, 0.001, 0.002)
    stats[k] = (3, 3, 0.001, 0.004, callers)
with open(sys.argv[1], 'wb') as f:
    marshal.dump(stats, f)
`,
    pstatsPath,
  ]);
  if (gen.status === 0) {
    const bytes = new Uint8Array(readFileSync(pstatsPath));
    const ours = time(() => readPstats(bytes));
    const py = spawnSync(
      'python3',
      [
        '-c',
        `
import pstats, sys, time
ts = []
for i in range(${Math.min(runs, 3)}):
    t0 = time.perf_counter(); pstats.Stats(sys.argv[1]); ts.append(time.perf_counter() - t0)
ts.sort(); print(ts[len(ts) // 2] * 1000)
`,
        pstatsPath,
      ],
      { encoding: 'utf8' },
    );
    const ref = py.status === 0 ? `CPython pstats.Stats: ${Number(py.stdout).toFixed(1)} ms` : 'python3 pstats failed';
    row(`pstats, synthetic (${pstatsFuncs} functions x 4 callers)`, bytes.length, ours, ref);
  } else {
    rows.push('| pstats | — | — | python3 not available to make the input |');
  }
  const wordcount = new Uint8Array(readFileSync(join(fixtures, 'cprofile/cprofile-python3-wordcount.pstats')));
  row(
    'pstats, cprofile-python3-wordcount.pstats',
    wordcount.length,
    time(() => readPstats(wordcount)),
    '—',
  );

  const cgPath = join(fixtures, 'callgrind/callgrind.python3-tiny.out');
  const cg = new Uint8Array(readFileSync(cgPath));
  const annotate = timeTool('callgrind_annotate', ['--inclusive=yes', cgPath]);
  row(
    'callgrind, CPython running tiny.py',
    cg.length,
    time(() => readCallgrind(cg)),
    annotate === null ? 'callgrind_annotate not installed' : `callgrind_annotate --inclusive=yes: ${annotate.toFixed(1)} ms`,
  );

  const perf = new Uint8Array(readFileSync(join(fixtures, 'perf/perf-python3-primes.txt')));
  row(
    'perf script, CPython primes (16,532 samples)',
    perf.length,
    time(() => readPerfScript(perf)),
    '—',
  );

  const log = new Uint8Array(readFileSync(join(fixtures, 'pypy/pypy-wordcount.pypylog')));
  row(
    'PyPy log, word count (1,526 sections)',
    log.length,
    time(() => readPypyLog(log)),
    '—',
  );

  const jit = new Uint8Array(readFileSync(join(fixtures, 'pypy/pypy-wordcount.prof.jit')));
  row(
    'jitlog, word count (10 traces)',
    jit.length,
    time(() => readJitlog(jit)),
    '—',
  );
  // V8 tick log with native frames: hashing, JSON and sorting run in node's and V8's C++.
  const v8Dir = join(tmp, 'v8');
  mkdirSync(v8Dir);
  writeFileSync(
    join(v8Dir, 'native.js'),
    `const crypto = require('node:crypto'); let s = 0;
for (let k = 0; k < 3000; k++) {
  s += crypto.createHash('sha256').update('x'.repeat(2000)).digest()[0];
  s += JSON.stringify(JSON.parse(JSON.stringify({ a: [k, 2, 3], b: 'y'.repeat(200) }))).length;
  if (k % 50 === 0) s += new Float64Array(20000).map(Math.random).sort()[0];
}`,
  );
  spawnSync(process.execPath, ['--prof', 'native.js'], { cwd: v8Dir, stdio: 'ignore' });
  const v8LogName = readdirSync(v8Dir).find((f) => /^isolate-.*\.log$/.test(f));
  if (v8LogName) {
    const v8Path = join(v8Dir, v8LogName);
    const v8 = new Uint8Array(readFileSync(v8Path));
    const ticks = readV8Log(v8).threads[0].samples.length;
    const processor = timeTool(process.execPath, ['--prof-process', '--preprocess', v8Path]);
    row(
      `V8 log, node --prof (${ticks} ticks), native frames by symbol`,
      v8.length,
      time(() => readV8Log(v8, { nativeSymbols: machineSymbols })),
      processor === null ? 'node --prof-process: failed' : `node --prof-process --preprocess (nm): ${processor.toFixed(1)} ms`,
    );
    row(
      `V8 log, same file, native frames by library (no symbols)`,
      v8.length,
      time(() => readV8Log(v8)),
      '—',
    );
  }
  const traceMb = Number(process.env.READERS_BENCH_TRACE_MB ?? 100);
  if (traceMb > 0) {
    const tracePath = join(tmp, 'bench.trace.json');
    const size = writeTrace(tracePath, traceMb);
    const rounds = Number(process.env.READERS_BENCH_TRACE_ROUNDS ?? 3);
    const ours: Measurement[] = [];
    const theirs: Measurement[] = [];
    const timeoutMs = Number(process.env.READERS_BENCH_SPEEDSCOPE_TIMEOUT_S ?? 900) * 1000;
    for (let r = 0; r < rounds; r++) {
      // Alternate which runs first, so a drift in the machine's load hits both alike.
      const runOurs = () => {
        ours.push(measureOurs(tracePath));
        console.error(`round ${r + 1}: pyrometer ${ours[r].ms.toFixed(0)} ms, peak RSS ${ours[r].peakRssMb.toFixed(0)} MB`);
      };
      const runTheirs = async () => {
        theirs.push(await measureSpeedscope(tracePath, timeoutMs));
        console.error(
          `round ${r + 1}: speedscope ${theirs[r].failed ?? `${theirs[r].ms.toFixed(0)} ms`}, renderer peak RSS ${theirs[r].peakRssMb.toFixed(0)} MB`,
        );
      };
      if (r % 2 === 0) {
        runOurs();
        await runTheirs();
      } else {
        await runTheirs();
        runOurs();
      }
    }
    const mb = size / 1024 / 1024;
    // Median [90% interval] of per-round values; with 3 rounds the interval spans the rounds.
    const stat = (xs: number[], digits: number) => {
      const [lo, hi] = medianInterval(xs);
      return `${median(xs).toFixed(digits)} [${lo.toFixed(digits)}–${hi.toFixed(digits)}]`;
    };
    const describe = (xs: Measurement[]) =>
      `${stat(
        xs.map((x) => x.ms / 1000),
        1,
      )} s | ${stat(
        xs.map((x) => mb / (x.ms / 1000)),
        2,
      )} | ${stat(
        xs.map((x) => x.peakRssMb),
        0,
      )} MB`;
    traceRows.push(`| pyrometer (\`loadProfile\`: streamed above 16 MB), node process | ${mb.toFixed(0)} MB | ${describe(ours)} |`);
    const done = theirs.filter((t) => !t.failed);
    const version = speedscopeVersion();
    if (done.length > 0) traceRows.push(`| speedscope ${version} importer, Chromium renderer | ${mb.toFixed(0)} MB | ${describe(done)} |`);
    for (const t of theirs.filter((x) => x.failed)) {
      traceRows.push(
        `| speedscope ${version} importer, Chromium | ${mb.toFixed(0)} MB | ${t.failed} | — | ${t.peakRssMb.toFixed(0)} MB (when stopped) |`,
      );
    }
    traceRows.push(
      '',
      '| round (first to run) | pyrometer | speedscope | time ratio (speedscope / pyrometer) | peak RSS ratio |',
      '|---|---|---|---|---|',
    );
    for (let r = 0; r < rounds; r++) {
      const t = theirs[r];
      const time = t.failed ? '—' : `${(t.ms / ours[r].ms).toFixed(2)}x`;
      traceRows.push(
        `| ${r + 1} (${r % 2 === 0 ? 'pyrometer' : 'speedscope'}) | ${(ours[r].ms / 1000).toFixed(1)} s, ${ours[r].peakRssMb.toFixed(0)} MB | ${t.failed ?? `${(t.ms / 1000).toFixed(1)} s`}, ${t.peakRssMb.toFixed(0)} MB | ${time} | ${(ours[r].peakRssMb / t.peakRssMb).toFixed(2)}x ours/theirs |`,
      );
    }
    if (done.length > 0) {
      const ratios = done.map((t) => t.ms / ours[theirs.indexOf(t)].ms);
      const rss = done.map((t) => ours[theirs.indexOf(t)].peakRssMb / t.peakRssMb);
      traceRows.push(
        '',
        `speedscope time / pyrometer time, same round: median ${stat(ratios, 2)}x over ${done.length} rounds; pyrometer peak RSS / speedscope's: ${stat(rss, 2)}x.`,
      );
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(
  `Readers (median of ${runs} runs after a warm-up; Node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})\n`,
);
console.log('| input | size | pyrometer | reference tool on the same file |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
if (traceRows.length > 0) {
  console.log('\nTrace Event Format, synthetic (8 threads, nested B/E and X slices, instants, counters):\n');
  console.log('| reader | size | wall time, median [90% interval] | MB/s | peak RSS |');
  console.log('|---|---|---|---|---|');
  for (const r of traceRows) console.log(r);
}
