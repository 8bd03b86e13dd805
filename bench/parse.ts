/**
 * `npm run bench:parse`: VMProf parse + aggregate throughput and memory.
 *
 * 1. Generates a realistic VMProf file (CPython layout, 64-bit, memory words, several
 *    threads, thousands of functions, stacks 20-200 deep drawn from a skewed pool of
 *    distinct stacks) in a temp dir: VMPROF_BENCH_MB (default 320) MB.
 * 2. Parses it in a child process pinned to one core (taskset -c 0, when it exists; so
 *    peak RSS is the parser's, not the generator's): read with readSync into one reused
 *    1 MiB buffer and pushed through readVmprofStream, then the function table
 *    (src/model/analysis.ts). Reports MB/s (wall and CPU), the RSS before reading, the
 *    peak RSS (absolute and above that), and the model's size: every typed array of the
 *    Profile once (the RSS counter included) + 2 bytes per string character.
 * 3. With VMPROF_PYTHON=/path/to/vmprof-python checkout: runs vmprof-python's reader
 *    (LogReader.read_all + Stats, which counts every function once per sample) and ours
 *    on a smaller file made the same way (VMPROF_PYTHON_MB, default 50), and prints the
 *    speed ratio. Without it, the comparison is skipped and says so.
 *
 * Prints a Markdown table for docs/performance.md.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { median, medianInterval } from './stats.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VmprofEncoder } from '../src/formats/vmprof/write.js';
import { FLAG_MEMORY, MARKER_STACKTRACE } from '../src/formats/vmprof/records.js';

const MB = 1024 * 1024;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenOptions {
  bytes: number;
  functions: number;
  distinctStacks: number;
  threads: number;
}

/** Writes the synthetic profile; returns its size and sample count. */
export function generate(path: string, o: GenOptions): { size: number; samples: number } {
  const random = rng(42);
  const fd = openSync(path, 'w');
  let written = 0;
  const enc = new VmprofEncoder({
    wordSize: 8,
    onChunk: (chunk) => {
      writeSync(fd, chunk);
      written += chunk.length;
    },
  });
  enc
    .staticHeader(1000)
    .header(6, FLAG_MEMORY, 'cpython')
    .startTime(Date.UTC(2026, 0, 1));
  enc.meta('os', 'linux').meta('bits', '64');
  const uid = (f: number) => 0x7f0000000000 + f * 0x40;
  for (let f = 0; f < o.functions; f++) enc.name(uid(f), `py:function_${f}:${1 + (f % 900)}:/srv/app/module_${f % 97}.py`);
  // A pool of distinct stacks that share prefixes as a real program's do: a few seed call
  // chains (random walks down a fixed call graph where each function calls a few others),
  // then every new stack keeps most of an earlier one and differs in its last few frames.
  const callees = Array.from({ length: o.functions }, () => Array.from({ length: 4 }, () => Math.floor(random() * o.functions)));
  const walk = (from: number[], depth: number): number[] => {
    const out = from.slice();
    if (out.length === 0) out.push(0);
    while (out.length < depth) out.push(callees[out[out.length - 1]][Math.floor(random() * 4)]);
    return out;
  };
  const chains: number[][] = [];
  for (let s = 0; s < 64; s++) chains.push(walk([], 20 + Math.floor(random() * 181)));
  while (chains.length < o.distinctStacks) {
    const base = chains[Math.floor(random() * chains.length)];
    const depth = Math.max(20, Math.min(200, base.length + Math.floor(random() * 21) - 10));
    const keep = Math.max(1, Math.min(base.length, depth) - 1 - Math.floor(random() * 12));
    chains.push(walk(base.slice(0, keep), depth));
  }
  const pool: Uint8Array[] = chains.map((rootFirst) => {
    const rec = new VmprofEncoder({ wordSize: 8 });
    rec.u8(MARKER_STACKTRACE).word(1).word(rootFirst.length);
    for (let d = rootFirst.length - 1; d >= 0; d--) rec.addr(uid(rootFirst[d]));
    return rec.bytes();
  });
  const threadIds = Array.from({ length: o.threads }, (_, i) => 0x55d0c0de0000 + i * 0x1000);
  let samples = 0;
  let rss = 40_000;
  while (written < o.bytes) {
    // skewed: a few stacks are hot, most are rare
    const r = random();
    const stack = pool[Math.floor(r * r * r * pool.length)];
    enc
      .bytes_(stack)
      .addr(threadIds[samples % o.threads])
      .addr(rss);
    rss += Math.floor(random() * 9) - 4;
    samples++;
    if ((samples & 1023) === 0) enc.bytes(); // flush through onChunk
  }
  enc.trailer(Date.UTC(2026, 0, 1) + samples);
  enc.bytes();
  closeSync(fd);
  return { size: statSync(path).size, samples };
}

