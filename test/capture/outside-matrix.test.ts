/**
 * The outside sampler on every CPython this machine has (interpreters.ts): what the issue's
 * "must show" list asks, each on real interpreters running real programs
 * (test/data/capture/outside/*.py, about a second each), through the real `pyrometer` command.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { decode } from './vmprof-decode.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { CATEGORY_IDLE, funcName, type Profile } from '../../src/model/profile.js';
import { cpythons, type Interpreter } from './interpreters.js';
import { dataPath, readProfile, removeDir, runPyrometer, selfByName, totalByName } from './run.js';

const program = (name: string) => dataPath(`outside/${name}`);

function threadIndex(profile: Profile, name: string): number {
  const i = profile.threads.findIndex((t) => t.name === name);
  assert.ok(i >= 0, `thread ${name} among ${profile.threads.map((t) => t.name).join(', ')}`);
  return i;
}

/** Samples of one thread: total, idle (top frame in the idle category), and per-stack facts. */
function threadSamples(profile: Profile, ti: number): { total: number; idle: number } {
  const s = profile.threads[ti].samples;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < s.length; i++) {
    total += s.weight[i];
    if (s.stack[i] >= 0 && profile.frames.category[profile.stacks.frame[s.stack[i]]] === CATEGORY_IDLE) idle += s.weight[i];
  }
  return { total, idle };
}

/** The stack under a sample's `<idle>` mark (wall mode puts it on top of a waiting thread's stack). */
function pythonStack(profile: Profile, stack: number): number {
  return stack >= 0 && profile.frames.category[profile.stacks.frame[stack]] === CATEGORY_IDLE ? profile.stacks.prefix[stack] : stack;
}

/** Main thread, waiting or not (wall-clock truth): samples inside work() against samples whose leaf is mixed.py's own <module> (the os.stat calls and the loop). */
function workShare(profile: Profile): number {
  const s = profile.threads[threadIndex(profile, 'MainThread')].samples;
  let work = 0;
  let rest = 0;
  for (let i = 0; i < s.length; i++) {
    let inWork = false;
    const stack = pythonStack(profile, s.stack[i]);
    for (let st = stack; st >= 0 && !inWork; st = profile.stacks.prefix[st])
      inWork = funcName(profile, profile.frames.func[profile.stacks.frame[st]]) === 'work';
    const leaf = stack >= 0 ? profile.frames.func[profile.stacks.frame[stack]] : -1;
    if (inWork) work += s.weight[i];
    else if (leaf >= 0 && funcName(profile, leaf) === '<module>' && (profile.strings[profile.funcs.file[leaf]] ?? '').endsWith('mixed.py'))
      rest += s.weight[i];
  }
  assert.ok(work + rest > 20, `enough main-thread samples: ${work} + ${rest}`);
  return work / (work + rest);
}

function plainRun(python: string, args: string[]): { stdout: string; code: number | null } {
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, code: r.status };
}

