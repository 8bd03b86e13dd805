/**
 * npm run bench:continuous — continuous profiling on SQLite and ClickHouse.
 *
 * Workload (deterministic PRNG): 100 simulated services, each with its own pool
 * of 150 call stacks (depth 4-30, frames `func_N (module_M.py:L)`); a chunk is
 * 10 s at 100 Hz: 1,000 samples drawn skewed over the pool (~100 distinct stacks).
 *
 * 1. Ingest: `pyrometer serve` runs as its own process (SQLite; then
 *    `--store clickhouse://…` against a throw-away clickhouse-server from
 *    scripts/clickhouse/). C kept-alive connections (default 100: one per service,
 *    as each sender posts one chunk at a time) post pre-encoded chunks for 100
 *    services (POST /api/v1/stream; the request bytes are made before the clock
 *    starts, so the load generator costs ~0.05-0.1 ms of CPU a chunk on the cores
 *    serve and ClickHouse share with it), and, alternating with it, the same samples as
 *    Pyroscope's folded format (POST /ingest, what its agents send): chunks/s,
 *    samples/s, bytes per chunk on the wire, per round; ratio of the two.
 * 2. Query: a store loaded with 1 hour of 10 s chunks for the 100 services, and
 *    one loaded with 7 days (one chunk per service per hour holding the whole
 *    pool: the 1 h table a 7-day query reads has the rows ten-second chunks
 *    would leave there). Q merged-profile queries (GET
 *    /api/v1/continuous/profile: what the viewer opens) of random services,
 *    1-hour and 7-day ranges: p50/p99.
 * 3. Disk: bytes of the 1-hour store per sample (all three resolutions), and
 *    per row of each resolution.
 *
 * Usage: node --import tsx bench/continuous.ts [--chunks N] [--clients C] [--rounds R] [--queries Q] [--no-clickhouse] [--no-sqlite] [--no-query] [--cpu-prof DIR] [--baseline DIR] [--clickhouse-data DIR] [--serves N] [--warmup W]
 * Results: printed, and written to bench/out/continuous.json. Run it with `nice`
 * on a shared machine; rounds alternate our chunks and Pyroscope's format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkBody, encodeChunk, type StreamChunk, type WeightedStack } from '../src/formats/stream-chunk.js';
import { buildApp } from '../src/server/app.js';
import { SqliteStore } from '../src/server/store/sqlite.js';
import { SqliteSeriesStore } from '../src/server/series/sqlite.js';
import { ClickHouseSeriesStore } from '../src/server/series/clickhouse.js';
import type { SeriesStore } from '../src/server/series/store.js';
import { prng } from '../test/helpers.js';
import { startClickHouse, type ClickHouseCluster } from '../test/server/clickhouse-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const SERVICES = 100;
const CHUNKS = arg('chunks', 2000);
// One request in flight per simulated service, as each service's sender sends its chunks one at a time.
const CLIENTS = arg('clients', SERVICES);
const ROUNDS = arg('rounds', 3);
/** --warmup W: rounds of each format sent first and not counted (default 1). */
const WARMUP = arg('warmup', 1);
const QUERIES = arg('queries', 60);
const WITH_CLICKHOUSE = !process.argv.includes('--no-clickhouse');
const WITH_SQLITE = !process.argv.includes('--no-sqlite');
const WITH_QUERY = !process.argv.includes('--no-query');
/** --baseline DIR: another pyrometer checkout (with node_modules) whose `serve` runs the same ClickHouse ingest rounds, alternating. */
const BASELINE = process.argv.includes('--baseline') ? resolve(process.argv[process.argv.indexOf('--baseline') + 1]) : null;
/**
 * --clickhouse-data DIR: where clickhouse-server keeps its data (default: the temporary directory).
 * ClickHouse writes a directory of files per part, so the filesystem's cost of making a file
 * matters: docs/performance.md measures this VM's root ext4, which has no journal, and a journaled one.
 */
const CLICKHOUSE_DATA = process.argv.includes('--clickhouse-data')
  ? resolve(process.argv[process.argv.indexOf('--clickhouse-data') + 1])
  : tmpdir();
/** --cpu-prof DIR: `serve` writes a V8 CPU profile there when it stops (to see where ingest time goes). */
const CPU_PROF_DIR = process.argv.includes('--cpu-prof') ? resolve(process.argv[process.argv.indexOf('--cpu-prof') + 1]) : null;
/** --serves N: serve processes sharing one store (ClickHouse), the senders spread over them. */
const SERVES = arg('serves', 1);
const POOL = 150;
const SAMPLES_PER_CHUNK = 1000;