interface ParseResult {
  bytes: number;
  parseMs: number;
  /** CPU time of parse + aggregate (user + system, all threads: includes GC and reading the file). */
  cpuMs: number;
  /** CPU time of reading the file alone (the same reads, no parsing). */
  readCpuMs: number;
  aggregateMs: number;
  samples: number;
  stacks: number;
  funcs: number;
  /** The built Profile's memory: every typed array once (counters included) + 2 bytes per string character. */
  modelBytes: number;
  /** Peak RSS of the process (ru_maxrss). */
  maxRssKiB: number;
  /** RSS just before reading: Node, tsx and the reader's modules loaded. */
  baselineRssKiB: number;
}

/** The file as chunks: one reused 1 MiB buffer filled by readSync (no stream, no per-chunk garbage). */
function* fileChunks(path: string): Generator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(MB);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return;
      yield n === buffer.length ? buffer : buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** Child-process side: parse one file, print JSON. */
export async function parseOnly(path: string): Promise<void> {
  const { readVmprofStream } = await import('../src/formats/vmprof/index.js');
  const { functionTable, stackWeights } = await import('../src/model/analysis.js');
  const baselineRssKiB = Math.round(process.memoryUsage().rss / 1024);
  // What reading the file alone costs (page-cache copies): the parse below pays it too.
  const d0 = process.cpuUsage();
  for (const c of fileChunks(path)) void c;
  const drain = process.cpuUsage(d0);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const profile = await readVmprofStream(fileChunks(path));
  const t1 = performance.now();
  const table = functionTable(profile, stackWeights(profile));
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const buffers = new Set<ArrayBufferLike>();
  let modelBytes = 0;
  const add = (o: object) => {
    for (const v of Object.values(o)) {
      if (ArrayBuffer.isView(v) && !buffers.has(v.buffer)) {
        buffers.add(v.buffer);
        modelBytes += v.buffer.byteLength;
      }
    }
  };
  add(profile.funcs);
  add(profile.frames);
  add(profile.stacks);
  for (const t of profile.threads) add(t.samples);
  for (const c of profile.counters) add(c);
  for (const s of profile.strings) modelBytes += 2 * s.length;
  void table;
  const result: ParseResult = {
    bytes: statSync(path).size,
    parseMs: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    readCpuMs: (drain.user + drain.system) / 1000,
    aggregateMs: t2 - t1,
    samples: profile.threads.reduce((n, t) => n + t.samples.length, 0),
    stacks: profile.stacks.length,
    funcs: profile.funcs.length,
    modelBytes,
    maxRssKiB: process.resourceUsage().maxRSS,
    baselineRssKiB,
  };
  process.stdout.write(JSON.stringify(result));
}

/** `taskset -c 0` when it exists: the targets are for one core, so the readers get one. */
const ONE_CORE = spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? ['taskset', '-c', '0'] : [];

