/**
 * `npm run bench:startup`: how long a command takes before it does its work, next to a bare
 * `node -e 0` in the same rounds.
 *
 * Each round runs, in a rotating order (so no command always runs first or after a given one):
 * `node -e 0`, `pyrometer --version`, `pyrometer info FILE` on a real 156 KiB VMProf profile and
 * on a real cProfile (pstats) file (a format found by sniffing), `python3 -c pass`,
 * `pyrometer record -- python3 -c pass` and the same with `--in-process`; and the same record and
 * plain run with the interpreter's real binary instead of `python3` (on this machine a pyenv shim,
 * a bash script that costs ~100 ms a start, and that the probe cache cannot keep). The table gives
 * each command's median wall time and its ratio to `node -e 0` measured within the same round
 * (median of the per-round ratios, with a 90% bootstrap interval), and the same for CPU time
 * (user + system of the command and its children: steadier than wall time on a shared machine). record's own share is record
 * minus the plain program in the same round: Node's start, our modules, the interpreter probe,
 * the sampler finding Python, and reading the profile back for the summary. `node: import fastify`
 * is what loading the profile server's HTTP stack alone costs (the reason `view` keeps its own
 * small node:http server: docs/design.md).
 *
 * `--old DIR` also runs DIR/bin/pyrometer.js (an older build, e.g. a `git archive` of main with
 * its dist/) in the same rounds: before/after from one run. STARTUP_BENCH_ROUNDS (default 15).
 * The machine is shared: compare ratios from one run, not milliseconds across runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, medianInterval } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.env.STARTUP_BENCH_ROUNDS ?? 15);
const oldIndex = process.argv.indexOf('--old');
const oldRoot = oldIndex > 0 ? resolve(process.argv[oldIndex + 1]) : null;
const file = join(root, 'test/fixtures/vmprof/pypy-wordcount-opt.prof');
const pstatsFile = join(root, 'test/fixtures/cprofile/cprofile-python3-wordcount.pstats');
const python = 'python3';
// the binary python3 runs in the end (past pyenv's shim): its probe answer is cached
const realPython = spawnSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const scratch = mkdtempSync(join(tmpdir(), 'pyrometer-startup-'));

interface Case {
  label: string;
  argv: string[];
}
const node = process.execPath;
const cli = (base: string, tag: string): Case[] => [
  { label: `pyrometer --version${tag}`, argv: [node, join(base, 'bin/pyrometer.js'), '--version'] },
  { label: `pyrometer info FILE${tag}`, argv: [node, join(base, 'bin/pyrometer.js'), 'info', file] },
  { label: `pyrometer info FILE.pstats${tag}`, argv: [node, join(base, 'bin/pyrometer.js'), 'info', pstatsFile] },
  {
    label: `pyrometer record -- python3 -c pass${tag}`,
    argv: [
      node,
      join(base, 'bin/pyrometer.js'),
      'record',
      '-o',
      join(scratch, `r${tag ? 'old' : ''}.prof`),
      '--force',
      '--',
      python,
      '-c',
      'pass',
    ],
  },
  {
    label: `pyrometer record -- PYTHON -c pass${tag}`,
    argv: [
      node,
      join(base, 'bin/pyrometer.js'),
      'record',
      '-o',
      join(scratch, `b${tag ? 'old' : ''}.prof`),
      '--force',
      '--',
      realPython,
      '-c',
      'pass',
    ],
  },
  {
    // the in-process agent's path: probe, agent start-up, summary (issue 12)
    label: `pyrometer record --in-process -- python3 -c pass${tag}`,
    argv: [
      node,
      join(base, 'bin/pyrometer.js'),
      'record',
      '--in-process',
      '-o',
      join(scratch, `i${tag ? 'old' : ''}.prof`),
      '--force',
      '--',
      python,
      '-c',
      'pass',
    ],
  },
];
const cases: Case[] = [
  { label: 'node -e 0', argv: [node, '-e', '0'] },
  { label: 'python3 -c pass', argv: [python, '-c', 'pass'] },
  { label: 'PYTHON -c pass', argv: [realPython, '-c', 'pass'] },
  // what `view` would add to its start-up on the profile server's HTTP stack (docs/design.md)
  {
    label: 'node: import fastify',
    argv: [node, '--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'node_modules/fastify/fastify.js'))})`],
  },
  ...cli(root, ''),
  ...(oldRoot ? cli(oldRoot, ' (old)') : []),
];

/**
 * Runs a command under a small Python wrapper that reports its wall time and the CPU time (user +
 * system) of the command and everything it started (RUSAGE_CHILDREN): CPU time says what a command
 * costs even when a shared machine stretches every wall time, and the wrapper's own start is in
 * neither number.
 */