function matrix(py: Interpreter): void {
  describe(py.label, { concurrency: 1 }, () => {
    test('wall mode: work ≥ 95% next to os.stat, waiting threads idle, four thread names', async () => {
      const run = await runPyrometer(['record', '--wall', '--rate', '500', '-o', 'w.prof', '--', py.path, program('mixed.py'), '3']);
      try {
        assert.equal(run.code, 0, run.stderr);
        const measured = /^ready\ndone, ([\d.]+) of the loop in work\n$/.exec(run.stdout);
        assert.ok(measured, run.stdout);
        assert.match(run.stderr, /looks\/s from outside the process/);
        const profile = await readProfile(join(run.dir, 'w.prof'));
        assert.equal(profile.meta.extra.engine, 'outside');
        for (const name of ['MainThread', 'sleeper', 'selector', 'locked', 'async-worker']) threadIndex(profile, name);
        // wall time: what the program measured itself (≥ 95% on a quiet machine), within 5 points; a flat
        // ≥ 95% is not asserted: on 2 busy cores the program's own share drops and ~2 points of bias toward
        // the os.stat line remain (issue 11 stays open for it)
        const share = workShare(profile);
        const truth = Number(measured[1]);
        assert.ok(
          Math.abs(share - truth) <= 0.05,
          `wall: work has ${(100 * share).toFixed(1)}% of the samples, ${(100 * truth).toFixed(1)}% of the time`,
        );
        for (const name of ['sleeper', 'selector', 'locked']) {
          const { total, idle } = threadSamples(profile, threadIndex(profile, name));
          assert.ok(total > 50, `${name} is sampled in wall mode (${total})`);
          assert.ok(idle >= 0.9 * total, `${name}: ${idle} of ${total} samples idle`);
        }
      } finally {
        removeDir(run.dir);
      }
    });

    test('a thread seen before threading registered it still gets its threading name', async () => {
      const run = await runPyrometer(['record', '--rate', '200', '-o', 'n.prof', '--', py.path, program('late_name.py')]);
      try {
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, 'done\n');
        const profile = await readProfile(join(run.dir, 'n.prof'));
        threadIndex(profile, 'late-registered');
        // the later name is written once, under its own key: vmprof-python's reader refuses a
        // repeated META key (the decoder asserts the same), and took the first name
        const decoded = decode(new Uint8Array(readFileSync(join(run.dir, 'n.prof'))));
        const renamed = [...decoded.meta].filter(([k]) => k.startsWith('thread_renamed:'));
        for (const [, name] of renamed) assert.equal(name, 'late-registered');
      } finally {
        removeDir(run.dir);
      }
    });

    test('CPU mode: work ≥ 95%, waiting threads (nearly) absent, asyncio work visible, 80/20 split within 5 points', async () => {
      const run = await runPyrometer(['record', '-o', 'c.prof', '--', py.path, program('mixed.py'), '1.5']);
      // ~2 s of CPU: on a loaded machine looks come at irregular times and the share is a binomial
      // estimate; ~1,500 samples put 5 points beyond 3 standard errors (1 s read 74.9% once in CI)
      const split = await runPyrometer(['record', '-o', 's.prof', '--', py.path, dataPath('split.py'), '80', '60000']);
      try {
        assert.equal(run.code, 0, run.stderr);
        const profile = await readProfile(join(run.dir, 'c.prof'));
        const cpuShare = workShare(profile);
        assert.ok(cpuShare >= 0.95, `cpu: work has ${(100 * cpuShare).toFixed(1)}% of the main thread's loop`);
        // an asyncio program: the coroutines' own work is where the CPU went
        const aio = await runPyrometer(['record', '-o', 'a.prof', '--', py.path, program('asyncio_work.py')]);
        try {
          assert.equal(aio.code, 0, aio.stderr);
          const aioSelf = selfByName(await readProfile(join(aio.dir, 'a.prof')));
          const all = [...aioSelf.values()].reduce((a, b) => a + b, 0);
          assert.ok((aioSelf.get('crunch') ?? 0) >= 0.5 * all, `crunch has ${aioSelf.get('crunch')} of ${all} samples`);
        } finally {
          removeDir(aio.dir);
        }
        const everything = totalWeight(stackWeights(profile));
        for (const name of ['sleeper', 'selector', 'locked']) {
          const i = profile.threads.findIndex((t) => t.name === name);
          const n = i < 0 ? 0 : threadSamples(profile, i).total;
          assert.ok(n <= 0.02 * everything, `${name} has ${n} of ${everything} CPU samples`);
        }
        assert.equal(split.code, 0, split.stderr);
        assert.equal(split.stdout.trim(), '143998080');
        const self = selfByName(await readProfile(join(split.dir, 's.prof')));
        const f = self.get('f') ?? 0;
        const g = self.get('g') ?? 0;
        assert.ok(f + g > 100, `enough samples: ${f + g}`);
        const share = (100 * f) / (f + g);
        assert.ok(Math.abs(share - 80) <= 5, `f has ${share.toFixed(1)}% of f+g`);
      } finally {
        removeDir(run.dir);
        removeDir(split.dir);
      }
    });

    test('a 15,000-deep recursion: every sample at the bottom carries the whole stack; torn reads counted; ≥ 80% of reads whole', async () => {
      const run = await runPyrometer(['record', '--wall', '--rate', '100', '-o', 'd.prof', '--', py.path, program('deep.py')]);
      try {
        assert.equal(run.code, 0, run.stderr);
        const profile = await readProfile(join(run.dir, 'd.prof'));
        const ti = threadIndex(profile, 'deep');
        const s = profile.threads[ti].samples;
        let atLeaf = 0;
        let elsewhere = 0;
        const depths = new Set<number>();
        for (let i = 0; i < s.length; i++) {
          const stack = pythonStack(profile, s.stack[i]);
          if (stack >= 0 && funcName(profile, profile.frames.func[profile.stacks.frame[stack]]) === 'leaf') {
            atLeaf += s.weight[i];
            depths.add(profile.stacks.depth[stack]);
          } else elsewhere += s.weight[i];
        }
        assert.ok(atLeaf > 10, `samples in leaf: ${atLeaf}`);
        // leaf + 15,001 down + the threading frames below: one depth, never a partial stack
        assert.equal(depths.size, 1, `depths seen: ${[...depths].join(', ')}`);
        const depth = [...depths][0];
        assert.ok(depth >= 15_003 && depth <= 15_010, `depth ${depth}`);
        assert.ok(elsewhere <= 0.2 * (atLeaf + elsewhere), `${elsewhere} samples outside leaf`);
        const torn = Number(profile.meta.extra.torn_stacks);
        const reads = Number(profile.meta.extra.stack_reads);
        assert.ok(Number.isInteger(torn) && torn >= 0, `torn_stacks META: ${profile.meta.extra.torn_stacks}`);
        assert.ok(reads / (reads + torn) >= 0.8, `${reads} stacks read whole, ${torn} dropped as torn`);
        const info = await runPyrometer(['info', join(run.dir, 'd.prof')]);
        assert.match(info.stdout, /torn_stacks\s+\d+/);
      } finally {
        removeDir(run.dir);
      }
    });

    for (const mode of ['exec', 'closerange', 'sigprof', 'fork', 'threads']) {
      test(`${mode}: the program's output and exit code as in a plain run, and a readable profile`, async () => {
        const plain = plainRun(py.path, [program('hostile.py'), mode]);
        const run = await runPyrometer(['record', '-o', 'h.prof', '--', py.path, program('hostile.py'), mode]);
        try {
          assert.equal(run.stdout, plain.stdout);
          assert.equal(run.code, plain.code, run.stderr);
          const profile = await readProfile(join(run.dir, 'h.prof'));
          if (mode !== 'threads') assert.ok((totalByName(profile).get('burn') ?? 0) > 0, `${mode}: burn sampled`);
        } finally {
          removeDir(run.dir);
        }
      });
    }

    test('attach to a busy process finds its hot function; dump shows the thread blocked in a lock', async () => {
      const server = spawn(py.path, [program('server.py'), 'busy'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const pid = await firstLine(server);
        const dump = await runPyrometer(['dump', String(pid), '--json']);
        assert.equal(dump.code, 0, dump.stderr);
        const threads = JSON.parse(dump.stdout).threads as { name: string; frames: { name: string }[] }[];
        const waiter = threads.find((t) => t.name === 'waiter');
        assert.ok(waiter, `threads: ${threads.map((t) => t.name)}`);
        assert.equal(waiter.frames[0].name, 'wait_for_lock');
        const main = threads.find((t) => t.name === 'MainThread')!;
        assert.deepEqual(
          main.frames.map((f) => f.name),
          ['busy_loop', '<module>'],
        );
        const text = await runPyrometer(['dump', String(pid)]);
        assert.match(text.stdout, /Thread \d+ \(\w[\w ]*\): "waiter"\n\s+wait_for_lock \(.*server\.py:\d+\)/);
        const att = await runPyrometer(['attach', String(pid), '--duration', '1', '-o', 'a.prof']);
        assert.equal(att.code, 0, att.stderr);
        const self = selfByName(await readProfile(join(att.dir, 'a.prof')));
        const top = [...self].sort((a, b) => b[1] - a[1])[0];
        assert.equal(top?.[0], 'busy_loop', `hottest: ${top}`);
        removeDir(dump.dir);
        removeDir(text.dir);
        removeDir(att.dir);
      } finally {
        server.kill('SIGKILL');
      }
    });
  });
}

export function firstLine(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
    child.once('exit', () => reject(new Error('the program ended before printing its pid')));
  });
}

const interpreters = cpythons();
test('this machine has at least one CPython to test the outside sampler on', () => {
  assert.ok(interpreters.length > 0);
});
describe('outside sampler on every CPython', { concurrency: 2 }, () => {
  for (const py of interpreters) matrix(py);
});
