/**
 * npm run bench:server — the profile server under concurrent load, on loopback,
 * with SQLite and with PostgreSQL side by side.
 *
 * 1. Inputs: every real fixture the server accepts (VMProf from CPython and
 *    PyPy, cProfile, collapsed, callgrind, speedscope, Chrome) plus a generated
 *    100,000-sample CPython VMProf file (deterministic PRNG, written by our
 *    VMProf writer).
 * 2. `pyrometer serve` runs as its own process (fresh data directory; for
 *    PostgreSQL a throw-away cluster from test/server/pg-cluster.ts).
 * 3. N clients in this process each upload a share of R rounds over all inputs
 *    (POST /api/v1/profiles) and open each one right after (GET its model: what
 *    the viewer fetches). Then the 100k profile is opened O times by N clients.
 * 4. Checks: every upload listed, every raw download byte-identical.
 * Reports uploads/s, p50/p99 of upload and of open, open of the 100k profile,
 * and beside it the time to parse that profile from its raw file (what the
 * stored model saves on every open).
 *
 * Usage: node --import tsx bench/server.ts [--clients N] [--rounds R] [--opens O] [--no-postgres]
 * Results: printed, and written to bench/out/server.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileBuilder } from '../src/model/builder.js';
import { writeVmprof } from '../src/formats/vmprof/write.js';
import { loadProfile } from '../src/formats/load.js';
import { deserializeProfile } from '../src/model/serialize.js';
import { prng } from '../test/helpers.js';
import { startPgCluster } from '../test/server/pg-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = resolve(root, 'test/fixtures');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const CLIENTS = arg('clients', 8);
const ROUNDS = arg('rounds', 3);
const OPENS = arg('opens', 60);
const WITH_POSTGRES = !process.argv.includes('--no-postgres');

/** 100k samples over ~4,000 distinct stacks of depth 3-40, skewed like a real program. */
function bigVmprof(samples: number): Uint8Array {
  const rand = prng(7);
  const b = new ProfileBuilder('vmprof', {
    interpreter: 'cpython',
    interval: 1,
    startTime: Date.UTC(2026, 0, 1),
    endTime: Date.UTC(2026, 0, 1) + samples,
  });
  const funcs = Array.from({ length: 400 }, (_, i) => b.func(`func_${i}`, `/srv/app/module_${i % 40}.py`, 10 + (i % 97) * 3));
  const thread = b.thread('1', 'MainThread');
  const stacks: number[] = [];
  for (let s = 0; s < 4000; s++) {
    const depth = 3 + Math.floor(rand() * rand() * 38);
    let stack = b.stack(-1, b.frame(funcs[0]));
    for (let d = 1; d < depth; d++) stack = b.stack(stack, b.frame(funcs[1 + Math.floor(rand() * (d < 4 ? 8 : 399))]));
    stacks.push(stack);
  }
  for (let i = 0; i < samples; i++) b.addSample(thread, stacks[Math.floor(stacks.length * rand() ** 3)], i);
  return writeVmprof(b.build()) as Uint8Array;
}

interface Input {
  name: string;
  path: string;
  bytes: Buffer;
}

function inputs(work: string): { all: Input[]; big: Input } {
  const names = [
    'vmprof/example.prof',
    'vmprof/example_with_lines.prof',
    'vmprof/vmprof_cpuburn.prof',
    'vmprof/richards.cpython.prof',
    'vmprof/simple_nested.pypy.prof',
    'vmprof/pypy-primes.prof',
    'vmprof/pypy-primes-mem.prof',
    'vmprof/pypy-wordcount.prof',
    'vmprof/pypy-threads-realtime.prof',
    'cprofile/cprofile-python3-wordcount.pstats',
    'collapsed/recursion.txt',
    'callgrind/callgrind.python3-tiny.out',
    'speedscope/simple.speedscope.json',
    'chrome/node-example.cpuprofile',
  ];
  const all = names.map((n) => ({ name: basename(n), path: join(fixtures, n), bytes: readFileSync(join(fixtures, n)) }));
  const bigPath = join(work, 'synthetic-100k.prof');
  writeFileSync(bigPath, bigVmprof(100_000));
  const big = { name: 'synthetic-100k.prof', path: bigPath, bytes: readFileSync(bigPath) };
  return { all: [...all, big], big };
}

function serve(data: string, db?: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['serve', '--port', '0', '--data', data, ...(db ? ['--db', db] : [])];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = /serving profiles at (http:\/\/\S+)/.exec(output);
      if (m) resolvePromise({ url: m[1], child });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
}

async function upload(url: string, input: Input): Promise<string> {
  const res = await fetch(`${url}/api/v1/profiles?name=${encodeURIComponent(input.name)}`, {
    method: 'POST',
    headers: { 'Content-Disposition': `attachment; filename=${input.name}` },
    body: input.bytes,
  });
  const body = (await res.json()) as { id: string; error?: string };
  if (res.status !== 201) throw new Error(`${input.name}: HTTP ${res.status} ${body.error}`);
  return body.id;
}

/**
 * Opens a stored model as a browser does: asks for gzip and takes the body as
 * sent (time to last byte). Decompression is left out on purpose: in a real
 * viewer it happens in each user's browser, while here every client shares the
 * bench's one process, so decoding 8 bodies at once would measure the bench's
 * queue, not the server. Fetch + decode is timed separately below.
 */
