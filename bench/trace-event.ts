/**
 * The 100 MB trace-event part of `npm run bench:readers` (bench/readers.ts
 * runs it): pyrometer's trace-event reader beside speedscope's importer on the
 * same file, in the same run, rounds alternating.
 *
 * - The file: READERS_BENCH_TRACE_MB (default 100) MB of Chrome Trace Event
 *   Format, made with a seeded PRNG: 8 threads in 2 processes, nested B/E
 *   slices and X slices 1-12 deep over 400 distinct names, some instants and
 *   counters, one event per line (as tracers write them).
 * - pyrometer: `loadProfile` in a child node process (the loader streams
 *   files this big through the reader); wall time, MB/s and the process's
 *   peak RSS (getrusage maxrss).
 * - speedscope: its importer in headless Chromium (the npm package's bundle,
 *   the file picked in its landing page's file input, as a user picks it),
 *   timed from the pick to its Export button; peak RSS is
 *   the renderer process's VmHWM, read from /proc (Linux).
 */
import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { prng } from '../test/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;

/** Writes the synthetic trace; returns its size in bytes. */
export function writeTrace(path: string, megabytes: number): number {
  const rand = prng(19);
  const names = Array.from({ length: 400 }, (_, i) => `fn_${i} (/app/mod${i % 40}.py:${((i * 7) % 300) + 1})`);
  const fd = openSync(path, 'w');
  let size = 0;
  let chunk = '[\n';
  const flush = () => {
    writeSync(fd, chunk);
    size += Buffer.byteLength(chunk);
    chunk = '';
  };
  const threads = Array.from({ length: 8 }, (_, i) => ({ pid: 100 + (i % 2), tid: 1000 + i, ts: 0 }));
  for (const t of threads) chunk += `{"ph":"M","name":"thread_name","pid":${t.pid},"tid":${t.tid},"args":{"name":"worker-${t.tid}"}},\n`;
  const target = megabytes * MB;
  // One call tree at a time per thread: a root slice with children, recursively, written as B/E or X.
  const emit = (t: (typeof threads)[number], depth: number): void => {
    const name = names[Math.floor(rand() ** 2 * names.length)];
    const start = t.ts;
    const useX = rand() < 0.5;
    if (!useX) chunk += `{"ph":"B","name":"${name}","cat":"py","pid":${t.pid},"tid":${t.tid},"ts":${start}},\n`;
    t.ts += 1 + Math.floor(rand() * 20);
    const children = depth < 12 ? Math.floor(rand() * 3.2) : 0;
    for (let c = 0; c < children; c++) emit(t, depth + 1);
    t.ts += 1 + Math.floor(rand() * 20);
    if (useX) chunk += `{"ph":"X","name":"${name}","cat":"py","pid":${t.pid},"tid":${t.tid},"ts":${start},"dur":${t.ts - start}},\n`;
    else chunk += `{"ph":"E","name":"${name}","cat":"py","pid":${t.pid},"tid":${t.tid},"ts":${t.ts}},\n`;
    if (chunk.length > 1 << 20) flush();
  };
  let n = 0;
  while (size + chunk.length < target) {
    const t = threads[n++ % threads.length];
    emit(t, 0);
    if (n % 50 === 0)
      chunk += `{"ph":"i","name":"tick","s":"t","pid":${t.pid},"tid":${t.tid},"ts":${t.ts}},\n{"ph":"C","name":"heap","pid":${t.pid},"ts":${t.ts},"args":{"used":${Math.floor(rand() * 1e6)}}},\n`;
  }
  chunk += `{"ph":"M","name":"process_name","pid":100,"args":{"name":"bench"}}\n]\n`;
  flush();
  closeSync(fd);
  return size;
}

export interface Measurement {
  ms: number;
  peakRssMb: number;
  /** Why the reader gave no result (speedscope's error page, or no profile within the time limit). */
  failed?: string;
}

/** pyrometer's loader on the file, in a fresh node process. */
export function measureOurs(path: string): Measurement {
  const script = `
import { loadProfile } from ${JSON.stringify(pathToFileURL(join(root, 'src/formats/load.ts')).href)};
const t0 = performance.now();
const p = await loadProfile(${JSON.stringify(path)});
const ms = performance.now() - t0;
let n = 0; for (const t of p.threads) n += t.samples.length;
if (n === 0) throw new Error('no samples');
console.log(JSON.stringify({ ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`pyrometer run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement;
}

/** Peak RSS (VmHWM, MB) of the renderer processes under a browser process. */
function rendererPeakMb(browserPid: number): number {
  let peak = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('--type=renderer')) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      // Renderers are children of the browser or of its zygotes: walk up a few parents.
      let ancestor = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      for (let k = 0; k < 4 && ancestor > 1 && ancestor !== browserPid; k++) {
        ancestor = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${ancestor}/status`, 'utf8'))?.[1]);
      }
      if (ancestor !== browserPid) continue;
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      if (hwm > peak) peak = hwm;
    } catch {
      // a process that ended while we looked
    }
  }
  return peak;
}

/** speedscope's importer on the file in headless Chromium. */
export async function measureSpeedscope(path: string, timeoutMs = 900_000): Promise<Measurement> {
  // A browser server: its process id finds the renderer for the peak RSS.
  const browserServer = await chromium.launchServer({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--js-flags=--max-old-space-size=8192'],
  });
  const browser = await chromium.connect(browserServer.wsEndpoint());
  try {
    const page = await browser.newPage({ viewport: { width: 480, height: 320 } });
    await page.goto(pathToFileURL(join(root, 'node_modules/speedscope/dist/release/index.html')).href);
    // The landing page's "Browse" file input: the file is read as a user's pick would be.
    const input = page.locator('input[type=file]');
    await input.waitFor({ state: 'attached' });
    const t0 = performance.now();
    await input.setInputFiles(path);
    const failedText = page.getByText(/Something went wrong|Unrecognized format/i).first();
    const outcome = await Promise.race([
      page
        .getByText(/^\W*Export$/)
        .waitFor({ timeout: timeoutMs })
        .then(() => 'loaded'),
      failedText.waitFor({ timeout: timeoutMs }).then(() => 'failed'),
    ]).catch(() => 'timeout');
    const ms = performance.now() - t0;
    const peakRssMb = rendererPeakMb(browserServer.process().pid!);
    if (outcome === 'loaded') return { ms, peakRssMb };
    return {
      ms,
      peakRssMb,
      failed: outcome === 'failed' ? 'speedscope showed an error' : `no profile after ${Math.round(timeoutMs / 1000)} s`,
    };
  } finally {
    await browser.close();
    await browserServer.close();
  }
}

export function fileSizeMb(path: string): number {
  return statSync(path).size / MB;
}
