/**
 * `npm run bench:convert`: `pyrometer convert` of a big VMProf file to the
 * Firefox Profiler format and to pprof: time, throughput and peak RSS.
 *
 * 1. Generates a synthetic VMProf file with bench/parse.ts's generator (CPython
 *    layout, 64-bit, memory words, 4 threads, 5000 functions, 20000 distinct stacks
 *    20-200 deep): CONVERT_BENCH_MB (default 300) MB.
 * 2. Runs the real command, `main(['convert', big.prof, '-o', out])`, in a child
 *    process per target, so each peak RSS is that conversion's alone (the child
 *    reports process.resourceUsage().maxRSS). Firefox JSON streams to the file
 *    through Format.writeChunks; pprof is one protobuf buffer (its size follows the
 *    distinct stacks, not the input).
 * 3. A second, sample-heavy file of the same size: shallow stacks (3-12 frames,
 *    500 distinct), so millions of samples and a Firefox JSON dominated by the
 *    samples table; that is where streaming matters.
 * 4. Side by side: the same Firefox conversions without streaming (Format.write
 *    builds the whole JSON as one string, then writes it), to show what
 *    writeChunks saves.
 *
 * Prints a Markdown table for docs/performance.md ("Conversion").
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, openSync, writeSync } from 'node:fs';
import { generate } from './parse.js';
import { VmprofEncoder } from '../src/formats/vmprof/write.js';
import { FLAG_MEMORY, MARKER_STACKTRACE } from '../src/formats/vmprof/records.js';

const MB = 1024 * 1024;

/** Shallow stacks, many samples: mostly sample records of ~60-140 bytes. */
export function generateShallow(path: string, bytes: number): { size: number; samples: number } {
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
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
  const uid = (f: number) => 0x7f0000000000 + f * 0x40;
  for (let f = 0; f < 300; f++) enc.name(uid(f), `py:handler_${f}:${1 + f}:/srv/app/handlers_${f % 13}.py`);
  const pool = Array.from({ length: 500 }, () => {
    const depth = 3 + Math.floor(random() * 10);
    const rec = new VmprofEncoder({ wordSize: 8 });
    rec.u8(MARKER_STACKTRACE).word(1).word(depth);
    for (let d = 0; d < depth; d++) rec.addr(uid(d === depth - 1 ? 0 : Math.floor(random() * 300)));
    return rec.bytes();
  });
  let samples = 0;
  let rss = 60_000;
  while (written < bytes) {
    const r = random();
    enc
      .bytes_(pool[Math.floor(r * r * pool.length)])
      .addr(0x55d0c0de0000 + (samples % 2) * 0x1000)
      .addr(rss);
    rss += Math.floor(random() * 9) - 4;
    samples++;
    if ((samples & 4095) === 0) enc.bytes();
  }
  enc.trailer(Date.UTC(2026, 0, 1) + samples);
  enc.bytes();
  closeSync(fd);
  return { size: statSync(path).size, samples };
}

interface RunResult {
  ms: number;
  maxRssKiB: number;
  outputBytes: number;
  error?: string;
}

/** Child side: one conversion, then its time and peak RSS as JSON on stdout. */
async function child(mode: string, input: string, output: string): Promise<void> {
  const t0 = performance.now();
  let error: string | undefined;
  if (mode === 'cli') {
    const { main } = await import('../src/cli/main.js');
    const code = await main(['convert', input, '-o', output, '--no-side-files']);
    if (code !== 0) error = `exit ${code}`;
  } else {
    // Without streaming: the whole output as one string first.
    const { loadProfile } = await import('../src/formats/load.js');
    const { firefoxFormat } = await import('../src/formats/firefox/index.js');
    try {
      const profile = await loadProfile(input);
      writeFileSync(output, firefoxFormat.write!(profile) as string);
    } catch (err) {
      error = (err as Error).message;
    }
  }
  const result: RunResult = {
    ms: performance.now() - t0,
    maxRssKiB: process.resourceUsage().maxRSS,
    outputBytes: error ? 0 : statSync(output).size,
    error,
  };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

function run(mode: string, input: string, output: string): RunResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, input, output], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as RunResult;
  } catch {
    return {
      ms: 0,
      maxRssKiB: 0,
      outputBytes: 0,
      error: `child failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
    };
  }
}

async function benchMain(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2], args[3]);
  const sizeMB = Number(process.env.CONVERT_BENCH_MB ?? 300);
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-bench-convert-'));
  try {
    const shapes = [
      {
        name: 'deep.prof',
        describe: (n: number) =>
          `deep stacks (bench/parse.ts generator: CPython layout, 64-bit, memory words, 4 threads, 5000 functions, 20000 distinct stacks of depth 20-200, ${n} samples)`,
        make: (path: string) => generate(path, { bytes: sizeMB * MB, functions: 5000, distinctStacks: 20000, threads: 4 }),
      },
      {
        name: 'shallow.prof',
        describe: (n: number) => `sample-heavy (2 threads, 300 functions, 500 distinct stacks of depth 3-12, memory words, ${n} samples)`,
        make: (path: string) => generateShallow(path, sizeMB * MB),
      },
    ];
    const out: string[] = [
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
      'Time and MB/s are for the whole command (read + convert + write; input MB per second, tsx start-up included); ' +
        'peak RSS is the converting process (target < 1 GiB).',
    ];
    for (const shape of shapes) {
      const input = join(dir, shape.name);
      const t = performance.now();
      const gen = shape.make(input);
      console.error(
        `generated ${shape.name}: ${(gen.size / MB).toFixed(0)} MB, ${gen.samples} samples in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      const rows: string[] = [];
      const row = (label: string, r: RunResult) => {
        if (r.error) {
          rows.push(`| ${label} | failed: ${r.error} | | | |`);
          return;
        }
        rows.push(
          `| ${label} | ${(r.ms / 1000).toFixed(1)} s | ${(gen.size / MB / (r.ms / 1000)).toFixed(0)} MB/s | ${(r.outputBytes / MB).toFixed(1)} MiB | ${(r.maxRssKiB / 1024).toFixed(0)} MiB |`,
        );
      };
      for (const [label, name] of [
        ['Firefox JSON, streamed (writeChunks)', 'out.firefox.json'],
        ['pprof', 'out.pb.gz'],
      ] as const) {
        const output = join(dir, name);
        console.error(`  converting to ${name} ...`);
        row(`\`convert -o ${name}\` (${label})`, run('cli', input, output));
        rmSync(output, { force: true });
      }
      console.error('  converting to Firefox JSON as one string ...');
      row('Firefox JSON as one string (`Format.write`), for comparison', run('whole', input, join(dir, 'whole.firefox.json')));
      rmSync(join(dir, 'whole.firefox.json'), { force: true });
      rmSync(input, { force: true });
      out.push(
        '',
        `Input: ${(gen.size / MB).toFixed(0)} MB synthetic VMProf, ${shape.describe(gen.samples)}.`,
        '',
        '| conversion | time | input MB/s | output | peak RSS |',
        '|---|---|---|---|---|',
        ...rows,
      );
    }
    console.log(out.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMain();
