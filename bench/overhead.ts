/**
 * `npm run bench:overhead`: what recording costs the program.
 *
 * Three CPU-bound workloads (the classic primes sieve from test/fixtures/programs/primes.py,
 * a recursive one and an allocation-heavy one from bench/workloads) run uninstrumented and under
 * pyrometer's agent, alternating configurations run by run, RUNS times each. Reported: median
 * CPU time (user + sys of the Python process and its children) and wall time per
 * configuration, the overhead: the median over rounds of each round's ratio to the uninstrumented
 * run of the same round, with a 90% bootstrap interval (and the ratio of the medians), the sampler's own CPU
 * share as it measured itself (META sampler_cpu_s + agent_startup_cpu_s: immune to the machine's
 * load, which makes end-to-end medians on a shared machine move by several percent), and the
 * sampling rate actually achieved. Side by side: `python3 -m cProfile` on CPython, PyPy's `_vmprof` alone on PyPy.
 *
 * The agent is run the way `record` runs it (interpreter, agent, options, --, program), so the
 * numbers are the program's slowdown; the CLI's own fixed cost (Node start-up, interpreter
 * probe, reading the profile back for the summary) is measured separately, once per run.
 *
 * Options: --runs N (default 5), --only cpython|pypy|fixed, --json FILE (default bench/out/overhead.json);
 * --pool FILE... reports the rounds of earlier runs' JSON files together instead of running.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentPath } from '../src/capture/recorder.js';
import { metas, walkRecords } from '../src/formats/vmprof/records.js';
import { median, medianInterval } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`usage: npm run bench:overhead -- [--runs N] [--only cpython|pypy|fixed] [--json FILE]
       npm run bench:overhead -- --pool FILE...

Runs each workload uninstrumented, under \`record\` at 100 Hz and the default rate, and under
cProfile (CPython) or _vmprof alone (PyPy), alternating, N rounds (default 5).
The overhead is the median of the rounds' ratios to the uninstrumented run of the same
round, with a 90% bootstrap interval. --pool reports earlier runs' --json files together.
examples: npm run bench:overhead -- --only cpython --runs 9
          npm run bench:overhead -- --pool bench/out/a.json bench/out/b.json
`);
  process.exit(0);
}
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const RUNS = Number(option('--runs', '5'));
const ONLY = option('--only', '');
const JSON_OUT = resolve(root, option('--json', 'bench/out/overhead.json'));
// --pool FILE...: no new runs; the rounds of earlier runs (their --json files) taken together, so that
// several runs' worth of rounds give one overhead per configuration
const poolAt = args.indexOf('--pool');
if (poolAt >= 0) {
  const pooled = new Map<string, number[]>();
  for (const file of args.slice(poolAt + 1).filter((a) => !a.startsWith('--'))) {
    const saved = JSON.parse(readFileSync(resolve(file), 'utf8')) as { rows: Row[] };
    const bases = new Map<string, Row>();
    for (const row of saved.rows) if (row.config === 'uninstrumented') bases.set(`${row.interpreter} ${row.workload}`, row);
    for (const row of saved.rows) {
      const base = bases.get(`${row.interpreter} ${row.workload}`);
      if (base === undefined || row === base) continue;
      const key = `${row.interpreter.padEnd(8)} ${row.workload.padEnd(17)} ${row.config.padEnd(26)}`;
      pooled.set(key, [...(pooled.get(key) ?? []), ...row.cpu.map((cpu, k) => cpu / base.cpu[k])]);
    }
  }
  for (const [key, ratios] of pooled) {
    const [low, high] = medianInterval(ratios);
    console.log(
      `${key} ${String(ratios.length).padStart(3)} rounds  overhead ${pct(median(ratios)).padStart(6)} (90% interval ${pct(low)} to ${pct(high)})`,
    );
  }
  process.exit(0);
}

const measure = join(root, 'bench/workloads/measure.py');
const scratch = mkdtempSync(join(tmpdir(), 'pyrometer-overhead-'));
const agent = agentPath();

interface Workload {
  name: string;
  /** Program and its arguments per interpreter (sizes for about a second of CPU, primes as published). */
  argv: Record<'python3' | 'pypy3', string[]>;
}

const workloads: Workload[] = [
  {
    name: 'primes (fixture)',
    argv: { python3: [resolve(root, 'test/fixtures/programs/primes.py')], pypy3: [resolve(root, 'test/fixtures/programs/primes.py')] },
  },
  {
    name: 'recursive',
    argv: { python3: [join(root, 'bench/workloads/recursive.py'), '16'], pypy3: [join(root, 'bench/workloads/recursive.py'), '8'] },
  },
  {
    name: 'allocation',
    argv: { python3: [join(root, 'bench/workloads/alloc.py'), '4'], pypy3: [join(root, 'bench/workloads/alloc.py'), '6'] },
  },
];

