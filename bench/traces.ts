/**
 * `npm run bench:traces`: the JIT trace viewer's model on the word-count pair (the profile and
 * its jitlog), beside what a user would otherwise run: vmprof-python's pure-Python
 * `jitlog.parser.parse_jitlog` (the parser vmprof.com used), when VMPROF_PYTHON points at a
 * checkout of vmprof-python (its `jitlog` package needs `requests` and `pytz` only to import
 * upload helpers: TRACES_BENCH_STUBS may name a directory with empty stand-ins).
 *
 * Rounds (TRACES_BENCH_ROUNDS, default 7) alternate which side runs first. Ours, in this
 * process after one warm-up: parse the jitlog (assembly bytes kept as hex), summarize every
 * trace with the samples' JIT addresses. Theirs: one pypy3 (else python3) process per round
 * timing parse_jitlog inside Python (start-up excluded). Prints medians, a 90% interval of
 * the median, and the per-round ratio.
 */
import { readFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseJitlog } from '../src/formats/jitlog/index.js';
import { summarizeTraces } from '../src/formats/jitlog/traces.js';
import { loadProfile } from '../src/formats/load.js';
import { jitSamplesOf } from '../src/model/jit-samples.js';
import { median, medianInterval } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const jitPath = join(root, 'test/fixtures/pypy/pypy-wordcount.prof.jit');
const rounds = Number(process.env.TRACES_BENCH_ROUNDS ?? 7);
const vmprofPython = process.env.VMPROF_PYTHON ?? '';
const stubs = process.env.TRACES_BENCH_STUBS ?? '';

const bytes = new Uint8Array(readFileSync(jitPath));
const profile = await loadProfile(join(root, 'test/fixtures/vmprof/pypy-wordcount.prof'));
const samples = jitSamplesOf(profile.attachments);

function ours(): number {
  const t0 = performance.now();
  const log = parseJitlog(bytes);
  const traces = summarizeTraces(log, samples);
  const ms = performance.now() - t0;
  if (traces.length !== 10) throw new Error(`expected 10 traces, got ${traces.length}`);
  return ms;
}

const python = spawnSync('pypy3', ['-c', 'print(1)']).status === 0 ? 'pypy3' : 'python3';
function theirs(): number | null {
  if (!vmprofPython || !existsSync(join(vmprofPython, 'jitlog/parser.py'))) return null;
  const script = [
    'import sys, time',
    `sys.path[:0] = [${JSON.stringify(vmprofPython)}${stubs ? `, ${JSON.stringify(stubs)}` : ''}]`,
    'from jitlog.parser import parse_jitlog',
    `parse_jitlog(${JSON.stringify(jitPath)})`,
    't0 = time.perf_counter()',
    `f = parse_jitlog(${JSON.stringify(jitPath)})`,
    'print((time.perf_counter() - t0) * 1000, len(f.traces))',
  ].join('\n');
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  const m = /^([\d.]+) (\d+)$/m.exec(r.stdout);
  if (!m) throw new Error(`vmprof-python gave no timing: ${r.stderr.slice(-400)}`);
  if (Number(m[2]) !== 10) throw new Error(`vmprof-python found ${m[2]} traces`);
  return Number(m[1]);
}

ours();
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    a.push(ours());
    const t = theirs();
    if (t !== null) b.push(t);
  } else {
    const t = theirs();
    if (t !== null) b.push(t);
    a.push(ours());
  }
}
const fmt = (xs: number[]) => {
  const [lo, hi] = medianInterval(xs);
  return `${median(xs).toFixed(1)} ms (90% interval ${lo.toFixed(1)}-${hi.toFixed(1)})`;
};
console.log(
  `word-count jitlog ${(bytes.length / 1024).toFixed(0)} KiB, 10 traces, ${samples?.address.length ?? 0} JIT samples; ${rounds} rounds; load ${loadavg()[0].toFixed(1)}`,
);
console.log(`| pyrometer parseJitlog + summarizeTraces | ${fmt(a)} |`);
if (b.length > 0) {
  const ratios = b.map((x, i) => x / a[i]);
  const [lo, hi] = medianInterval(ratios);
  console.log(`| vmprof-python parse_jitlog (${python}) | ${fmt(b)} |`);
  console.log(
    `ratio vmprof-python / pyrometer per round: median ${median(ratios).toFixed(1)}x (90% interval ${lo.toFixed(1)}-${hi.toFixed(1)}x)`,
  );
} else {
  console.log('vmprof-python: not run (set VMPROF_PYTHON to a vmprof-python checkout)');
}