function open(url: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${url}/api/v1/profiles/${id}/model`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`open ${id}: HTTP ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function runBackend(label: string, url: string, data: { all: Input[]; big: Input }) {
  const jobs: Input[] = [];
  for (let r = 0; r < ROUNDS; r++) jobs.push(...data.all);
  const uploadTimes: number[] = [];
  const openTimes: number[] = [];
  const uploaded: { id: string; input: Input }[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < jobs.length) {
        const input = jobs[next++];
        const [id, up] = await timed(() => upload(url, input));
        uploadTimes.push(up);
        const [, op] = await timed(() => open(url, id));
        openTimes.push(op);
        uploaded.push({ id, input });
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;

  const bigId = uploaded.find((u) => u.input === data.big)!.id;
  const bigOpens: number[] = [];
  let opened = 0;
  let modelBytes = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (opened < OPENS) {
        opened++;
        const [bytes, t] = await timed(() => open(url, bigId));
        modelBytes = bytes;
        bigOpens.push(t);
      }
    }),
  );
  // One client alone: the latency a person opening the profile sees on an idle server.
  const soloOpens: number[] = [];
  for (let i = 0; i < OPENS; i++) soloOpens.push((await timed(() => open(url, bigId)))[1]);
  // One open as the viewer does it: fetch + decode into the Profile.
  const [, fetchAndDecode] = await timed(async () =>
    deserializeProfile(new Uint8Array(await (await fetch(`${url}/api/v1/profiles/${bigId}/model`)).arrayBuffer())),
  );

  // Nothing lost: every upload listed, every raw download identical.
  const listed = (await (await fetch(`${url}/api/v1/profiles?limit=1000`)).json()) as { count: number; profiles: { id: string }[] };
  const listedIds = new Set(listed.profiles.map((p) => p.id));
  let lost = 0;
  let mismatched = 0;
  for (const u of uploaded) {
    if (!listedIds.has(u.id)) lost++;
    const raw = Buffer.from(await (await fetch(`${url}/api/v1/profiles/${u.id}/raw`)).arrayBuffer());
    if (!raw.equals(u.input.bytes)) mismatched++;
  }
  const result = {
    backend: label,
    clients: CLIENTS,
    uploads: uploaded.length,
    uploadBytes: uploaded.reduce((n, u) => n + u.input.bytes.length, 0),
    uploadsPerSecond: uploaded.length / elapsed,
    uploadP50: percentile(uploadTimes, 50),
    uploadP99: percentile(uploadTimes, 99),
    openP50: percentile(openTimes, 50),
    openP99: percentile(openTimes, 99),
    open100kSoloP50: percentile(soloOpens, 50),
    open100kSoloP99: percentile(soloOpens, 99),
    open100kCount: bigOpens.length,
    open100kP50: percentile(bigOpens, 50),
    open100kP99: percentile(bigOpens, 99),
    open100kGzipBytesSent: modelBytes,
    open100kFetchAndDecodeMs: fetchAndDecode,
    listed: listed.count,
    lost,
    mismatchedDownloads: mismatched,
  };
  return result;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'pyrometer-bench-server-'));
  const children: ChildProcess[] = [];
  let cluster: Awaited<ReturnType<typeof startPgCluster>> | undefined;
  try {
    const loadBefore = loadavg()[0];
    const data = inputs(work);
    const [, parse100k] = await timed(() => loadProfile(data.big.path));
    const results = [];
    const sqlite = await serve(join(work, 'sqlite'));
    children.push(sqlite.child);
    results.push(await runBackend('SQLite', sqlite.url, data));
    sqlite.child.kill('SIGTERM');
    if (WITH_POSTGRES) {
      cluster = await startPgCluster();
      const db = await cluster.createDatabase('bench');
      const pg = await serve(join(work, 'pg'), db);
      children.push(pg.child);
      results.push(await runBackend('PostgreSQL', pg.url, data));
      pg.child.kill('SIGTERM');
    }
    const load = { before: loadBefore, after: loadavg()[0] };
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      load,
      parse100kFromRawMs: parse100k,
      big: { bytes: data.big.bytes.length, samples: 100_000 },
      results,
    };
    mkdirSync(join(root, 'bench/out'), { recursive: true });
    writeFileSync(join(root, 'bench/out/server.json'), JSON.stringify(report, null, 2));
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.log(
      `inputs: ${data.all.length} files (${data.all.length - 1} real fixtures + a 100k-sample VMProf of ${(data.big.bytes.length / 1024).toFixed(0)} KiB), ${ROUNDS} rounds, ${CLIENTS} concurrent clients`,
    );
    console.log(`machine load (1-min average, 2 cores): ${load.before.toFixed(1)} at start, ${load.after.toFixed(1)} at end`);
    console.log(`parse the 100k-sample profile from its raw file (what each open would cost without the stored model): ${ms(parse100k)}`);
    console.log(
      '| backend | uploads | uploads/s | upload p50 | upload p99 | open p50 | open p99 | 100k open p50 / p99, 1 client | 100k open p50 / p99, N clients | 100k fetch+decode | lost | bad downloads |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(
        `| ${r.backend} | ${r.uploads} | ${r.uploadsPerSecond.toFixed(1)} | ${ms(r.uploadP50)} | ${ms(r.uploadP99)} | ${ms(r.openP50)} | ${ms(r.openP99)} | ${ms(r.open100kSoloP50)} / ${ms(r.open100kSoloP99)} | ${ms(r.open100kP50)} / ${ms(r.open100kP99)} | ${ms(r.open100kFetchAndDecodeMs)} | ${r.lost} | ${r.mismatchedDownloads} |`,
      );
    }
    const failed = results.some((r) => r.lost > 0 || r.mismatchedDownloads > 0 || r.listed < r.uploads);
    if (failed) {
      console.error('FAILED: uploads were lost or came back different');
      process.exitCode = 1;
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