interface Config {
  name: string;
  /** The command for a workload's argv; `out` is a scratch profile path. */
  command: (interp: string, program: string[], out: string) => string[];
  /**
   * What the output says: the sampling rate achieved (snapshots per CPU second) and the
   * sampler's own CPU share as it measured itself (our sampler only).
   */
  read?: (out: string, cpuSeconds: number) => { rate: number | null; own: number | null };
}

/** sampler_cpu_s + agent_startup_cpu_s over the program's own CPU: overhead measured from inside. */
const ownShare = (meta: Map<string, string>) => {
  const own = Number(meta.get('sampler_cpu_s')) + Number(meta.get('agent_startup_cpu_s'));
  const cpu = Number(meta.get('cpu_s'));
  return Number.isFinite(own) && cpu > own ? own / (cpu - own) : null;
};

/** The META records of a profile our sampler just wrote (the record walker `record` uses). */
function sampleMeta(path: string): Map<string, string> {
  const bytes = readFileSync(path);
  const walk = walkRecords(bytes);
  return walk ? metas(bytes, walk) : new Map();
}

function stackRecords(path: string): number {
  // counts samples the slow but sure way: PyPy files carry no META with the count
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { loadProfile } = await import(${JSON.stringify(join(root, 'src/formats/load.ts'))});` +
        `const p = await loadProfile(${JSON.stringify(path)}, { format: 'vmprof' });` +
        'let n = 0; for (const t of p.threads) n += t.samples.length; console.log(n);',
    ],
    { cwd: root, encoding: 'utf8', input: '' },
  );
  return Number(r.stdout.trim());
}

const readSamplerMeta = (out: string) => {
  const meta = sampleMeta(out);
  return { rate: Number(meta.get('rate_hz_actual')), own: ownShare(meta) };
};
const readPyPyRate = (out: string, cpu: number) => ({ rate: stackRecords(out) / cpu, own: null });

const agentRun = (rate: number) => (interp: string, program: string[], out: string) => [
  interp,
  agent,
  '--out',
  out,
  '--rate',
  String(rate),
  '--',
  ...program,
];

const cpythonConfigs: Config[] = [
  { name: 'uninstrumented', command: (i, p) => [i, ...p] },
  { name: 'record --rate 100', command: agentRun(100), read: readSamplerMeta },
  { name: 'record (1000 Hz)', command: agentRun(1000), read: readSamplerMeta },
  { name: 'python3 -m cProfile', command: (i, p, out) => [i, '-m', 'cProfile', '-o', out, ...p] },
];

const vmprofAlone = [
  'import _vmprof, os, sys, runpy',
  'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)',
  '_vmprof.enable(fd, float(sys.argv[2]), 0, 0, 1, 0)', // native=1, vmprof-python's default on Linux, as record uses
  'sys.argv = sys.argv[3:]',
  'try:',
  "    runpy.run_path(sys.argv[0], run_name='__main__')",
  'finally:',
  '    _vmprof.disable()',
].join('\n');

const pypyConfigs: Config[] = [
  { name: 'uninstrumented', command: (i, p) => [i, ...p] },
  { name: 'record (1000 Hz, _vmprof)', command: agentRun(1000), read: readPyPyRate },
  { name: '_vmprof alone (1000 Hz)', command: (i, p, out) => [i, '-c', vmprofAlone, out, '0.001', ...p], read: readPyPyRate },
  { name: 'record --rate 100', command: agentRun(100), read: readPyPyRate },
];

interface Row {
  interpreter: string;
  workload: string;
  config: string;
  cpu: number[];
  /** user and sys CPU, and minor page faults, per run (sys moves with how much memory is freshly faulted in) */
  user: number[];
  sys: number[];
  minflt: number[];
  wall: number[];
  rates: number[];
  own: number[];
}

/** A ratio as a signed percentage change: 1.023 -> "2.3%". */
function pct(ratio: number): string {
  return `${((ratio - 1) * 100).toFixed(1)}%`;
}

interface Measured {
  wall: number;
  cpu: number;
  user: number;
  sys: number;
  minflt: number;
}

function runOnce(command: string[]): Measured {
  const r = spawnSync('python3', [measure, ...command], { encoding: 'utf8', cwd: scratch });
  if (r.status !== 0) throw new Error(`measure failed: ${command.join(' ')}\n${r.stderr}`);
  const m = JSON.parse(r.stdout) as Measured & { code: number };
  if (m.code !== 0) throw new Error(`workload failed (${m.code}): ${command.join(' ')}`);
  return m;
}

function have(cmd: string): boolean {
  return spawnSync(cmd, ['-c', 'pass']).status === 0;
}

const rows: Row[] = [];
for (const interp of ['python3', 'pypy3'] as const) {
  if (ONLY && (ONLY === 'fixed' || !interp.startsWith(ONLY.replace('cpython', 'python')))) continue;
  if (!have(interp)) {
    console.log(`${interp}: not installed, skipped`);
    continue;
  }
  const configs = interp === 'python3' ? cpythonConfigs : pypyConfigs;
  for (const w of workloads) {
    const table: Row[] = configs.map((c) => ({
      interpreter: interp,
      workload: w.name,
      config: c.name,
      cpu: [],
      user: [],
      sys: [],
      minflt: [],
      wall: [],
      rates: [],
      own: [],
    }));
    for (let run = 0; run < RUNS; run++) {
      // every configuration once per round, forwards in even rounds and backwards in odd ones: in a
      // fixed order a configuration always runs in the same slot (after the long cProfile run, say),
      // and on a shared machine that slot bias measured larger than the sampler's whole cost
      const order = configs.map((_, i) => i);
      if (run % 2 === 1) order.reverse();
      for (const i of order) {
        const c = configs[i];
        const out = join(scratch, `out-${i}.prof`);
        const m = runOnce(c.command(interp, w.argv[interp], out));
        table[i].cpu.push(m.cpu);
        table[i].user.push(m.user);
        table[i].sys.push(m.sys);
        table[i].minflt.push(m.minflt);
        table[i].wall.push(m.wall);
        if (c.read) {
          const { rate, own } = c.read(out, m.cpu);
          if (own !== null) table[i].own.push(own);
          if (rate !== null && Number.isFinite(rate)) table[i].rates.push(rate);
        }
        rmSync(out, { force: true });
      }
    }
    rows.push(...table);
    const base = table[0];
    for (const r of table) {
      const ratio = median(r.cpu) / median(base.cpu);
      // the median of each round's ratio to the uninstrumented run of the same round: runs of one
      // round are seconds apart, so slow drifts in the machine's load cancel out
      const pairedRatios = r.cpu.map((cpu, k) => cpu / base.cpu[k]);
      const paired = median(pairedRatios);
      const [low, high] = medianInterval(pairedRatios);
      console.log(
        `${interp.padEnd(8)} ${w.name.padEnd(17)} ${r.config.padEnd(26)} cpu ${median(r.cpu).toFixed(3)} s ` +
          `(user ${median(r.user).toFixed(3)} sys ${median(r.sys).toFixed(3)})  wall ${median(r.wall).toFixed(3)} s  ` +
          `overhead ${pct(paired).padStart(6)}` +
          (r === base ? '' : ` (90% interval ${pct(low)} to ${pct(high)}; ratio of medians ${pct(ratio)})`) +
          (r.own.length ? `  sampler's own CPU ${(median(r.own) * 100).toFixed(2)}%` : '') +
          (r.rates.length ? `  ${median(r.rates).toFixed(0)} snapshots/s` : ''),
      );
    }
  }
}

// The CLI's fixed cost around the program: `pyrometer record -- python3 -c pass`, minus python3 -c pass.
const cli = join(root, 'src/cli/main.ts');
// tsx by path: the scratch directory has no node_modules to resolve it from
const tsxLoader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const fixed: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      tsxLoader,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(process.argv.slice(1));`,
      'record',
      '--force',
      '-o',
      join(scratch, 'fixed.prof'),
      '--',
      'python3',
      '-c',
      'pass',
    ],
    { cwd: scratch, stdio: 'ignore' },
  );
  const recorded = performance.now() - start;
  if (r.status !== 0) throw new Error('record -- python3 -c pass failed');
  const plainStart = performance.now();
  spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
  fixed.push(recorded - (performance.now() - plainStart));
}
console.log(
  `record's fixed cost (Node start-up with tsx, interpreter probe, agent start, summary): median ${median(fixed).toFixed(0)} ms of wall time per run`,
);

mkdirSync(dirname(JSON_OUT), { recursive: true });
writeFileSync(JSON_OUT, JSON.stringify({ runs: RUNS, date: new Date().toISOString(), fixedCostMs: median(fixed), rows }, null, 2));
rmSync(scratch, { recursive: true, force: true });
console.log(`wrote ${JSON_OUT}`);
