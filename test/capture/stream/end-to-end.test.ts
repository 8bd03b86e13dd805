/**
 * The issue's end-to-end test: three sampled programs (CPython 3.11 and 3.13
 * through the outside sampler, `record`'s default on CPython; PyPy through
 * _vmprof) stream to a real `pyrometer serve`
 * while they run two known phases (phase_a hot for PHASE_S seconds, then
 * phase_b); then a query of each phase's range gives the right hot function,
 * the diff of the two ranges shows phase_a down and phase_b up, the streamed
 * total equals the finished file's, and Pyroscope ingest requests (folded and
 * pprof, as its agents send them) land beside them and read back. PyPy runs
 * with --pypylog: its GC/JIT phases stream as markers, every section of the
 * finished log once, on the wall clock, in the profile a range opens.
 *
 * PHASE_S is 20 s: the shortest phase that always holds one whole 10 s bucket
 * of the store, wherever the phase starts (so each phase's query holds only
 * that phase). The three programs run at once: about 45 s in all.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { loadProfile } from '../../../src/formats/load.js';
import { collapsedStacks } from '../../../src/formats/collapsed.js';
import { parsePypyLog } from '../../../src/formats/pypylog/index.js';
import { deserializeProfile } from '../../../src/model/serialize.js';
import { fixtureBytes, projectRoot, testData } from '../../helpers.js';
import { killed, startServe, type ServeProcess } from '../../server/serve-process.js';

const PHASE_S = 20;
const BUCKET = 10_000;
const work = mkdtempSync(join(tmpdir(), 'pyrometer-e2e-stream-'));
let server: ServeProcess | null = null;
after(async () => {
  if (server) await killed(server.child, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

const pyenv = (version: string) =>
  join(execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim(), 'versions', version, 'bin', 'python3');

interface Run {
  service: string;
  interpreter: string;
  stdout: string;
  stderr: string;
  code: number | null;
  profile: string;
  /** Wall clock (ms) before record started and after it exited. */
  started: number;
  ended: number;
}

