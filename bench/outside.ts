/**
 * `npm run bench:outside`: the outside sampler (src/capture/outside).
 *
 * 1. Overhead on the program: bench/workloads/recursive.py (call-heavy, tall stacks; about 2 s
 *    of CPU at scale 2, where the primes fixture takes 6 s, too long for a quick bench) run plain,
 *    sampled from outside at 100 Hz and 1000 Hz, and under the in-process agent at 100 Hz and
 *    1000 Hz, alternating configurations within each round, ROUNDS rounds. The program's CPU and
 *    wall time come from bench/workloads/measure.py (rusage of its child), so they are the
 *    program's, not the sampler's. Overhead = median over rounds of each round's ratio to the
 *    plain run of the same round, with a 90% bootstrap interval.
 * 2. The sampler's own cost, from the same outside runs: its CPU (this process's cpuUsage while
 *    sampling) per look, per sample written and per frame read.
 * 3. The rate sustained on a 50-deep stack (bench/workloads/deep50.py, one busy thread) asked
 *    for 1000 Hz: looks per second achieved and the share of one core the sampler used.
 *
 * 4. Overhead interleaved in one process (--interleaved SECONDS per rate, default 40; 0 skips it):
 *    bench/workloads/blocks.py runs equal ~10 ms blocks of work for SECONDS and reports each
 *    block's CPU time and its start and end on CLOCK_MONOTONIC. This process samples it in 1 s
 *    windows, on and off in a random order within each pair of windows. A block wholly inside an
 *    "on" window is compared with the blocks of the "off" window of the same pair: the ratio of
 *    their median CPU per pair, median over pairs with a 90% bootstrap interval. Separate runs of a
 *    program scatter by ±5% on this VM (page placement, frequency, neighbours), which hides a
 *    0.5% effect; paired windows a second apart in one process do not carry that scatter.
 *
 * record's fixed start-up on `python3 -c pass` is bench:startup's job (it runs record as users do).
 * Options: --rounds N (default 3), --interleaved SECONDS (default 40), --window MS (default 1000),
 * --interleaved-rates HZ,HZ (default 100,1000), --python PATH (default python3), --json FILE.
 * The machine may be shared: compare ratios within one run, and say so when quoting numbers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentPath } from '../src/capture/recorder.js';
import { childProcesses } from '../src/capture/outside/kernel.js';
import { OutsideSampler } from '../src/capture/outside/sampler.js';
import type { RunTotals, Sample, SampleSink, RunInfo, ThreadInfo } from '../src/capture/outside/sink.js';
import { VmprofFileSink } from '../src/capture/outside/vmprof-sink.js';
import { prng } from '../test/helpers.js';
import { median, medianInterval } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (args.includes('--help')) {
  process.stdout.write(
    'usage: npm run bench:outside -- [--rounds N] [--interleaved SECONDS] [--window MS] [--interleaved-rates HZ,HZ] [--python PATH] [--json FILE]\n',
  );
  process.exit(0);
}
const ROUNDS = Number(option('--rounds', '3'));
const INTERLEAVED_S = Number(option('--interleaved', '40'));
const WINDOW_MS = Number(option('--window', '1000'));
const INTERLEAVED_RATES = option('--interleaved-rates', '100,1000').split(',').map(Number);
// the real executable: a pyenv shim would put a shell (and its short-lived children) between us and Python
const PYTHON = spawnSync(option('--python', 'python3'), ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const JSON_OUT = resolve(root, option('--json', 'bench/out/outside.json'));
const measure = join(root, 'bench/workloads/measure.py');
const workload = [join(root, 'bench/workloads/recursive.py'), '2'];
const scratch = mkdtempSync(join(tmpdir(), 'pyrometer-outside-bench-'));

interface Measured {
  wall: number;
  cpu: number;
}
interface SamplerCost {
  cpuS: number;
  looks: number;
  samples: number;
  frames: number;
  durationS: number;
}

/** Counts what passes through, and writes the file as record does. */
class CountingFileSink implements SampleSink {
  frames = 0;
  constructor(private readonly inner: SampleSink) {}
  begin(r: RunInfo): void {
    this.inner.begin(r);
  }
  thread(t: ThreadInfo): void {
    this.inner.thread(t);
  }
  meta(k: string, v: string): void {
    this.inner.meta(k, v);
  }
  end(t: RunTotals): void {
    this.inner.end(t);
  }
  sample(s: Sample): void {
    this.frames += s.frames.length;
    this.inner.sample(s);
  }
}

function parseMeasure(stdout: string): Measured {
  const last = stdout.trim().split('\n').pop()!;
  const m = JSON.parse(last) as Measured & { code: number };
  if (m.code !== 0) throw new Error(`workload failed: ${stdout}`);
  return m;
}

function runPlain(program: string[]): Measured {
  const r = spawnSync(PYTHON, [measure, PYTHON, ...program], { encoding: 'utf8' });
  return parseMeasure(r.stdout);
}

