/**
 * `pyrometer record` on real PyPy (pypy3; CI installs it from Debian): PyPy's built-in
 * _vmprof writes the profile, --jitlog/--pypylog add the JIT log and the PyPy log beside it,
 * and the agent's own frames are taken out of the stacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORY_JIT, KIND_NATIVE, funcName, frameFunc } from '../../src/model/profile.js';
import { dataPath, filesIn, readProfile, removeDir, runPyrometer, selfByName, totalByName } from './run.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';

function jitFrameCount(profile: Awaited<ReturnType<typeof readProfile>>): number {
  let jitFrames = 0;
  for (let s = 0; s < profile.stacks.length; s++) if (profile.frames.category[profile.stacks.frame[s]] === CATEGORY_JIT) jitFrames++;
  return jitFrames;
}

/**
 * Records split.py until the profile has JIT frames and enough samples, doubling the run each
 * time (at most three runs). Many short calls (3000 rounds of 75k iterations, the same work as
 * 150 of 1.5M): PyPy's _vmprof shows a frame as JIT code when it runs inside a trace that called
 * it, so a few long loops gave JIT frames only now and then (never on a loaded machine), while
 * main's loop calling f and g is traced and shows them every time. The doubling covers a run cut
 * short by load. Every assertion is then made on that run, unchanged.
 */
async function recordSplitWithJit(): Promise<{
  run: Awaited<ReturnType<typeof runPyrometer>>;
  profile: Awaited<ReturnType<typeof readProfile>>;
}> {
  let rounds = 3000;
  for (let attempt = 1; ; attempt++) {
    const run = await runPyrometer(['record', '-o', 'p.prof', '--', 'pypy3', dataPath('split.py'), String(rounds), '75000']);
    if (run.code !== 0) return { run, profile: null as never };
    const profile = await readProfile(join(run.dir, 'p.prof'));
    const self = selfByName(profile);
    const samples = (self.get('f') ?? 0) + (self.get('g') ?? 0);
    if ((jitFrameCount(profile) > 0 && samples > 150) || attempt === 3) return { run, profile };
    removeDir(run.dir);
    rounds *= 2;
  }
}

test('PyPy: the 80/20 split within 5 points, in a genuine _vmprof profile with JIT frames', async () => {
  const { run, profile } = await recordSplitWithJit();
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(profile.meta.interpreter, 'pypy');
    assert.ok(profile.meta.flags.includes('rpython'));
    const self = selfByName(profile);
    const f = self.get('f') ?? 0;
    const g = self.get('g') ?? 0;
    assert.ok(f + g > 150, `enough samples: ${f + g}`);
    const share = (100 * f) / (f + g);
    assert.ok(Math.abs(share - 80) <= 5, `f has ${share.toFixed(1)}% of f+g`);
    // the agent's frames are gone: stacks start at the program's <module>
    for (let fn = 0; fn < profile.funcs.length; fn++) {
      const file = profile.strings[profile.funcs.file[fn]] ?? '';
      if (/pyrometer_agent/.test(file)) {
        // its code objects are announced, but no sample may use them
        for (let s = 0; s < profile.stacks.length; s++)
          assert.notEqual(frameFunc(profile, s), fn, `agent frame ${funcName(profile, fn)} in a stack`);
      }
    }
    const roots = new Set<string>();
    for (let s = 0; s < profile.stacks.length; s++) {
      if (profile.stacks.prefix[s] !== -1) continue;
      const fn = frameFunc(profile, s);
      // With native=1 a rare sample lands in the interpreter's own C before or after the program
      // (a lone native `entry_point`): that is PyPy, not the agent, so only Python roots are checked.
      if (profile.funcs.kind[fn] === KIND_NATIVE) continue;
      roots.add(funcName(profile, fn));
    }
    // the program's <module>, and at most the interpreter's own shutdown (threading._shutdown)
    assert.ok(roots.has('<module>'));
    for (const r of roots) assert.ok(r === '<module>' || r === '_shutdown', `root ${r}`);
    // the hot loops ran as JIT code
    assert.ok(jitFrameCount(profile) > 0, 'JIT frames');
    assert.match(run.stderr, /PyPy 3\.\d+\.\d+/);
    assert.match(run.stderr, /PyPy's _vmprof/);
  } finally {
    removeDir(run.dir);
  }
});