function recordStreaming(url: string, service: string, interpreter: string): Promise<Run> {
  const profile = join(work, `${service}.prof`);
  const argv = [
    'record',
    '-o',
    profile,
    '--stream',
    url,
    '--service',
    service,
    '--label',
    'test=e2e',
    '--interval',
    '2',
    ...(service === 'pypy' ? ['--pypylog'] : []),
    '--',
    interpreter,
    testData('continuous/phases.py'),
    String(PHASE_S),
  ];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(argv)}); })`,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYROMETER_DATA: join(work, 'client-data') } },
  );
  const run: Run = { service, interpreter, stdout: '', stderr: '', code: null, profile, started: Date.now(), ended: 0 };
  child.stdout.on('data', (d: Buffer) => {
    run.stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    run.stderr += d;
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      run.code = code;
      run.ended = Date.now();
      resolve(run);
    }),
  );
}

/** PyPy's GC/JIT phases: every section of the finished OUT.pypylog streamed once, within the run's wall-clock span. */
async function checkPypyPhases(url: string, run: Run): Promise<void> {
  const r = await fetch(`${url}/api/v1/continuous/profile?service=pypy&from=${run.started - 60_000}&to=${run.ended + 60_000}`);
  assert.equal(r.status, 200);
  const profile = deserializeProfile(new Uint8Array(await r.arrayBuffer()));
  const markers = profile.threads.flatMap((t) =>
    Array.from({ length: t.markers.length }, (_, i) => ({
      name: profile.strings[t.markers.name[i]],
      category: profile.strings[t.markers.category[i]],
      start: t.markers.start[i] + profile.meta.startTime,
      end: t.markers.end[i] + profile.meta.startTime,
    })),
  );
  const log = parsePypyLog(readFileSync(`${run.profile}.pypylog`));
  const count = (names: string[]) => {
    const n: Record<string, number> = {};
    for (const name of names) n[name] = (n[name] ?? 0) + 1;
    return n;
  };
  assert.ok(
    log.sections.some((s) => s.category.startsWith('gc-')),
    'the program ran the GC',
  );
  assert.deepEqual(count(markers.map((m) => m.name)), count(log.sections.map((s) => s.category)), 'every section streamed once');
  assert.ok(markers.filter((m) => m.category === 'gc').length > 0);
  // Placed on the wall clock by the agent's tick/time pairs: inside the run, not at a guessed rate.
  const outside = markers.filter((m) => !(m.start >= run.started && m.end <= run.ended && m.start <= m.end));
  assert.equal(outside.length, 0, `markers outside the run ${run.started}-${run.ended}: ${JSON.stringify(outside.slice(0, 3))}`);
}

function phaseTimes(run: Run): Record<string, number> {
  const times: Record<string, number> = {};
  for (const m of run.stdout.matchAll(/^phase ([ab]) (start|end) (\d+)$/gm)) times[`${m[1]}.${m[2]}`] = Number(m[3]);
  assert.equal(Object.keys(times).length, 4, `${run.service}: ${run.stdout} ${run.stderr}`);
  return times;
}

/** Whole buckets inside [start, end]. */
function inside(start: number, end: number): { from: number; to: number } {
  const from = Math.ceil(start / BUCKET) * BUCKET;
  const to = Math.floor(end / BUCKET) * BUCKET;
  assert.ok(to > from, 'the phase holds a whole bucket');
  return { from, to };
}

test('three programs stream two phases; queries, diff and Pyroscope ingest read back right', async () => {
  server = await startServe(['--port', '0', '--data', join(work, 'server-data')]);
  const url = server.url;
  const runs = await Promise.all([
    recordStreaming(url, 'cpython-311', pyenv('3.11.7')),
    recordStreaming(url, 'cpython-313', pyenv('3.13.0')),
    recordStreaming(url, 'pypy', 'pypy3'),
  ]);
  const get = async (path: string) => {
    const r = await fetch(`${url}${path}`);
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return r.json();
  };
  for (const run of runs) {
    assert.equal(run.code, 0, `${run.service}: ${run.stderr}`);
    // Chunks every 2 s over 40 s: the captures' files are written as they go, not at the end. Our
    // samplers flush at least every 0.25 s; PyPy's _vmprof writes its buffer when a block fills, so a
    // PyPy starved of CPU on a loaded machine grows its file only a few times in 40 s.
    const streamed = new RegExp(`^pyrometer: streamed (\\d+) chunks of ${run.service} to \\S+$`, 'm').exec(run.stderr);
    assert.ok(streamed && Number(streamed[1]) >= (run.service === 'pypy' ? 3 : 15), `${run.service}: ${run.stderr}`);
    const t = phaseTimes(run);
    // Phases by time: chunks are stamped when their samples reach the file. Our samplers write every
    // 0.25 s; PyPy's _vmprof writes each sample at once but the names of new code only when its name
    // buffer fills: `record --stream` makes it write them every interval, and a sample that waited for
    // its names goes out stamped with the interval it reached the file in.
    {
      const a = inside(t['a.start'], t['a.end']);
      const b = inside(t['b.start'], t['b.end']);
      const functionsIn = async (r: { from: number; to: number }) => {
        const table = await get(`/api/v1/continuous/functions?service=${run.service}&label=test=e2e&from=${r.from}&to=${r.to}&limit=1000`);
        const total = (name: string) =>
          table.functions
            .filter((f: { func: string }) => f.func.startsWith(`${name} (`))
            .reduce((n: number, f: { total: number }) => n + f.total, 0) / table.total;
        return { a: total('phase_a'), b: total('phase_b'), samples: table.total };
      };
      const inA = await functionsIn(a);
      const inB = await functionsIn(b);
      assert.ok(inA.samples > 0 && inB.samples > 0, `${run.service}: samples in both phases`);
      // A chunk is stamped with when its samples reached the file: a sampler starved on a loaded
      // machine writes a little late, so a few samples may land one bucket later than they ran.
      assert.ok(inA.a > 0.8 && inA.b < 0.05, `${run.service}: phase A range is phase_a (${JSON.stringify(inA)})`);
      assert.ok(inB.b > 0.8 && inB.a < 0.05, `${run.service}: phase B range is phase_b (${JSON.stringify(inB)})`);

      const diff = await get(
        `/api/v1/continuous/diff?service=${run.service}&a.from=${a.from}&a.to=${a.to}&b.from=${b.from}&b.to=${b.to}&limit=1000`,
      );
      const change = (name: string) =>
        diff.functions
          .filter((f: { name: string }) => f.name === name)
          .reduce((n: number, f: { afterTotal: number; beforeTotal: number }) => n + f.afterTotal - f.beforeTotal, 0);
      assert.ok(change('phase_a') < -80, `${run.service}: phase_a down (${change('phase_a')})`);
      assert.ok(change('phase_b') > 80, `${run.service}: phase_b up (${change('phase_b')})`);
    }

    // Everything the finished file holds was streamed, no more, no less.
    const whole = await get(`/api/v1/continuous/functions?service=${run.service}&from=${t['a.start'] - 60_000}&to=${t['b.end'] + 60_000}`);
    const file = collapsedStacks(await loadProfile(run.profile)).reduce((n, s) => n + s.weight, 0);
    assert.equal(whole.total, file, `${run.service}: streamed total = the file's total`);
    if (run.service === 'pypy') await checkPypyPhases(url, run);
  }

  // Pyroscope's agents push beside them: folded text, then pprof the way pyroscope-go uploads it.
  const now = Math.floor(Date.now() / 1000);
  const folded = await fetch(
    `${url}/ingest?name=${encodeURIComponent('legacy.cpu{env=prod}')}&from=${now - 10}&until=${now}&format=folded&sampleRate=100&spyName=pyspy`,
    { method: 'POST', body: 'main;serve;handle 70\nmain;gc 30\n' },
  );
  assert.equal(folded.status, 200);
  const boundary = 'pyroscopeboundary';
  const pprof = fixtureBytes('pprof/simple.pb.gz');
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="profile.pprof"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(pprof),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const multipart = await fetch(
    `${url}/ingest?name=${encodeURIComponent('gosvc.cpu{env=prod}')}&from=${now - 10}&until=${now}&spyName=gospy`,
    { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body },
  );
  assert.equal(multipart.status, 200);
  const legacy = await get(`/api/v1/continuous/functions?service=legacy&label=env=prod&from=${(now - 60) * 1000}&to=${(now + 60) * 1000}`);
  assert.deepEqual(
    legacy.functions.slice(0, 2).map((f: { func: string; self: number }) => [f.func, f.self]),
    [
      ['handle', 70],
      ['gc', 30],
    ],
  );
  const gosvc = await get(`/api/v1/continuous/functions?service=gosvc&from=${(now - 60) * 1000}&to=${(now + 60) * 1000}`);
  assert.ok(gosvc.total > 0);
  const services = (await get('/api/v1/continuous/services')).services.map((s: { service: string }) => s.service);
  assert.deepEqual(services, ['cpython-311', 'cpython-313', 'gosvc', 'legacy', 'pypy']);
});