function runAgent(program: string[], rate: number): Measured {
  const out = join(scratch, 'agent.prof');
  const r = spawnSync(PYTHON, [measure, PYTHON, agentPath(), '--out', out, '--rate', String(rate), '--', ...program], { encoding: 'utf8' });
  return parseMeasure(r.stdout);
}

/** measure.py runs the program; this process samples measure.py's child from outside. */
async function runOutside(program: string[], rate: number, mode: 'cpu' | 'wall' = 'cpu'): Promise<Measured & { cost: SamplerCost }> {
  const wrapper = spawn(PYTHON, [measure, PYTHON, ...program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  wrapper.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<void>((r) => wrapper.once('exit', () => r()));
  let target = 0;
  while (!target) {
    target = childProcesses(wrapper.pid!)[0] ?? 0;
    if (!target) await new Promise((r) => setTimeout(r, 1));
  }
  const sink = new CountingFileSink(new VmprofFileSink(join(scratch, 'outside.prof')));
  const sampler = new OutsideSampler({ pid: target, mode, rateHz: rate, sink });
  const cpu0 = process.cpuUsage();
  await new Promise<void>((r) => sampler.start(r));
  const totals = sampler.stop();
  const used = process.cpuUsage(cpu0);
  await exited;
  return {
    ...parseMeasure(stdout),
    cost: {
      cpuS: (used.user + used.system) / 1e6,
      looks: totals.looks,
      samples: totals.samples,
      frames: sink.frames,
      durationS: totals.durationS,
    },
  };
}

interface Interleaved {
  rate: number;
  pairs: number;
  blocksOn: number;
  blocksOff: number;
  /** per pair of windows: median block CPU while sampled / while not */
  ratios: number[];
  samplerLooks: number;
}

/** Part 4: one process, sampling switched on and off in paired 1 s windows (see the header). */
async function runInterleaved(rate: number, seconds: number): Promise<Interleaved> {
  const child = spawn(PYTHON, [join(root, 'bench/workloads/blocks.py'), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  let running = true;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      running = false;
      r();
    }),
  );
  const wait = (ms: number) => Promise.race([exited, new Promise<void>((r) => setTimeout(r, ms))]);
  const random = prng(0x5eed + rate);
  const windows: { pair: number; on: boolean; start: bigint; end: bigint }[] = [];
  let looks = 0;
  await wait(300); // the interpreter's own start-up is not part of the comparison
  for (let pair = 0; running; pair++) {
    const order = random() < 0.5 ? [true, false] : [false, true];
    for (const on of order) {
      if (!running) break;
      const start = process.hrtime.bigint();
      if (on) {
        const sampler = new OutsideSampler({
          pid: child.pid!,
          mode: 'cpu',
          rateHz: rate,
          sink: new VmprofFileSink(join(scratch, 'interleaved.prof')),
        });
        sampler.start(() => {});
        await wait(WINDOW_MS);
        looks += sampler.stop().looks;
      } else await wait(WINDOW_MS);
      windows.push({ pair, on, start, end: process.hrtime.bigint() });
    }
  }
  await exited;
  const perWindow = windows.map(() => [] as number[]);
  for (const line of stdout.trim().split('\n')) {
    const [start, end, cpu] = line.split(' ').map((x) => BigInt(x));
    const w = windows.findIndex((x) => x.start <= start && end <= x.end);
    if (w < 0) continue; // ran across a switch, or outside the windows
    perWindow[w].push(Number(cpu));
  }
  const ratios: number[] = [];
  let blocksOn = 0;
  let blocksOff = 0;
  for (let i = 0; i + 1 < windows.length; i++) {
    if (windows[i].pair !== windows[i + 1].pair) continue;
    const [a, b] = [perWindow[i], perWindow[i + 1]];
    if (!a.length || !b.length) continue;
    const [on, off] = windows[i].on ? [a, b] : [b, a];
    // medians: a block that met an interrupt storm or the hypervisor's steal does not move them
    ratios.push(median(on) / median(off));
    blocksOn += on.length;
    blocksOff += off.length;
  }
  return { rate, pairs: ratios.length, blocksOn, blocksOff, ratios, samplerLooks: looks };
}

const fmtPct = (r: number, digits = 1) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(digits)}%`;

async function main(): Promise<void> {
  mkdirSync(dirname(JSON_OUT), { recursive: true });
  const configs: { name: string; run: () => Promise<Measured & { cost?: SamplerCost }> }[] = [
    { name: 'plain', run: async () => runPlain(workload) },
    { name: 'outside 100 Hz', run: () => runOutside(workload, 100) },
    { name: 'outside 1000 Hz', run: () => runOutside(workload, 1000) },
    { name: 'in-process agent 100 Hz', run: async () => runAgent(workload, 100) },
    { name: 'in-process agent 1000 Hz', run: async () => runAgent(workload, 1000) },
  ];
  const rows: { round: number; config: string; wall: number; cpu: number; cost?: SamplerCost }[] = [];
  const deep: SamplerCost[] = [];
  const lines: string[] = [];
  // --rounds 0: only the interleaved comparison
  if (ROUNDS > 0) {
    for (let round = 0; round < ROUNDS; round++) {
      // rotate the order so that no configuration always runs first
      for (let k = 0; k < configs.length; k++) {
        const c = configs[(k + round) % configs.length];
        const m = await c.run();
        rows.push({ round, config: c.name, wall: m.wall, cpu: m.cpu, cost: m.cost });
        process.stderr.write(`round ${round + 1}/${ROUNDS} ${c.name}: cpu ${m.cpu.toFixed(3)} s wall ${m.wall.toFixed(3)} s\n`);
      }
    }
    lines.push(`Overhead on recursive.py 2 (${PYTHON}), ${ROUNDS} rounds, ratios to the plain run of the same round:`, '');
    lines.push('| configuration | median CPU s | CPU overhead (90% CI) | median wall s | wall overhead (90% CI) |');
    lines.push('|---|---|---|---|---|');
    for (const c of configs) {
      const mine = rows.filter((r) => r.config === c.name);
      const ratio = (key: 'cpu' | 'wall') => mine.map((r) => r[key] / rows.find((p) => p.round === r.round && p.config === 'plain')![key]);
      const ci = (xs: number[]) => {
        const [lo, hi] = medianInterval(xs);
        return `${fmtPct(median(xs))} (${fmtPct(lo)} … ${fmtPct(hi)})`;
      };
      lines.push(
        `| ${c.name} | ${median(mine.map((r) => r.cpu)).toFixed(3)} | ${c.name === 'plain' ? '—' : ci(ratio('cpu'))} | ${median(mine.map((r) => r.wall)).toFixed(3)} | ${c.name === 'plain' ? '—' : ci(ratio('wall'))} |`,
      );
    }
    lines.push('', "The outside sampler's own cost (this process, same runs):", '');
    lines.push('| rate | looks/s | sampler CPU % of a core | µs per look | µs per sample | µs per frame |');
    lines.push('|---|---|---|---|---|---|');
    for (const rate of [100, 1000]) {
      const costs = rows.filter((r) => r.config === `outside ${rate} Hz`).map((r) => r.cost!);
      const m = (f: (c: SamplerCost) => number) => median(costs.map(f));
      lines.push(
        `| ${rate} Hz | ${m((c) => c.looks / c.durationS).toFixed(0)} | ${m((c) => (100 * c.cpuS) / c.durationS).toFixed(1)} | ${m((c) => (1e6 * c.cpuS) / c.looks).toFixed(0)} | ${m((c) => (1e6 * c.cpuS) / Math.max(1, c.samples)).toFixed(0)} | ${m((c) => (1e6 * c.cpuS) / Math.max(1, c.frames)).toFixed(1)} |`,
      );
    }
    // 3. sustained rate on a 50-deep stack
    for (let round = 0; round < Math.max(1, Math.min(ROUNDS, 3)); round++)
      deep.push((await runOutside([join(root, 'bench/workloads/deep50.py'), '2'], 1000)).cost);
    const dm = (f: (c: SamplerCost) => number) => median(deep.map(f));
    lines.push(
      '',
      `50-deep stack at 1000 Hz asked (${deep.length} runs of 2 s CPU): ${dm((c) => c.looks / c.durationS).toFixed(0)} looks/s, sampler ${dm((c) => (100 * c.cpuS) / c.durationS).toFixed(1)}% of one core, ${dm((c) => (1e6 * c.cpuS) / c.looks).toFixed(0)} µs per look, ${dm((c) => (1e6 * c.cpuS) / Math.max(1, c.frames)).toFixed(2)} µs per frame written.`,
    );
  }
  // 4. interleaved windows in one process
  const interleaved: Interleaved[] = [];
  if (INTERLEAVED_S > 0) {
    lines.push(
      '',
      `Interleaved in one process (blocks.py, ${INTERLEAVED_S} s per rate, paired ${WINDOW_MS} ms windows, CPU per block sampled / not):`,
      '',
    );
    lines.push('| rate | pairs | blocks sampled / not | looks | CPU overhead per block (90% CI) |');
    lines.push('|---|---|---|---|---|');
    for (const rate of INTERLEAVED_RATES) {
      const r = await runInterleaved(rate, INTERLEAVED_S);
      interleaved.push(r);
      const [lo, hi] = medianInterval(r.ratios);
      lines.push(
        `| ${rate} Hz | ${r.pairs} | ${r.blocksOn} / ${r.blocksOff} | ${r.samplerLooks} | ${fmtPct(median(r.ratios), 2)} (${fmtPct(lo, 2)} … ${fmtPct(hi, 2)}) |`,
      );
    }
  }
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  writeFileSync(JSON_OUT, JSON.stringify({ python: PYTHON, rounds: ROUNDS, rows, deep, interleaved, text }, null, 2));
  rmSync(scratch, { recursive: true, force: true });
}

await main();