test('PyPy: --jitlog and --pypylog write out.prof.jit and out.prof.pypylog beside the profile', async () => {
  const run = await runPyrometer(['record', '--jitlog', '--pypylog', '-o', 'j.prof', '--', 'pypy3', dataPath('split.py'), '20', '200000']);
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(filesIn(run.dir), ['j.prof', 'j.prof.jit', 'j.prof.pypylog']);
    const jit = readFileSync(join(run.dir, 'j.prof.jit'));
    assert.equal(jit[0], 0x1e, 'jitlog header marker');
    const log = readFileSync(join(run.dir, 'j.prof.pypylog'), 'utf8');
    assert.match(log, /^\[[0-9a-f]+\] \{gc-/m, 'GC sections');
    assert.match(log, /^\[[0-9a-f]+\] \{jit-tracing/m, 'JIT sections');
    assert.match(run.stderr, /JIT log: j\.prof\.jit\n\s+PyPy log: j\.prof\.pypylog/);
    await readProfile(join(run.dir, 'j.prof'));
  } finally {
    removeDir(run.dir);
  }
});

test('PyPy: --jitlog on CPython is refused before anything runs', async () => {
  const run = await runPyrometer(['record', '--jitlog', '-o', 'x.prof', '--', 'python3', '-c', 'print("ran")']);
  try {
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^pyrometer: --jitlog needs PyPy; python3 is cpython\n$/);
    assert.equal(existsSync(join(run.dir, 'x.prof')), false);
  } finally {
    removeDir(run.dir);
  }
});

test('PyPy with our own sampler (--engine sampler, the fallback when _vmprof is missing): threads separated and named', async () => {
  const run = await runPyrometer(['record', '--engine', 'sampler', '-o', 's.prof', '--', 'pypy3', dataPath('threads.py'), '150000000']);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 's.prof'));
    assert.equal(profile.meta.extra.implementation, 'pypy');
    const alpha = profile.threads.findIndex((t) => t.name === 'alpha-worker');
    const beta = profile.threads.findIndex((t) => t.name === 'beta-worker');
    assert.ok(alpha >= 0 && beta >= 0, `threads ${profile.threads.map((t) => t.name)}`);
    assert.ok((totalByName(profile, [alpha]).get('crunch_in_alpha') ?? 0) > 0);
    assert.equal(totalByName(profile, [alpha]).get('crunch_in_beta') ?? 0, 0);
  } finally {
    removeDir(run.dir);
  }
});

/*
 * --wall on PyPy 7.3.11: _vmprof's real-time mode (SIGALRM) samples the threads on its own list,
 * and only the thread that called enable() is put there. vmprof-python's C extension adds others
 * with insert_real_time_thread(); PyPy's _vmprof has no such function, libpypy3.9-c.so exports no
 * symbol for it, and forwarding SIGALRM from a Python thread (tried) is GIL-bound, interrupts the
 * threads' waits and gives samples that PyPy writes with thread id 0. So the summary says so and
 * what to do: --engine sampler samples every thread (no JIT frames).
 */
test('PyPy --wall: _vmprof samples the main thread only, the summary says so and points to --engine sampler', async () => {
  const threaded = await runPyrometer(['record', '--wall', '-o', 'w.prof', '--', 'pypy3', dataPath('threads.py'), '150000000']);
  const alone = await runPyrometer(['record', '--wall', '-o', 'a.prof', '--', 'pypy3', '-c', 'print("alone")']);
  const every = await runPyrometer([
    'record',
    '--wall',
    '--engine',
    'sampler',
    '-o',
    's.prof',
    '--',
    'pypy3',
    dataPath('threads.py'),
    '150000000',
  ]);
  try {
    for (const run of [threaded, alone, every]) assert.equal(run.code, 0, run.stderr);
    assert.match(threaded.stderr, /note: --wall on PyPy: _vmprof sampled only the main thread.*--wall --engine sampler/);
    const profile = await readProfile(join(threaded.dir, 'w.prof'));
    const total = totalWeight(stackWeights(profile));
    const workers = (totalByName(profile).get('crunch_in_alpha') ?? 0) + (totalByName(profile).get('crunch_in_beta') ?? 0);
    // the workers compute while the main thread waits in join(): sampled, they would have 2/3
    assert.ok(workers < 0.2 * total, `workers ${workers} of ${total}`);
    assert.ok((totalByName(profile).get('join') ?? 0) > 0.5 * total);
    // no thread started: nothing to say
    assert.doesNotMatch(alone.stderr, /note: --wall/);
    // --engine sampler: every thread, by name, busy
    const all = await readProfile(join(every.dir, 's.prof'));
    assert.doesNotMatch(every.stderr, /note: --wall/);
    for (const [name, fn] of [
      ['alpha-worker', 'crunch_in_alpha'],
      ['beta-worker', 'crunch_in_beta'],
    ]) {
      const t = all.threads.findIndex((th) => th.name === name);
      assert.ok(t >= 0, `threads ${all.threads.map((th) => th.name)}`);
      assert.ok((totalByName(all, [t]).get(fn) ?? 0) > 0, `${fn} in ${name}`);
    }
  } finally {
    for (const run of [threaded, alone, every]) removeDir(run.dir);
  }
});
