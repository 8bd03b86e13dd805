/**
 * npm run bench:viewer — how fast the viewer opens and moves on a big profile,
 * beside speedscope on the same profile in the same run.
 *
 * 1. Generates a profile: 1,000,000 samples, 50,000 distinct call-tree nodes,
 *    stacks up to depth 200 (deterministic PRNG), written as our serialized model
 *    and as collapsed stacks (a format speedscope reads).
 * 2. pyrometer: `pyrometer view`'s server on 127.0.0.1, headless Chromium, time
 *    from navigation to the first painted flame graph (performance.now() after the
 *    first flame-graph paint, i.e. since navigation start).
 * 3. speedscope (node_modules/speedscope, served from 127.0.0.1) in its left-heavy
 *    view (its aggregated flame graph): time from navigation to the second animation
 *    frame after its view switcher (shown once a profile is loaded) and canvas appeared.
 * 4. Both: 120 frames of zooming and 120 of panning, one synthetic wheel event per
 *    animation frame; frame time = interval between animation frames (median, p95).
 *
 * 5. pyrometer only (issue 16): the inverted flame graph (opened inverted, and switched to
 *    inverted on an open page), the Compare view of this profile against a second one of the
 *    same size (another seed: same functions, other tree) to its first differential flame graph,
 *    and the stack chart's ctrl+wheel zoom frame times.
 *
 * 6. With --baseline REF (a git ref, e.g. main): REF's viewer (web/ and src/ of that commit, bundled
 *    into bench/out/baseline) opened inverted on the same page server in the same runs, taking turns
 *    with ours, for a before/after of the inverted first paint.
 *
 * Usage: node --import tsx bench/viewer.ts [--samples N] [--nodes N] [--depth N] [--runs N] [--no-speedscope] [--baseline REF]
 * Each viewer is measured --runs times (default 3, alternating); the summary is the median over runs.
 * Results: printed, and written to bench/out/viewer.json.
 */
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ProfileBuilder } from '../src/model/builder.js';
import type { Profile } from '../src/model/profile.js';
import { writeCollapsed } from '../src/formats/collapsed.js';
import { startViewServer } from '../src/view-server/server.js';
import { prng } from '../test/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench/out');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * A random call tree of exactly `nodes` nodes: a spine reaching `maxDepth`, the
 * others attached to random earlier nodes (biased towards recent ones, so depth
 * varies widely) with sibling functions kept distinct. Every node gets at least
 * one sample so all of them appear in the call tree; the rest follow a skewed
 * distribution in runs of consecutive samples, as real programs do.
 */