/** Parses `path` in a child with this checkout's reader, or with `script` (another checkout's bench/parse.ts). */
function runOurs(path: string, script = fileURLToPath(import.meta.url)): ParseResult {
  const argv = [...ONE_CORE, process.execPath, '--import', 'tsx', script, '--parse-only', path];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`parse child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ParseResult;
}

/**
 * `--against DIR`: this checkout's reader and DIR's (an older build: `git archive` of main into
 * DIR, node_modules linked) on the same file, alternating in each of PARSE_BENCH_ROUNDS rounds
 * (default 3), so both see the same machine. Per round: old time / new time (> 1: the new one
 * is faster), wall and CPU; medians with a 90% bootstrap interval.
 */
function compareWith(script: string, path: string): string[] {
  const rounds = Number(process.env.PARSE_BENCH_ROUNDS ?? 3);
  const wall: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  const rows: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['new', 'old'] : ['old', 'new'];
    const result: Record<string, ParseResult> = {};
    for (const which of order) result[which] = which === 'new' ? runOurs(path) : runOurs(path, script);
    const { new: n, old: o } = result;
    wall.push((o.parseMs + o.aggregateMs) / (n.parseMs + n.aggregateMs));
    cpu.push(o.cpuMs / n.cpuMs);
    rss.push(n.maxRssKiB / o.maxRssKiB);
    rows.push(
      `| ${r + 1} | ${mbps(n.bytes, n.parseMs + n.aggregateMs).toFixed(0)} | ${mbps(o.bytes, o.parseMs + o.aggregateMs).toFixed(0)} | ` +
        `${mbps(n.bytes, n.cpuMs).toFixed(0)} | ${mbps(o.bytes, o.cpuMs).toFixed(0)} | ${(n.maxRssKiB / 1024).toFixed(0)} / ${(o.maxRssKiB / 1024).toFixed(0)} MiB |`,
    );
  }
  const ratio = (xs: number[]) => {
    const [low, high] = medianInterval(xs);
    return `${median(xs).toFixed(3)} (90% interval ${low.toFixed(3)}–${high.toFixed(3)})`;
  };
  return [
    '',
    `Before/after, same file, alternating rounds (new = this checkout, old = ${script}):`,
    '',
    '| round | new MB/s wall | old MB/s wall | new MB/s CPU | old MB/s CPU | peak RSS new / old |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `old / new time, wall: ${ratio(wall)}; CPU: ${ratio(cpu)} (> 1: the new reader is faster). Peak RSS new / old: ${ratio(rss)}.`,
  ];
}

/** vmprof-python's reader, imported from the checkout without its C extension. */
function runPython(checkout: string, path: string): { seconds: number; cpuSeconds: number; samples: number } | string {
  const script = `
import sys, time, types, importlib
pkg = types.ModuleType('vmprof'); pkg.__path__ = [sys.argv[1] + '/vmprof']; sys.modules['vmprof'] = pkg
reader = importlib.import_module('vmprof.reader'); stats = importlib.import_module('vmprof.stats')
t = time.perf_counter(); c = time.process_time()
state = reader.LogReaderState()
with open(sys.argv[2], 'rb') as f:
    reader.LogReader(reader.gunzip(f), state).read_all()
s = stats.Stats(state.profiles, dict(state.virtual_ips), state=state)
print(time.perf_counter() - t, time.process_time() - c, len(state.profiles))
`;
  const argv = [...ONE_CORE, 'python3', '-c', script, checkout, path];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) return `vmprof-python failed: ${r.stderr.trim().split('\n').pop()}`;
  const [seconds, cpuSeconds, samples] = r.stdout.trim().split(/\s+/).map(Number);
  return { seconds, cpuSeconds, samples };
}

const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--parse-only') return parseOnly(args[1]);
  const sizeMB = Number(process.env.VMPROF_BENCH_MB ?? 320);
  const pyMB = Number(process.env.VMPROF_PYTHON_MB ?? 50);
  const checkout = process.env.VMPROF_PYTHON;
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-bench-'));
  const shape: Omit<GenOptions, 'bytes'> = { functions: 5000, distinctStacks: 20000, threads: 4 };
  try {
    const big = join(dir, 'big.prof');
    let t = performance.now();
    const gen = generate(big, { ...shape, bytes: sizeMB * MB });
    console.error(`generated ${(gen.size / MB).toFixed(0)} MB, ${gen.samples} samples in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const ours = runOurs(big);
    const total = ours.parseMs + ours.aggregateMs;
    const against = args.indexOf('--against');
    const before = against >= 0 ? compareWith(resolve(args[against + 1], 'bench/parse.ts'), big) : [];
    const lines = [
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; ` +
        `load average ${loadavg()[0].toFixed(1)} when the parse ended (wall-clock numbers suffer when it exceeds the core count; CPU time less so).`,
      `Input: ${(ours.bytes / MB).toFixed(0)} MB synthetic VMProf (CPython layout, 64-bit, memory words, ${shape.threads} threads, ` +
        `${shape.functions} functions, ${shape.distinctStacks} distinct stacks of depth 20-200 sharing prefixes, ${ours.samples} samples), ` +
        `read with readSync into one reused 1 MiB buffer and pushed through readVmprofStream; ` +
        `${ONE_CORE.length ? 'the reader pinned to one core (taskset -c 0)' : 'not pinned to one core (no taskset)'}. MB = 2^20 bytes.`,
      '',
      '| measure | value |',
      '|---|---|',
      `| parse (readVmprofStream) | ${(ours.parseMs / 1000).toFixed(2)} s, ${mbps(ours.bytes, ours.parseMs).toFixed(0)} MB/s |`,
      `| aggregate (functionTable) | ${(ours.aggregateMs / 1000).toFixed(2)} s |`,
      `| parse + aggregate, wall clock | ${mbps(ours.bytes, total).toFixed(0)} MB/s (target >= 300) |`,
      `| parse + aggregate, CPU time | ${mbps(ours.bytes, ours.cpuMs).toFixed(0)} MB/s (${(ours.cpuMs / 1000).toFixed(2)} s CPU; counts GC threads too) |`,
      `| the same without reading the file | ${mbps(ours.bytes, ours.cpuMs - ours.readCpuMs).toFixed(0)} MB/s (reading the file alone: ${(ours.readCpuMs / 1000).toFixed(2)} s CPU) |`,
      `| model size (typed arrays incl. the RSS counter, + 2 bytes per string char) | ${(ours.modelBytes / MB).toFixed(1)} MiB (${ours.stacks} stacks, ${ours.funcs} functions) |`,
      `| RSS before reading (Node + tsx + the reader's modules) | ${(ours.baselineRssKiB / 1024).toFixed(1)} MiB |`,
      `| peak RSS, absolute (ru_maxrss) | ${(ours.maxRssKiB / 1024).toFixed(1)} MiB = ${(ours.maxRssKiB / 1024 / (ours.modelBytes / MB)).toFixed(1)}x the model |`,
      `| peak RSS above the RSS before reading | ${((ours.maxRssKiB - ours.baselineRssKiB) / 1024).toFixed(1)} MiB = ${((ours.maxRssKiB - ours.baselineRssKiB) / 1024 / (ours.modelBytes / MB)).toFixed(2)}x the model (target <= 2x) |`,
    ];
    if (!checkout) {
      lines.push('', 'vmprof-python comparison SKIPPED: set VMPROF_PYTHON=/path/to/vmprof-python checkout to run it.');
    } else {
      const small = join(dir, 'small.prof');
      t = performance.now();
      generate(small, { ...shape, bytes: pyMB * MB });
      const oursSmall = runOurs(small);
      const py = runPython(checkout, small);
      if (typeof py === 'string') {
        lines.push('', `vmprof-python comparison FAILED: ${py}`);
      } else {
        const oursMs = oursSmall.parseMs + oursSmall.aggregateMs;
        lines.push(
          '',
          `Side by side on a ${(oursSmall.bytes / MB).toFixed(0)} MB file made the same way (vmprof-python: LogReader.read_all + Stats, ` +
            `which counts each function once per sample; pure Python, CPython ${spawnSync('python3', ['-V'], { encoding: 'utf8' }).stdout.trim().split(' ')[1]}):`,
          '',
          '| reader | samples | wall time | CPU time | MB/s (wall) |',
          '|---|---|---|---|---|',
          `| pyrometer | ${oursSmall.samples} | ${(oursMs / 1000).toFixed(2)} s | ${(oursSmall.cpuMs / 1000).toFixed(2)} s | ${mbps(oursSmall.bytes, oursMs).toFixed(0)} |`,
          `| vmprof-python | ${py.samples} | ${py.seconds.toFixed(2)} s | ${py.cpuSeconds.toFixed(2)} s | ${mbps(oursSmall.bytes, py.seconds * 1000).toFixed(1)} |`,
          '',
          `Speed ratio on this file: ${((py.seconds * 1000) / oursMs).toFixed(1)}x wall clock, ${((py.cpuSeconds * 1000) / oursSmall.cpuMs).toFixed(1)}x CPU time (target >= 15x).`,
          '',
          // vmprof-python builds Python lists for every sample: its cost per byte does not fall as
          // stacks repeat, while ours does (the start of a profile is where new stacks appear).
          `vmprof-python's CPU speed (${mbps(oursSmall.bytes, py.cpuSeconds * 1000).toFixed(1)} MB/s) against ours on the full ` +
            `${(ours.bytes / MB).toFixed(0)} MB file (${mbps(ours.bytes, ours.cpuMs).toFixed(0)} MB/s CPU): ` +
            `${(mbps(ours.bytes, ours.cpuMs) / mbps(oursSmall.bytes, py.cpuSeconds * 1000)).toFixed(1)}x.`,
        );
      }
    }
    console.log([...lines, ...before].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
