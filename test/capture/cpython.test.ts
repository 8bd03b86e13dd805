/**
 * `pyrometer record` on real CPython (python3): what the sampler attributes where.
 * Each program is in test/data/capture and takes about a second of CPU at most.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lineCosts, stackWeights } from '../../src/model/analysis.js';
import { CATEGORY_NATIVE, funcName, funcKind, frameFunc } from '../../src/model/profile.js';
import { dataPath, readProfile, removeDir, runPyrometer, selfByName, totalByName } from './run.js';

test('CPU mode: a program spending ~80% in f and ~20% in g shows that split within 5 points', async () => {
  const run = await runPyrometer(['record', '--in-process', '-o', 'split.prof', '--', 'python3', dataPath('split.py'), '40', '60000']);
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '71999040'); // the program's own output, untouched
    const profile = await readProfile(join(run.dir, 'split.prof'));
    assert.equal(profile.meta.interpreter, 'cpython');
    assert.equal(profile.meta.formatVersion, 6);
    assert.equal(profile.meta.extra.sampler, 'pyrometer');
    const self = selfByName(profile);
    const f = self.get('f') ?? 0;
    const g = self.get('g') ?? 0;
    assert.ok(f + g > 300, `enough samples to judge: ${f + g}`);
    const share = (100 * f) / (f + g);
    assert.ok(Math.abs(share - 80) <= 5, `f has ${share.toFixed(1)}% of f+g`);
    // the sampler itself and the launcher never appear in the program's stacks
    for (let fn = 0; fn < profile.funcs.length; fn++) {
      const file = profile.strings[profile.funcs.file[fn]] ?? '';
      assert.ok(!/pyrometer_agent|runpy/.test(file), `agent frame in stacks: ${funcName(profile, fn)} ${file}`);
    }
    const roots = new Set<string>();
    for (let s = 0; s < profile.stacks.length; s++)
      if (profile.stacks.prefix[s] === -1) roots.add(funcName(profile, frameFunc(profile, s)));
    // the program's <module>, and at most the interpreter's own shutdown (threading._shutdown)
    assert.ok(roots.has('<module>'));
    for (const r of roots) assert.ok(r === '<module>' || r === '_shutdown', `root ${r}`);
    // the summary: samples, the hottest functions, the next commands
    assert.match(run.stderr, /recorded [\d.]+ s of CPU time in [\d,]+ looks at the stacks during [\d.]+ m?s, CPython 3\.\d+\.\d+/);
    assert.match(run.stderr, /hottest functions \(self time\):\n\s+[\d.]+%\s+f\s+\S*split\.py:6\n\s+[\d.]+%\s+g\s/);
    assert.match(run.stderr, /looks\/s actually taken/);
    assert.match(run.stderr, /next: pyrometer show split\.prof\n\s+pyrometer view split\.prof/);
  } finally {
    removeDir(run.dir);
  }
});

test('threads: each thread has its own samples and its name', async () => {
  const run = await runPyrometer(['record', '--in-process', '-o', 't.prof', '--', 'python3', dataPath('threads.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 't.prof'));
    const byName = new Map(profile.threads.map((t, i) => [t.name, i]));
    assert.ok(byName.has('alpha-worker') && byName.has('beta-worker'), `threads: ${[...byName.keys()]}`);
    const alpha = selfByName(profile, [byName.get('alpha-worker')!]);
    const beta = selfByName(profile, [byName.get('beta-worker')!]);
    assert.ok((alpha.get('crunch_in_alpha') ?? 0) > 50, 'alpha thread burns in crunch_in_alpha');
    assert.ok((beta.get('crunch_in_beta') ?? 0) > 50, 'beta thread burns in crunch_in_beta');
    assert.equal(alpha.get('crunch_in_beta') ?? 0, 0);
    assert.equal(beta.get('crunch_in_alpha') ?? 0, 0);
    // CPU mode: the main thread only waits in join(), so it gets (almost) nothing
    const mainIndex = byName.get('MainThread');
    const mainSamples = mainIndex === undefined ? 0 : profile.threads[mainIndex].samples.length;
    const workerSamples = profile.threads[byName.get('alpha-worker')!].samples.length;
    assert.ok(mainSamples < workerSamples / 5, `main ${mainSamples} vs worker ${workerSamples}`);
  } finally {
    removeDir(run.dir);
  }
});

test('threads: a worker the main thread joins at once is sampled while it runs (the sleeping helper wakes when a thread appears)', async () => {
  const run = await runPyrometer(['record', '--in-process', '-o', 'w.prof', '--', 'python3', dataPath('one_worker.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'w.prof'));
    const worker = profile.threads.findIndex((t) => t.name === 'lone-worker');
    assert.ok(worker >= 0, `threads: ${profile.threads.map((t) => t.name)}`);
    const crunch = selfByName(profile, [worker]).get('crunch_alone') ?? 0;
    // the worker is most of the ~0.4 s of CPU: without the helper its samples would be lost
    const cpuMs = Number(profile.meta.extra.cpu_s) * 1000;
    assert.ok(
      (crunch * 1000) / Number(profile.meta.extra.rate_hz) > cpuMs * 0.5,
      `crunch_alone has ${crunch} samples of ${cpuMs.toFixed(0)} ms CPU`,
    );
  } finally {
    removeDir(run.dir);
  }
});

test('threads: a worker started with _thread (unseen by threading) is sampled: quick looks give way to full ones', async () => {
  const run = await runPyrometer(['record', '--in-process', '-o', 'c.prof', '--', 'python3', dataPath('c_thread.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'c.prof'));
    const main = profile.threads.findIndex((t) => t.name === 'MainThread');
    const others = profile.threads.map((_, i) => i).filter((i) => i !== main);
    const worker = selfByName(profile, others).get('crunch_behind_threading') ?? 0;
    const beside = selfByName(profile, [main]).get('main_beside') ?? 0;
    // the worker runs 3x main_beside's loop beside it: it gets the larger share; a sampler that
    // kept taking one-thread looks would never see it (its CPU would be lost with it)
    assert.ok(worker > beside, `crunch_behind_threading ${worker} samples, main_beside ${beside}`);
    assert.equal(selfByName(profile, [main]).get('crunch_behind_threading') ?? 0, 0, "the worker's time is not the main thread's");
  } finally {
    removeDir(run.dir);
  }
});

test('--wall sees a sleeping thread, marked idle; CPU mode does not see it at all', async () => {
  const wall = await runPyrometer(['record', '--in-process', '--wall', '-o', 'w.prof', '--', 'python3', dataPath('sleeper.py')]);
  const cpu = await runPyrometer(['record', '--in-process', '-o', 'c.prof', '--', 'python3', dataPath('sleeper.py')]);
  try {
    assert.equal(wall.code, 0, wall.stderr);
    assert.equal(cpu.code, 0, cpu.stderr);
    const w = await readProfile(join(wall.dir, 'w.prof'));
    assert.ok(w.meta.flags.includes('real-time') || w.meta.extra.mode === 'wall', 'wall mode recorded');
    const napper = w.threads.findIndex((t) => t.name === 'napper');
    assert.ok(napper >= 0, `threads: ${w.threads.map((t) => t.name)}`);
    assert.ok(w.threads[napper].samples.length > 20, 'the sleeping thread is sampled');
    const napperTotals = totalByName(w, [napper]);
    assert.ok((napperTotals.get('nap_in_a_loop') ?? 0) > 20);
    const napperSelf = selfByName(w, [napper]);
    const idle = napperSelf.get('<idle>') ?? 0;
    assert.ok(idle / w.threads[napper].samples.length > 0.8, `napper idle ${idle} of ${w.threads[napper].samples.length}`);
    // the computing main thread is not idle
    const main = w.threads.findIndex((t) => t.name === 'MainThread');
    const mainSelf = selfByName(w, [main]);
    assert.ok((mainSelf.get('compute') ?? 0) > (mainSelf.get('<idle>') ?? 0));
    assert.match(wall.stderr, /idle: [\d.]+ s of threads waiting/);

    const c = await readProfile(join(cpu.dir, 'c.prof'));
    const cpuNapper = c.threads.findIndex((t) => t.name === 'napper');
    const napperCpuSamples = cpuNapper < 0 ? 0 : c.threads[cpuNapper].samples.length;
    assert.ok(napperCpuSamples < 10, `CPU mode: a sleeping thread costs (almost) nothing, got ${napperCpuSamples}`);
  } finally {
    removeDir(wall.dir);
    removeDir(cpu.dir);
  }
});

test('--lines attributes time to the right line', async () => {
  const run = await runPyrometer(['record', '--in-process', '--lines', '-o', 'l.prof', '--', 'python3', dataPath('lines.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'l.prof'));
    assert.ok(profile.meta.flags.includes('lines'), `flags ${profile.meta.flags}`);
    let twoLines = -1;
    for (let f = 0; f < profile.funcs.length; f++) if (funcName(profile, f) === 'two_lines') twoLines = f;
    assert.ok(twoLines >= 0);
    const costs = lineCosts(profile, stackWeights(profile)).get(twoLines)!;
    const heavy = costs.get(9)?.total ?? 0;
    const light = costs.get(10)?.total ?? 0;
    assert.ok(heavy > 50, `line 9 has ${heavy}`);
    assert.ok(heavy > 3 * light, `line 9 (${heavy}) should dominate line 10 (${light})`);
  } finally {
    removeDir(run.dir);
  }
});

test('time inside C calls goes to a native frame under the calling line, not to the next line', async () => {
  const run = await runPyrometer(['record', '--in-process', '--lines', '-o', 'n.prof', '--', 'python3', dataPath('native_calls.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'n.prof'));
    const weights = stackWeights(profile);
    // sorted() is called on line 14 of sort_a_lot: its time is a native frame named after it,
    // whose parent frame is sort_a_lot at line 14
    let sortedNative = 0;
    let sortedElsewhere = 0;
    for (let s = 0; s < profile.stacks.length; s++) {
      if (weights[s] === 0) continue;
      const frame = profile.stacks.frame[s];
      const fn = profile.frames.func[frame];
      if (funcName(profile, fn) !== 'sorted') continue;
      assert.equal(funcKind(profile, fn), 'native');
      assert.equal(profile.frames.category[frame], CATEGORY_NATIVE);
      const parent = profile.stacks.prefix[s];
      const parentFrame = profile.stacks.frame[parent];
      if (funcName(profile, profile.frames.func[parentFrame]) === 'sort_a_lot' && profile.frames.line[parentFrame] === 14)
        sortedNative += weights[s];
      else sortedElsewhere += weights[s];
    }
    const self = selfByName(profile);
    assert.ok(
      sortedNative > 0.5 * (self.get('sort_a_lot') ?? 0) + 20,
      `sorted() native ${sortedNative}, sort_a_lot self ${self.get('sort_a_lot')}`,
    );
    assert.equal(sortedElsewhere, 0);
    assert.ok((self.get('zlib.compress') ?? 0) > 5, 'zlib.compress shows as a native frame');
    // the Python function that runs after the sorting is not charged for it
    assert.ok((self.get('python_after') ?? 0) < sortedNative / 4);
  } finally {
    removeDir(run.dir);
  }
});

test('--mem records the resident set size with each sample', async () => {
  const run = await runPyrometer(['record', '--in-process', '--mem', '-o', 'm.prof', '--', 'python3', dataPath('split.py'), '10', '60000']);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'm.prof'));
    assert.ok(profile.meta.flags.includes('memory'));
    const rss = profile.threads[0].samples.rss;
    assert.ok(rss !== null && rss.length > 0);
    for (let i = 0; i < rss.length; i++) assert.ok(rss[i] > 1000 && rss[i] < 10_000_000, `RSS ${rss[i]} KiB`);
  } finally {
    removeDir(run.dir);
  }
});