const random = prng(15);
const pools: string[][] = Array.from({ length: SERVICES }, (_, s) =>
  Array.from({ length: POOL }, () => {
    const depth = 4 + Math.floor(random() * random() * 27);
    const frames = ['main (app.py:1)'];
    for (let d = 1; d < depth; d++) {
      const f = Math.floor(random() * (d < 4 ? 10 : 600));
      frames.push(`func_${f}_${s % 7} (module_${f % 40}.py:${10 + (f % 97) * 3})`);
    }
    return frames.join(';');
  }),
);

/** One 10 s chunk of a service: SAMPLES_PER_CHUNK samples, skewed over the pool. */
function chunkStacks(service: number): WeightedStack[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < SAMPLES_PER_CHUNK; i++) {
    const stack = pools[service][Math.floor(POOL * random() ** 2.5)];
    counts.set(stack, (counts.get(stack) ?? 0) + 1);
  }
  return [...counts].map(([stack, weight]) => ({ stack, weight }));
}

function chunkOf(service: number, at: number, stacks: WeightedStack[], seq: number): StreamChunk {
  return {
    service: `svc${service}`,
    labels: { host: `host${service % 10}`, pid: String(1000 + service) },
    from: at,
    until: at + 10_000,
    unit: 'samples',
    kind: 'cpu',
    sender: `bench-${service}`,
    seq,
    ...chunkBody(stacks),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

function startServe(args: string[], cwd = root): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []),
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(['serve', ...args])}); })`,
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /serving profiles at (http:\/\/\S+)/.exec(output);
      if (m) resolvePromise({ url: m[1], child });
    };
    child.stdout!.on('data', onData);
    child.stderr?.on('data', onData);

    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

/** CPU seconds (user + system) so far of each child process of this one, by command name (Linux /proc). */
function childCpuSeconds(): Map<string, number> {
  const byName = new Map<string, number>();
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return byName;
  }
  for (const pid of children) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = /\((.*)\)/.exec(stat)![1];
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
      byName.set(name, (byName.get(name) ?? 0) + ticks / 100);
    } catch {
      /* exited */
    }
  }
  return byName;
}

/**
 * One kept-alive HTTP/1.1 connection that sends ready-made requests one at a time, as a
 * sender does. The load generator shares the 2 cores with `serve` and ClickHouse, so what it
 * costs per request is taken from what they get: fetch() took 0.8-1.4 ms of CPU per chunk
 * here, node:http 0.2-0.35 ms; writing the request's bytes to a socket and reading the status
 * and Content-Length of the answer (what `wrk` does) costs less again.
 */
class Connection {
  private received = Buffer.alloc(0);
  private waiting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      this.received = this.received.length === 0 ? data : Buffer.concat([this.received, data]);
      this.answer();
    });
    const fail = (err: Error) => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  static open(url: string): Promise<Connection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolveOpen, reject) => {
      const socket = connect(Number(port), hostname, () => resolveOpen(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<void> {
    return new Promise((resolveSend, reject) => {
      this.waiting = { resolve: resolveSend, reject };
      this.socket.write(request);
    });
  }

  /** Settles the request in flight once its whole answer is here. */
  private answer(): void {
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.received.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    const waiting = this.waiting;
    if (!Number.isFinite(length)) {
      this.waiting = null;
      waiting.reject(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    if (this.received.length < end + 4 + length) return;
    const body = this.received.subarray(end + 4, end + 4 + length);
    this.received = this.received.subarray(end + 4 + length);
    this.waiting = null;
    if (head.startsWith('HTTP/1.1 200')) waiting.resolve();
    else waiting.reject(new Error(`${head.split('\r\n')[0]}: ${body.toString().slice(0, 300)}`));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The bytes of a POST of `body` to `path` on the server at `url`. */
function postRequest(url: string, path: string, body: Uint8Array, contentType: string): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: ${new URL(url).host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

interface IngestRound {
  /** Which server: this checkout, or the --baseline one. */
  server: string;
  /** CPU ms per chunk during the round: serve (node), clickhouse-server, and this client. */
  cpuMsPerChunk: { serve: number; clickhouse: number; client: number };
  format: 'chunk' | 'pyroscope-folded';
  chunks: number;
  seconds: number;
  chunksPerS: number;
  samplesPerS: number;
  bytesPerChunk: number;
}

/** Sends `requests` over C kept-alive connections, one request in flight on each; seconds taken. */
async function drive(urls: string[], requests: Buffer[][]): Promise<number> {
  // Connection i goes to server i mod N (as a load balancer spreads senders over serve processes).
  const connections = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => Connection.open(urls[i % urls.length])));
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      connections.map(async (connection, i) => {
        const mine = requests[i % urls.length];
        while (next < mine.length) await connection.send(mine[next++]);
      }),
    );
  } finally {
    for (const c of connections) c.close();
  }
  return (performance.now() - started) / 1000;
}

interface ServeSetup {
  name: string;
  args: string[];
  cwd: string;
}

/**
 * Ingest rounds against one or more servers (this checkout and, with --baseline, an older one,
 * each on its own database): every round sends the same bodies to each, in an order that
 * alternates round by round, so that the machine's load falls on both alike.
 */
async function ingestBench(label: string, setups: ServeSetup[]): Promise<IngestRound[]> {
  const servers: { name: string; url: string; child: ChildProcess; urls: string[]; children: ChildProcess[] }[] = [];
  const rounds: IngestRound[] = [];
  try {
    for (const setup of setups) {
      // --serves N: N serve processes on the same store, each on its own port.
      const started = [];
      for (let n = 0; n < SERVES; n++) started.push(await startServe(setup.args, setup.cwd));
      servers.push({ name: setup.name, ...started[0], urls: started.map((s) => s.url), children: started.map((s) => s.child) });
    }
    const base = Math.floor(Date.now() / 10_000) * 10_000 - 3_000_000;
    let seq = 0;
    // Warm-up rounds (negative) first: a fresh server compiles its hot code and writes every stack
    // once; a server runs for days, so these are shown but not counted.
    for (let round = -2 * WARMUP; round < ROUNDS * 2; round++) {
      const format = (round + 2 * WARMUP) % 2 === 0 ? 'chunk' : 'pyroscope-folded';
      // Each round sends fresh chunks (new seq, later times): nothing is a resend.
      const bodies: Uint8Array[] = [];
      const paths: string[] = [];
      for (let i = 0; i < CHUNKS; i++) {
        const service = i % SERVICES;
        const at = base + (seq + Math.floor(i / SERVICES)) * 10_000;
        const stacks = chunkStacks(service);
        if (format === 'chunk') {
          bodies.push(encodeChunk(chunkOf(service, at, stacks, seq * SERVICES + i)));
          paths.push('/api/v1/stream');
        } else {
          bodies.push(new TextEncoder().encode(stacks.map((s) => `${s.stack} ${s.weight}\n`).join('')));
          paths.push(
            `/ingest?name=${encodeURIComponent(`svc${service}.cpu{host=host${service % 10},pid=${1000 + service}}`)}&from=${Math.floor(at / 1000)}&until=${Math.floor(at / 1000) + 10}&format=folded&spyName=bench&sampleRate=100`,
          );
        }
      }
      seq += Math.ceil(CHUNKS / SERVICES) + 1;
      const contentType = format === 'chunk' ? 'application/vnd.pyrometer.chunk' : 'text/plain';
      const order = Math.floor(round / 2) % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const requests = server.urls.map((url) => bodies.map((b, i) => postRequest(url, paths[i], b, contentType)));
        const cpuBefore = childCpuSeconds();
        const clientBefore = process.cpuUsage();
        const seconds = await drive(server.urls, requests);
        const cpuAfter = childCpuSeconds();
        const clientCpu = process.cpuUsage(clientBefore);
        const delta = (name: string) => ((cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0)) * 1000;
        const bytes = bodies.reduce((n, b) => n + b.length, 0);
        const r: IngestRound = {
          server: server.name,
          format,
          chunks: CHUNKS,
          seconds,
          chunksPerS: CHUNKS / seconds,
          samplesPerS: (CHUNKS * SAMPLES_PER_CHUNK) / seconds,
          bytesPerChunk: bytes / CHUNKS,
          // Every serve (node) child is counted: with --baseline both run, but only one is sent to at a time.
          cpuMsPerChunk: {
            serve: delta('node') / CHUNKS,
            clickhouse: delta('clickhouse-serv') / CHUNKS,
            client: (clientCpu.user + clientCpu.system) / 1000 / CHUNKS,
          },
        };
        if (round >= 0) rounds.push(r);
        console.log(
          `  ${label}${servers.length > 1 ? ` [${server.name}]` : ''} ingest ${round >= 0 ? `round ${round + 1}` : 'warm-up (not counted)'} (${format}): ${r.chunksPerS.toFixed(0)} chunks/s, ${(r.samplesPerS / 1e6).toFixed(2)} M samples/s, ${r.bytesPerChunk.toFixed(0)} B/chunk; CPU ms/chunk: serve ${r.cpuMsPerChunk.serve.toFixed(2)}, clickhouse ${r.cpuMsPerChunk.clickhouse.toFixed(2)}, client ${r.cpuMsPerChunk.client.toFixed(2)} (load ${loadavg()[0].toFixed(1)})`,
        );
      }
    }
  } finally {
    for (const child of servers.flatMap((s) => s.children)) {
      // Waited for: a stopping server writes its CPU profile (--cpu-prof) and releases the store.
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  }
  return rounds;
}

/** The 1-hour and 7-day query stores, and latencies of merged-profile queries over HTTP. */
async function queryBench(label: string, open: (name: string) => Promise<SeriesStore>, work: string) {
  const now = Date.now();
  const hourStore = await open('hour');
  const hourStart = Math.floor((now - 3_600_000) / 10_000) * 10_000;
  let seq = 0;
  const loadStarted = performance.now();
  for (let t = 0; t < 360; t++) {
    await Promise.all(
      Array.from({ length: SERVICES }, (_, s) => hourStore.ingest(chunkOf(s, hourStart + t * 10_000, chunkStacks(s), seq++))),
    );
  }
  const hourLoad = (performance.now() - loadStarted) / 1000;
  console.log(`  ${label} loaded 1 hour of ${SERVICES} services (${360 * SERVICES} chunks) in ${hourLoad.toFixed(1)} s`);
  if (hourStore instanceof ClickHouseSeriesStore) await hourStore.optimize();
  const diskBytes = await hourStore.diskBytes();
  const samples = 360 * SERVICES * SAMPLES_PER_CHUNK;

  const weekStore = await open('week');
  const weekStart = Math.floor((now - 7 * 86_400_000) / 3_600_000) * 3_600_000;
  for (let h = 0; h < 7 * 24; h++) {
    await Promise.all(
      Array.from({ length: SERVICES }, (_, s) =>
        weekStore.ingest(
          chunkOf(
            s,
            weekStart + h * 3_600_000 + 1_790_000,
            pools[s].map((stack, i) => ({ stack, weight: 1 + ((i * 7919) % 360) })),
            seq++,
          ),
        ),
      ),
    );
  }
  if (weekStore instanceof ClickHouseSeriesStore) await weekStore.optimize();
  console.log(`  ${label} loaded 7 days of ${SERVICES} services`);

  const latencies = async (store: SeriesStore, from: number, to: number) => {
    const app = await buildApp({
      store: SqliteStore.open(join(work, `${label}-${from}-profiles.db`)),
      spoolDir: join(work, `spool-${label}-${from}`),
      viewerDir: null,
      parseInWorkers: false,
      seriesStore: store,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const times: number[] = [];
    try {
      for (let q = 0; q < QUERIES; q++) {
        const service = Math.floor(random() * SERVICES);
        const started = performance.now();
        const r = await fetch(`${base}/api/v1/continuous/profile?service=svc${service}&from=${from}&to=${to}`, {
          headers: { 'accept-encoding': 'gzip' },
        });
        if (!r.ok) throw new Error(`query: HTTP ${r.status}`);
        await r.arrayBuffer();
        times.push(performance.now() - started);
      }
    } finally {
      await app.close();
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1] };
  };
  const hour = await latencies(hourStore, hourStart, hourStart + 3_600_000);
  const week = await latencies(weekStore, weekStart, weekStart + 7 * 86_400_000);
  console.log(
    `  ${label} 1-hour load: ${hourLoad.toFixed(1)} s; disk ${(diskBytes / 1e6).toFixed(1)} MB = ${(diskBytes / samples).toFixed(3)} bytes/sample`,
  );
  console.log(
    `  ${label} query 1 hour: p50 ${hour.p50.toFixed(1)} ms, p99 ${hour.p99.toFixed(1)} ms; 7 days: p50 ${week.p50.toFixed(1)} ms, p99 ${week.p99.toFixed(1)} ms`,
  );
  await hourStore.close();
  await weekStore.close();
  return { hourLoadSeconds: hourLoad, diskBytes, samples, bytesPerSample: diskBytes / samples, hour, week };
}

function summarize(all: IngestRound[], server = 'this') {
  const rounds = all.filter((r) => r.server === server);
  const of = (format: string) =>
    rounds
      .filter((r) => r.format === format)
      .map((r) => r.chunksPerS)
      .sort((a, b) => a - b);
  const ours = of('chunk');
  const theirs = of('pyroscope-folded');
  const ratios = ours.map((v, i) => v / theirs[i]).sort((a, b) => a - b);
  return {
    chunkMedian: percentile(ours, 0.5),
    foldedMedian: percentile(theirs, 0.5),
    ratioMin: ratios[0],
    ratioMedian: percentile(ratios, 0.5),
    ratioMax: ratios[ratios.length - 1],
  };
}

const work = mkdtempSync(join(tmpdir(), 'pyrometer-bench-continuous-'));
const results: Record<string, unknown> = {
  chunks: CHUNKS,
  clients: CLIENTS,
  rounds: ROUNDS,
  queries: QUERIES,
  services: SERVICES,
  samplesPerChunk: SAMPLES_PER_CHUNK,
  date: new Date().toISOString(),
};
let clickhouse: ClickHouseCluster | null = null;
try {
  console.log(`bench:continuous — ${SERVICES} services, ${CHUNKS} chunks per round, ${CLIENTS} clients, ${ROUNDS} rounds each format`);
  if (WITH_SQLITE) {
    const sqliteRounds = await ingestBench('SQLite', [
      { name: 'this', args: ['--port', '0', '--data', join(work, 'sqlite-serve')], cwd: root },
    ]);
    results.sqliteIngest = { rounds: sqliteRounds, ...summarize(sqliteRounds) };
    if (WITH_QUERY)
      results.sqliteQuery = await queryBench('SQLite', async (name) => new SqliteSeriesStore(join(work, `q-${name}.db`)), work);
  }
  if (WITH_CLICKHOUSE) {
    clickhouse = await startClickHouse(1, CLICKHOUSE_DATA);
    const setups = [{ name: 'this', cwd: root, database: 'bench_ingest' }];
    if (BASELINE) setups.push({ name: 'baseline', cwd: BASELINE, database: 'bench_ingest_baseline' });
    const chRounds = await ingestBench(
      'ClickHouse',
      setups.map((s) => ({
        name: s.name,
        cwd: s.cwd,
        args: ['--port', '0', '--data', join(work, `ch-serve-${s.name}`), '--store', clickhouse!.url(s.database)],
      })),
    );
    results.clickhouseIngest = { rounds: chRounds, ...summarize(chRounds) };
    if (BASELINE) {
      results.clickhouseIngestBaseline = summarize(chRounds, 'baseline');
      // This checkout / the baseline, round by round (the two ran back to back on the same bodies).
      const ratios = (format: string) => {
        const ours = chRounds.filter((r) => r.server === 'this' && r.format === format);
        const theirs = chRounds.filter((r) => r.server === 'baseline' && r.format === format);
        return ours.map((r, i) => r.chunksPerS / theirs[i].chunksPerS).sort((a, b) => a - b);
      };
      for (const format of ['chunk', 'pyroscope-folded']) {
        const r = ratios(format);
        results[`clickhouseVsBaseline_${format}`] = r;
        console.log(
          `ClickHouse ${format}: this / baseline chunks/s per round: median ${percentile(r, 0.5).toFixed(2)} [${r[0].toFixed(2)}, ${r[r.length - 1].toFixed(2)}]`,
        );
      }
    }
    if (WITH_QUERY)
      results.clickhouseQuery = await queryBench(
        'ClickHouse',
        (name) => ClickHouseSeriesStore.open(clickhouse!.url(`bench_${name}`)),
        work,
      );
  }
  for (const key of ['sqliteIngest', 'clickhouseIngest']) {
    const s = results[key] as ReturnType<typeof summarize> | undefined;
    if (s)
      console.log(
        `${key}: chunks ${s.chunkMedian.toFixed(0)}/s vs Pyroscope folded ${s.foldedMedian.toFixed(0)}/s; ratio ${s.ratioMedian.toFixed(2)} [${s.ratioMin.toFixed(2)}, ${s.ratioMax.toFixed(2)}]`,
      );
  }
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(join(root, 'bench/out/continuous.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  clickhouse?.stop();
  rmSync(work, { recursive: true, force: true });
}