export function generateProfile(samples: number, nodes: number, maxDepth: number, seed = 42): Profile {
  const rand = prng(seed);
  const b = new ProfileBuilder('synthetic', { interpreter: 'cpython', interval: 1 });
  const funcCount = Math.max(100, Math.floor(nodes / 10));
  const modules = ['app', 'core', 'io', 'net', 'db', 'json', 'parser', 'render', 'util', 'cache'];
  const funcs: number[] = [];
  for (let i = 0; i < funcCount; i++) {
    const kind = i % 17 === 0 ? 'native' : i % 23 === 0 ? 'jit' : i % 97 === 0 ? 'gc' : 'python';
    funcs.push(b.func(`${modules[i % modules.length]}.fn_${i}`, `${modules[i % modules.length]}/m${i % 50}.py`, 1 + (i % 400), kind));
  }
  const stackOf = new Int32Array(nodes);
  const depth = new Int32Array(nodes);
  const used = new Map<number, Set<number>>();
  const t = b.thread('1', 'MainThread');
  const addNode = (i: number, parent: number): void => {
    let set = used.get(parent);
    if (!set) used.set(parent, (set = new Set()));
    let f = funcs[Math.floor(rand() * funcCount)];
    while (set.has(f)) f = funcs[Math.floor(rand() * funcCount)];
    set.add(f);
    stackOf[i] = b.stack(parent < 0 ? -1 : stackOf[parent], b.frame(f));
    depth[i] = parent < 0 ? 1 : depth[parent] + 1;
  };
  const roots = 3;
  for (let i = 0; i < roots; i++) addNode(i, -1);
  let n = roots;
  // The spine that reaches maxDepth comes last: built first, random attachment would hang most nodes under it.
  const spineStart = nodes - (maxDepth - 1);
  for (; n < spineStart; n++) {
    let parent: number;
    do {
      parent = rand() < 0.75 ? n - 1 - Math.floor(rand() * Math.min(n - 1, 50)) : Math.floor(rand() * n);
    } while (depth[parent] >= maxDepth);
    addNode(n, parent);
  }
  for (; n < nodes; n++) addNode(n, n === spineStart ? 0 : n - 1);
  let time = 0;
  for (let i = 0; i < nodes; i++) b.addSample(t, stackOf[i], time++);
  while (time < samples) {
    const node = Math.floor(Math.pow(rand(), 3) * nodes);
    const run = 1 + Math.floor(rand() * 40);
    for (let k = 0; k < run && time < samples; k++) b.addSample(t, stackOf[node], time++);
  }
  return b.build();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface FrameStats {
  median: number;
  p95: number;
  frames: number;
}

function stats(values: number[]): FrameStats {
  const s = [...values].sort((a, b) => a - b);
  return { median: percentile(s, 50), p95: percentile(s, 95), frames: s.length };
}

/**
 * In-page driver, kept as source text: functions passed to page.evaluate from
 * tsx-compiled code would carry its helper calls (__name) into the page.
 * Dispatches one wheel event per animation frame at the centre of the element;
 * resolves with the intervals between animation frames.
 */
const WHEEL_DRIVER = `({ selector, frames, deltaY, deltaX, ctrlKey }) => new Promise((resolvePromise) => {
  const el = document.querySelector(selector);
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2;
  const y = r.top + r.height / 2;
  const target = document.elementFromPoint(x, y) || el;
  const times = [];
  let i = 0;
  const step = (ts) => {
    times.push(ts);
    if (i++ >= frames) {
      const intervals = times.slice(1).map((t, k) => t - times[k]);
      resolvePromise(intervals.slice(1)); // the first interval includes setup
      return;
    }
    const sign = i % 60 < 30 ? 1 : -1; // zoom in then out (or pan right then left)
    target.dispatchEvent(new WheelEvent('wheel', { deltaY: deltaY * sign, deltaX: deltaX * sign, clientX: x, clientY: y, ctrlKey, bubbles: true, cancelable: true }));
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})`;

async function driveWheel(
  page: Page,
  selector: string,
  frames: number,
  deltaY: number,
  deltaX: number,
  ctrlKey: boolean,
): Promise<number[]> {
  return page.evaluate(`(${WHEEL_DRIVER})(${JSON.stringify({ selector, frames, deltaY, deltaX, ctrlKey })})`) as Promise<number[]>;
}

interface Run {
  firstFlamePaintMs: number;
  zoom: FrameStats;
  pan: FrameStats;
  draw?: FrameStats;
  breakdownMs?: Record<string, number>;
  errors: string[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
}

/** Medians over runs of each run's numbers. */
function summarize(runs: Run[]): Record<string, number> {
  const out: Record<string, number> = {
    firstFlamePaintMs: median(runs.map((r) => r.firstFlamePaintMs)),
    zoomMedianMs: median(runs.map((r) => r.zoom.median)),
    zoomP95Ms: median(runs.map((r) => r.zoom.p95)),
    panMedianMs: median(runs.map((r) => r.pan.median)),
    panP95Ms: median(runs.map((r) => r.pan.p95)),
  };
  if (runs[0]?.draw) {
    out.drawMedianMs = median(runs.map((r) => r.draw!.median));
    out.drawP95Ms = median(runs.map((r) => r.draw!.p95));
  }
  return out;
}

async function measurePyrometer(browser: Browser, url: string, screenshot: boolean): Promise<Run> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.firstFlamePaint != null', null, { timeout: 120000 });
  const firstPaint = (await page.evaluate('window.__pyrometer.firstFlamePaint')) as number;
  const breakdown = (await page.evaluate(
    `({ ...window.__pyrometer.timings, scriptsReady: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd })`,
  )) as Record<string, number>;
  await page.locator('canvas.flame-canvas').focus();
  await page.evaluate('window.__pyrometer.paintLog = []');
  const zoom = await driveWheel(page, 'canvas.flame-canvas', 120, 60, 0, true);
  const pan = await driveWheel(page, 'canvas.flame-canvas', 120, 0, 40, false);
  const draws = (await page.evaluate('window.__pyrometer.paintLog')) as number[];
  if (process.env.BENCH_VERBOSE)
    console.log(JSON.stringify({ zoom: zoom.map(Math.round), pan: pan.map(Math.round), draws: draws.map(Math.round) }));
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-pyrometer.png') });
  await page.close();
  return {
    firstFlamePaintMs: Math.round(firstPaint),
    breakdownMs: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, Math.round(v)])),
    zoom: stats(zoom),
    pan: stats(pan),
    draw: stats(draws),
    errors,
  };
}

