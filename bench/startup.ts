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
 * (median of the per-round ratios, with a 90% bootstrap interval). record's own share is record
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

function run(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(c.argv[0], c.argv.slice(1), { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.label} failed (${r.status}): ${r.stderr}`);
  return ms;
}

try {
  const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  for (const c of cases) run(c); // warm the file cache
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length];
      times.get(c.label)!.push(run(c));
    }
  }
  const per = (label: string) => times.get(label)!;
  const ratioRow = (label: string, base: string): string => {
    const ratios = per(label).map((t, i) => t / per(base)[i]);
    const [low, high] = medianInterval(ratios);
    return `${median(ratios).toFixed(2)}x (${low.toFixed(2)}–${high.toFixed(2)})`;
  };
  console.log(`${rounds} rounds, node ${process.version}\n`);
  console.log('| command | median wall | vs `node -e 0`, same round (90% interval) |');
  console.log('|---|---|---|');
  for (const c of cases)
    console.log(
      `| \`${c.label}\` | ${median(per(c.label)).toFixed(0)} ms | ${c.label === 'node -e 0' ? '1' : ratioRow(c.label, 'node -e 0')} |`,
    );
  for (const tag of oldRoot ? ['', ' (old)'] : ['']) {
    for (const [py, plain] of [
      ['python3', 'python3 -c pass'],
      ['PYTHON', 'PYTHON -c pass'],
    ]) {
      const own = per(`pyrometer record -- ${py} -c pass${tag}`).map((t, i) => t - per(plain)[i]);
      const [low, high] = medianInterval(own);
      console.log(
        `\nrecord's own share${tag} with ${py}: ${median(own).toFixed(0)} ms (90% interval ${low.toFixed(0)}–${high.toFixed(0)}) over \`${plain}\` alone`,
      );
    }
  }
  console.log(`\nPYTHON = ${realPython}`);
  if (oldRoot) {
    console.log('\nnew / old, same round:');
    for (const c of cli(root, '')) console.log(`  ${c.label}: ${ratioRow(c.label, `${c.label} (old)`)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
