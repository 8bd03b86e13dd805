/**
 * bench:alloc — what `record --alloc` costs the program, beside what a user would otherwise use.
 *
 * Three ways to run the same workload, in alternating rounds (a round runs each once, the order
 * rotating), CPU time of the program (user + sys, from bench/workloads/measure.py):
 *   plain        python3 workload
 *   --alloc      the same with the allocation hook that `record --alloc` puts in the program
 *                (agent/alloc/sitecustomize.py via PYTHONPATH): the hook's cost alone, without
 *                the time sampler's (bench:overhead and bench:outside measure that)
 *   tracemalloc  python3 -X tracemalloc=1 workload: full tracing, the standard library's answer
 * Workloads: bench/workloads/alloc.py (dicts, tuples, strings made and dropped) and
 * test/data/capture/alloc_split.py (lists kept alive: a collection every 700 allocations).
 * Prints median ratios with 95% bootstrap intervals. Usage: [PYTHON=pypy3] npm run bench:alloc [-- ROUNDS]
 * (PyPy has no tracemalloc: there only plain and --alloc run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, medianInterval } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 5);
const python = process.env.PYTHON ?? 'python3';
const measure = join(root, 'bench/workloads/measure.py');
const hookDir = join(root, 'src/capture/agent/alloc');
const scratch = mkdtempSync(join(tmpdir(), 'bench-alloc-'));

const workloads = [
  { name: 'alloc.py (made and dropped)', args: [join(root, 'bench/workloads/alloc.py'), '1'] },
  { name: 'alloc_split.py (kept alive)', args: [join(root, 'test/data/capture/alloc_split.py'), '200000', '16'] },
];
type Mode = 'plain' | '--alloc' | 'tracemalloc';
const version = spawnSync(python, ['-c', 'import sys; print(sys.version.split()[0], sys.implementation.name)'], { encoding: 'utf8' })
  .stdout.trim()
  .split(' ');
// PyPy has no tracemalloc: there the hook is measured against the plain run only
const modes: Mode[] = version[1] === 'pypy' ? ['plain', '--alloc'] : ['plain', '--alloc', 'tracemalloc'];

function run(mode: Mode, args: string[]): number {
  const env = { ...process.env };
  const pyArgs = [...args];
  if (mode === '--alloc') {
    env.PYTHONPATH = hookDir;
    env.PYROMETER_ALLOC_OUT = join(scratch, 'out.alloc');
  }
  if (mode === 'tracemalloc') pyArgs.unshift('-X', 'tracemalloc=1');
  const r = spawnSync('nice', [python, measure, python, ...pyArgs], { env, encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  if (out.code !== 0) throw new Error(`${mode} ${args.join(' ')} failed`);
  return out.cpu;
}

console.log(`bench:alloc — ${python} ${version.join(' ')}, ${rounds} alternating rounds, CPU seconds of the program (median)`);
for (const w of workloads) {
  const times: Record<Mode, number[]> = { plain: [], '--alloc': [], tracemalloc: [] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(r + k) % modes.length];
      times[mode].push(run(mode, w.args));
    }
  }
  const ratios = (mode: Mode) => times[mode].map((t, i) => t / times.plain[i]);
  const fmt = (xs: number[]) => {
    const [lo, hi] = medianInterval(xs);
    return `${median(xs).toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}]`;
  };
  console.log(`\n${w.name}: plain ${median(times.plain).toFixed(2)} s`);
  console.log(`  --alloc / plain      ${fmt(ratios('--alloc'))}   (${median(times['--alloc']).toFixed(2)} s)`);
  if (modes.includes('tracemalloc'))
    console.log(`  tracemalloc / plain  ${fmt(ratios('tracemalloc'))}   (${median(times.tracemalloc).toFixed(2)} s)`);
}
rmSync(scratch, { recursive: true, force: true });