/** The viewer bundle (app.js) of git ref `ref`, built from its web/ and src/ (the repository's node_modules bundle it). */
function buildBaseline(ref: string): string {
  const dir = join(out, 'baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'web', 'src'], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  execFileSync(process.execPath, [join(dir, 'web/build.mjs')], { cwd: dir, stdio: 'inherit' });
  return join(dir, 'web/dist/app.js');
}

/** Navigation to the first painted inverted flame graph, with `appJs` (another build of the viewer) instead of ours when given. */
async function invertedFirstPaint(browser: Browser, url: string, errors: string[], appJs?: string): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
  page.on('pageerror', (e) => errors.push(e.message));
  if (appJs) {
    const body = readFileSync(appJs);
    await page.route('**/app.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body }));
  }
  await page.goto(`${url}#inv=1`);
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.firstFlamePaint != null', null, { timeout: 120000 });
  const ms = Math.round((await page.evaluate('window.__pyrometer.firstFlamePaint')) as number);
  await page.close();
  return ms;
}

interface ExtraRun {
  /** Navigation to the first painted flame graph with the URL asking for it inverted. */
  invertedFirstPaintMs: number;
  /** The same with the --baseline viewer, in the same run (taking turns with ours). */
  baselineInvertedFirstPaintMs?: number;
  /** After that first paint: building and laying out the whole bottom-up tree (the page's own timing). */
  wholeInvertedMs?: number;
  /** On an open page: click on "Inverted" to the inverted flame graph painted. */
  invertToggleMs: number;
  /** Navigation to the Compare view's first differential flame graph (both profiles loaded, matched, laid out). */
  compareFirstPaintMs: number;
  stackZoom: FrameStats;
  /** Our stack chart draw calls during that zoom (the rest of a frame is the browser's and the machine's). */
  stackDraw: FrameStats;
  errors: string[];
}

async function measureExtras(browser: Browser, url: string, screenshot: boolean, run: number, baseline?: string): Promise<ExtraRun> {
  const errors: string[] = [];
  const open = async (hash: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}#${hash}`);
    return page;
  };
  // Ours and the baseline take turns at going first, so that a run's load falls on both alike.
  let baselineInvertedFirstPaintMs: number | undefined;
  if (baseline && run % 2 === 1) baselineInvertedFirstPaintMs = await invertedFirstPaint(browser, url, errors, baseline);
  let page = await open('inv=1');
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.firstFlamePaint != null', null, { timeout: 120000 });
  const invertedFirstPaintMs = Math.round((await page.evaluate('window.__pyrometer.firstFlamePaint')) as number);
  // The whole tree follows the first paint: wait for it, its time is the page's own measure.
  await page.waitForFunction('window.__pyrometer.timings.wholeInverted != null', null, { timeout: 120000 }).catch(() => {});
  const whole = (await page.evaluate('window.__pyrometer.timings.wholeInverted')) as number | undefined;
  const wholeInvertedMs = whole === undefined ? undefined : Math.round(whole);
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-inverted-open.png') });
  await page.close();
  if (baseline && run % 2 === 0) baselineInvertedFirstPaintMs = await invertedFirstPaint(browser, url, errors, baseline);
  page = await open('');
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.firstFlamePaint != null', null, { timeout: 120000 });
  // Bottom-up trees have no stack-to-node map: that is how the page tells the inverted graph is the one painted.
  const invertToggleMs = (await page.evaluate(`new Promise((resolve) => {
    const hooks = window.__pyrometer;
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Inverted');
    const t0 = performance.now();
    const paints = hooks.paints;
    button.click();
    const check = () => (hooks.paints > paints && hooks.canvas.flame && hooks.canvas.flame.tree.stackToNode.length === 0 ? resolve(performance.now() - t0) : requestAnimationFrame(check));
    requestAnimationFrame(check);
  })`)) as number;
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-inverted.png') });
  await page.close();
  page = await open('v=compare&p=1&cmp=0');
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.timings.firstComparePaint != null', null, { timeout: 180000 });
  const compareFirstPaintMs = Math.round((await page.evaluate('window.__pyrometer.timings.firstComparePaint')) as number);
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-compare.png') });
  await page.close();
  page = await open('v=stack');
  await page.waitForFunction('window.__pyrometer && window.__pyrometer.ready && window.__pyrometer.canvas.mode === "stack"', null, {
    timeout: 120000,
  });
  await page.waitForTimeout(300);
  await page.evaluate('window.__pyrometer.paintLog = []');
  const stackZoom = stats(await driveWheel(page, 'canvas.flame-canvas', 120, 60, 0, true));
  const stackDraw = stats((await page.evaluate('window.__pyrometer.paintLog')) as number[]);
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-stack.png') });
  await page.close();
  return {
    invertedFirstPaintMs,
    baselineInvertedFirstPaintMs,
    wholeInvertedMs,
    invertToggleMs: Math.round(invertToggleMs),
    compareFirstPaintMs,
    stackZoom,
    stackDraw,
    errors,
  };
}