const MEASURE = [
  'import resource, subprocess, sys, time',
  't = time.perf_counter()',
  'r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)',
  'wall = time.perf_counter() - t',
  'u = resource.getrusage(resource.RUSAGE_CHILDREN)',
  "print('%f %f' % (wall * 1000, (u.ru_utime + u.ru_stime) * 1000))",
  'sys.exit(r.returncode)',
].join('\n');

function run(c: Case): { wall: number; cpu: number } {
  const r = spawnSync(realPython, ['-S', '-c', MEASURE, ...c.argv], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${c.label} failed (${r.status}): ${r.stderr}`);
  const [wall, cpu] = r.stdout.trim().split(' ').map(Number);
  return { wall, cpu };
}

try {
  const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  const cpuTimes = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  for (const c of cases) run(c); // warm the file cache
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length];
      const { wall, cpu } = run(c);
      times.get(c.label)!.push(wall);
      cpuTimes.get(c.label)!.push(cpu);
    }
  }
  const interval = (xs: number[], digits: number, unit: string) => {
    const [low, high] = medianInterval(xs);
    return `${median(xs).toFixed(digits)}${unit} (${low.toFixed(digits)}–${high.toFixed(digits)})`;
  };
  const ratios = (of: Map<string, number[]>, label: string, base: string) => of.get(label)!.map((t, i) => t / of.get(base)![i]);
  const differences = (of: Map<string, number[]>, label: string, base: string) => of.get(label)!.map((t, i) => t - of.get(base)![i]);
  console.log(`${rounds} rounds, node ${process.version}\n`);
  console.log('| command | median wall | vs `node -e 0`, same round (90% interval) | median CPU | CPU vs `node -e 0` |');
  console.log('|---|---|---|---|---|');
  for (const c of cases) {
    const base = c.label === 'node -e 0';
    console.log(
      `| \`${c.label}\` | ${median(times.get(c.label)!).toFixed(0)} ms | ${base ? '1' : interval(ratios(times, c.label, 'node -e 0'), 2, 'x')} | ${median(cpuTimes.get(c.label)!).toFixed(0)} ms | ${base ? '1' : interval(ratios(cpuTimes, c.label, 'node -e 0'), 2, 'x')} |`,
    );
  }
  console.log("\nrecord's own share (record minus the plain program, same round; median, 90% interval):\n");
  console.log('| record of | wall | CPU |');
  console.log('|---|---|---|');
  for (const tag of oldRoot ? ['', ' (old)'] : ['']) {
    for (const [py, plain] of [
      ['python3', 'python3 -c pass'],
      ['PYTHON', 'PYTHON -c pass'],
    ]) {
      const label = `pyrometer record -- ${py} -c pass${tag}`;
      console.log(
        `| \`${py} -c pass\`${tag} | ${interval(differences(times, label, plain), 0, ' ms')} | ${interval(differences(cpuTimes, label, plain), 0, ' ms')} |`,
      );
    }
  }
  console.log(`\nPYTHON = ${realPython}`);
  if (oldRoot) {
    console.log('\nnew / old, same round (wall; CPU):');
    for (const c of cli(root, ''))
      console.log(
        `  ${c.label}: ${interval(ratios(times, c.label, `${c.label} (old)`), 2, 'x')}; ${interval(ratios(cpuTimes, c.label, `${c.label} (old)`), 2, 'x')}`,
      );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