async function measureSpeedscope(browser: Browser, port: number, screenshot: boolean): Promise<Run> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/#profileURL=${encodeURIComponent(`http://127.0.0.1:${port}/profile.txt`)}&view=left-heavy`);
  // Loaded once its view switcher (shown only with a profile) and a canvas exist; then two frames to paint.
  await page.waitForFunction("document.body.innerText.includes('Left Heavy') && document.querySelectorAll('canvas').length > 0", null, {
    timeout: 180000,
    polling: 10,
  });
  const firstPaint = (await page.evaluate(
    'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))',
  )) as number;
  await page.waitForTimeout(300);
  const zoom = await driveWheel(page, 'canvas', 120, 60, 0, true);
  const pan = await driveWheel(page, 'canvas', 120, 0, 40, false);
  if (screenshot) await page.screenshot({ path: join(out, 'viewer-bench-speedscope.png') });
  await page.close();
  return { firstFlamePaintMs: Math.round(firstPaint), zoom: stats(zoom), pan: stats(pan), errors };
}

async function main(): Promise<void> {
  const samples = arg('samples', 1_000_000);
  const nodes = arg('nodes', 50_000);
  const maxDepth = arg('depth', 200);
  const withSpeedscope = !process.argv.includes('--no-speedscope');
  const runs = arg('runs', 3);
  mkdirSync(out, { recursive: true });
  const baselineAt = process.argv.indexOf('--baseline');
  const baselineRef = baselineAt >= 0 ? process.argv[baselineAt + 1] : undefined;
  const baseline = baselineRef ? buildBaseline(baselineRef) : undefined;

  let t0 = performance.now();
  const profile = generateProfile(samples, nodes, maxDepth);
  const genMs = performance.now() - t0;
  let maxStackDepth = 0;
  let depthSum = 0;
  for (let s = 0; s < profile.stacks.length; s++) {
    maxStackDepth = Math.max(maxStackDepth, profile.stacks.depth[s]);
    depthSum += profile.stacks.depth[s];
  }
  console.log(
    `profile: ${profile.threads[0].samples.length} samples, ${profile.stacks.length} stacks (call-tree nodes), depth max ${maxStackDepth} mean ${(depthSum / profile.stacks.length).toFixed(1)}, ${profile.funcs.length} functions; generated in ${genMs.toFixed(0)} ms`,
  );
  t0 = performance.now();
  const collapsedPath = join(out, 'viewer-bench.collapsed.txt');
  if (withSpeedscope) {
    writeFileSync(collapsedPath, writeCollapsed(profile));
    console.log(
      `collapsed export for speedscope: ${(readFileSync(collapsedPath).length / 1048576).toFixed(1)} MiB in ${(performance.now() - t0).toFixed(0)} ms`,
    );
  }

  // What `pyrometer view FILE` does before serving: parse the same collapsed export in Node.
  let cliParseMs: number | null = null;
  if (withSpeedscope) {
    const { loadProfile } = await import('../src/formats/load.js');
    t0 = performance.now();
    const parsed = await loadProfile(collapsedPath);
    cliParseMs = Math.round(performance.now() - t0);
    console.log(`pyrometer reads the collapsed export in Node in ${cliParseMs} ms (${parsed.stacks.length} stacks)`);
  }

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  // Warm the browser (first renderer process start) so neither viewer pays it.
  const warm = await browser.newPage();
  await warm.goto('about:blank');
  await warm.close();
  const results: Record<string, unknown> = {
    samples,
    nodes: profile.stacks.length,
    maxDepth: maxStackDepth,
    chromium: browser.version(),
    runs,
    loadAverageBefore: loadavg()[0],
  };
  const pyrometerRuns: Run[] = [];
  const speedscopeRuns: Run[] = [];
  const extraRuns: ExtraRun[] = [];
  // The Compare view's "before": a second profile of the same size and functions, another tree.
  const second = generateProfile(samples, nodes, maxDepth, 7);
  const server = await startViewServer([
    { name: 'bench', profile },
    { name: 'bench-after', profile: second },
  ]);
  const dist = join(root, 'node_modules/speedscope/dist/release');
  if (withSpeedscope && !existsSync(dist)) throw new Error('node_modules/speedscope is missing (it is a dev dependency)');
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.txt': 'text/plain',
    '.wasm': 'application/wasm',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
    '.json': 'application/json',
  };
  const ss = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = path === '/profile.txt' ? collapsedPath : join(dist, path === '/' ? 'index.html' : path.slice(1));
    if (!file.startsWith(dist) && file !== collapsedPath) {
      res.writeHead(404).end();
      return;
    }
    try {
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => ss.listen(0, '127.0.0.1', () => r()));
  const ssPort = (ss.address() as AddressInfo).port;
  try {
    // Runs alternate between the two viewers so that load from other work on the machine hits both alike.
    for (let run = 0; run < runs; run++) {
      pyrometerRuns.push(await measurePyrometer(browser, server.url, run === runs - 1));
      if (withSpeedscope) speedscopeRuns.push(await measureSpeedscope(browser, ssPort, run === runs - 1));
      extraRuns.push(await measureExtras(browser, server.url, run === runs - 1, run, baseline));
      const x = extraRuns[run];
      const before = x.baselineInvertedFirstPaintMs === undefined ? '' : `; ${baselineRef} ${x.baselineInvertedFirstPaintMs} ms`;
      console.log(
        `run ${run + 1}/${runs}: pyrometer ${pyrometerRuns[run].firstFlamePaintMs} ms${withSpeedscope ? `, speedscope ${speedscopeRuns[run].firstFlamePaintMs} ms` : ''} to first flame graph; inverted ${x.invertedFirstPaintMs} ms (whole tree ${x.wholeInvertedMs ?? '-'} ms later${before}; toggle ${x.invertToggleMs} ms), compare ${x.compareFirstPaintMs} ms, stack zoom p95 ${x.stackZoom.p95.toFixed(1)} ms`,
      );
    }
  } finally {
    await server.close();
    ss.close();
    await browser.close();
  }
  results.loadAverageAfter = loadavg()[0];
  results.pyrometer = { cliParseCollapsedMs: cliParseMs, summary: summarize(pyrometerRuns), runs: pyrometerRuns };
  results.pyrometerIssue16 = {
    summary: {
      invertedFirstPaintMs: median(extraRuns.map((r) => r.invertedFirstPaintMs)),
      ...(baseline
        ? {
            baselineRef,
            baselineInvertedFirstPaintMs: median(extraRuns.map((r) => r.baselineInvertedFirstPaintMs!)),
            baselineOverOursInverted: median(extraRuns.map((r) => r.baselineInvertedFirstPaintMs! / r.invertedFirstPaintMs)),
          }
        : {}),
      wholeInvertedMs: median(extraRuns.filter((r) => r.wholeInvertedMs !== undefined).map((r) => r.wholeInvertedMs!)),
      invertToggleMs: median(extraRuns.map((r) => r.invertToggleMs)),
      compareFirstPaintMs: median(extraRuns.map((r) => r.compareFirstPaintMs)),
      stackZoomMedianMs: median(extraRuns.map((r) => r.stackZoom.median)),
      stackZoomP95Ms: median(extraRuns.map((r) => r.stackZoom.p95)),
      stackDrawMedianMs: median(extraRuns.map((r) => r.stackDraw.median)),
      stackDrawP95Ms: median(extraRuns.map((r) => r.stackDraw.p95)),
    },
    runs: extraRuns,
  };
  if (withSpeedscope) {
    results.speedscope = {
      version: JSON.parse(readFileSync(join(root, 'node_modules/speedscope/package.json'), 'utf8')).version,
      summary: summarize(speedscopeRuns),
      runs: speedscopeRuns,
    };
  }
  writeFileSync(join(out, 'viewer.json'), JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
