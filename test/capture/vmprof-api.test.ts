/**
 * pyrometer's vmprof-compatible module (src/capture/agent/api/vmprof): a program written for
 * vmprof runs unchanged, under `record` (which puts the module on PYTHONPATH) or with
 * PYTHONPATH=$(pyrometer agent-path), on python3 and pypy3, and its own file reads in pyrometer.
 *
 * vmprof-python's own reader (github.com/vmprof/vmprof-python `vmprof/reader.py` `_read_prof`,
 * cloned to /tmp beside the project, run with /usr/bin/python3 -S) read the files this test's
 * program wrote on 2026-12-03: under record on python3, 81 samples, all in thread 0x3ff3, leaf
 * `work`; under record on pypy3 (our sampler in wall-clock mode, since record's _vmprof holds
 * SIGPROF), interpreter `pypy-sampler`, 50 samples, leaf `work` 42. It accepted both (count 1 per
 * record, one META key each). Here the decoder written from docs/formats.md checks the same
 * properties on fresh files, and the module's own read_profile must count what it decodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath, readProfile, removeDir, runPyrometer, scratchDir, selfByName } from './run.js';
import { decode, unweighted } from './vmprof-decode.js';
import { apiPath } from '../../src/capture/recorder.js';
import { runCli, stopCli } from '../cli/run.js';
import { fixture, testData } from '../helpers.js';

const INTERPRETERS = ['python3', 'pypy3'];

/** The program's report line: `result R looks N has work True root <module> lines False`. */
function report(stdout: string) {
  const m = /result (\d+) looks (\d+) has work (\w+) root (\S+) lines (\w+)/.exec(stdout);
  assert.ok(m, stdout);
  return { looks: Number(m[2]), hasWork: m[3] === 'True', root: m[4], lines: m[5] === 'True' };
}

async function checkOwnFile(path: string, looks: number) {
  const bytes = new Uint8Array(readFileSync(path));
  const profile = await readProfile(path);
  if (profile.meta.interpreter === 'pypy') {
    // PyPy's own _vmprof wrote it ((kind, value) entries, outside the sampler decoder's scope)
    assert.equal(
      profile.threads.reduce((n, t) => n + t.samples.length, 0),
      looks,
      'read_profile counts the records',
    );
  } else {
    const d = decode(bytes);
    assert.equal(d.version, 6);
    assert.ok(d.trailer, 'disable() completed the file');
    assert.equal(d.stacks.length, looks, "read_profile counts the records vmprof's reader counts");
    assert.ok(
      d.stacks.every((s) => s.rss !== null),
      'memory=True: an RSS word per record',
    );
  }
  const self = selfByName(profile);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  assert.ok((self.get('work') ?? 0) > 0.5 * total, `work has ${self.get('work')} of ${total}`);
}

for (const python of INTERPRETERS) {
  test(`${python}: a vmprof-style program runs under record; its own file and record's both read`, async () => {
    const run = await runPyrometer(['record', '-o', 'record.prof', '--', python, dataPath('vmprof_style.py'), 'own.prof']);
    try {
      assert.equal(run.code, 0, run.stderr);
      const r = report(run.stdout);
      assert.deepEqual({ hasWork: r.hasWork, root: r.root }, { hasWork: true, root: '<module>' });
      assert.ok(r.looks > 0);
      await checkOwnFile(join(run.dir, 'own.prof'), r.looks);
      // record's own profile kept sampling around (and through) the program's vmprof.enable()
      const recorded = selfByName(await readProfile(join(run.dir, 'record.prof')));
      assert.ok((recorded.get('work') ?? 0) > 0, 'record saw work too');
    } finally {
      removeDir(run.dir);
    }
  });

  test(`${python}: the same program with PYTHONPATH=$(pyrometer agent-path), no record`, async () => {
    const dir = scratchDir();
    try {
      const r = spawnSync(python, [dataPath('vmprof_style.py'), 'own.prof', ...(python === 'python3' ? ['--lines'] : [])], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: apiPath() },
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const rep = report(r.stdout);
      assert.equal(rep.hasWork, true);
      // CPython: our sampler records lines; PyPy's _vmprof takes lines=1 but records none
      assert.equal(rep.lines, python === 'python3');
      await checkOwnFile(join(dir, 'own.prof'), rep.looks);
    } finally {
      removeDir(dir);
    }
  });
}

test('agent-path prints the directory holding the vmprof module; python -m vmprof there says what to run', async () => {
  try {
    const r = await runCli(['agent-path']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), apiPath());
    assert.ok(existsSync(join(r.stdout.trim(), 'vmprof', '__init__.py')));
  } finally {
    stopCli();
  }
  const hint = spawnSync('python3', ['-m', 'vmprof', '-o', 'x.prof', 'app.py'], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: apiPath() },
  });
  assert.equal(hint.status, 2);
  assert.equal(hint.stdout, '');
  assert.match(
    hint.stderr,
    /^pyrometer: this vmprof is pyrometer's API module; to profile a program run `pyrometer record -- python3 -o x\.prof app\.py`/,
  );
});

test('vmprof API: Profiler().measure(), enable() arguments checked as vmprof does, is_enabled, read_profile', () => {
  const code = `
import vmprof, tempfile, os
p = vmprof.Profiler()
with p.measure(period=0.001):
    sum(i * i for i in range(3_000_000))
s = p.get_stats()
assert len(s.profiles) > 0 and s.get_runtime_in_microseconds() > 0
assert all(len(t) == 4 for t in s.profiles)
tree = s.get_tree()
assert tree.count == sum(c for _, c, _, _ in s.profiles), (tree.count, s.profiles[:3])
assert s.getmeta('sampler', None) == 'pyrometer'
for bad in (1, '0.1'):
    try:
        vmprof.enable(1, bad)
    except ValueError:
        pass
    else:
        raise AssertionError('accepted period %r' % (bad,))
f = tempfile.TemporaryFile()
vmprof.enable(f.fileno(), 0.01)
try:
    vmprof.enable(f.fileno(), 0.01)
except vmprof.VMProfError:
    pass
else:
    raise AssertionError('enabled twice')
vmprof.disable()
assert not vmprof.is_enabled()
os.fstat(f.fileno())  # still the program's, still open
print('ok')
`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: apiPath() }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
});

/** read_profile(path).get_tree() printed by our module: `name count` per node, `depth` levels. */
function treeOf(path: string, depth: number): string[] {
  const code = `
import sys, vmprof
t = vmprof.read_profile(sys.argv[1]).get_tree()
def short(n): return n.name.split(':')[1] if n.name.count(':') >= 3 else n.name
nodes = []
def show(n, d, ind):
    nodes.append(n)
    if d <= ${depth}:
        print('%s%s %d' % (ind, short(n), n.count))
    for c in sorted(n.children.values(), key=lambda c: (-c.count, short(c))):
        show(c, d + 1, ind + '  ')
show(t, 0, '')
print('nodes', len(nodes))
`;
  const r = spawnSync('python3', ['-c', code, path], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: apiPath() }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split('\n');
}

/*
 * get_tree() on files with more than one root (threads' entry points) is vmprof-python's: the
 * first record's root, every other root hung under it, then filter_top's `<module>` through the
 * heaviest branch. vmprof-python's stats.Stats(...).get_tree() (HEAD of 2026-12-03, reader.py and
 * stats.py run with /usr/bin/python3 -S beside the project) printed, for the files below:
 *
 *   fixtures/vmprof/pypy-threads-realtime.prof (PyPy, 3 threads; the first record's root is
 *   entry_point, where our module used to return the tree of entry_point alone): 57 nodes,
 *     <module> 227 / run_path 227 / _run_module_code 227 / _run_code 227 / <module> 227 /
 *     join 200 (_wait_for_tstate_lock 200), start 21 (wait 7), __import__ 6 (_gcd_import 6)
 *   data/formats/vmprof/pyrometer-sleeper-wall.prof with each record repeated by its weight (two
 *   threads; the first record is the napper's _bootstrap, which our module used to return):
 *     <module> 157 / compute 156 (<idle> 12), join 1 (_wait_for_tstate_lock 1): 5 nodes
 *   and the same trees for vmprof_cpuburn.prof, example.prof, example_with_lines.prof, pypy-primes.prof.
 * Our module reads the weighted file itself (count = weight) to the same tree.
 */
test("get_tree() on multi-root, multi-thread files: vmprof-python's tree", () => {
  assert.deepEqual(treeOf(fixture('vmprof/pypy-threads-realtime.prof'), 6), [
    '<module> 227',
    '  run_path 227',
    '    _run_module_code 227',
    '      _run_code 227',
    '        <module> 227',
    '          join 200',
    '            _wait_for_tstate_lock 200',
    '          start 21',
    '            wait 7',
    '          __import__ 6',
    '            _gcd_import 6',
    'nodes 57',
  ]);
  const weighted = testData('formats/vmprof/pyrometer-sleeper-wall.prof');
  const expected = ['<module> 157', '  compute 156', '    <idle> 12', '  join 1', '    _wait_for_tstate_lock 1', 'nodes 5'];
  const dir = scratchDir();
  try {
    const expanded = join(dir, 'expanded.prof');
    writeFileSync(expanded, unweighted(new Uint8Array(readFileSync(weighted))));
    assert.deepEqual(treeOf(expanded, 100), expected, 'records repeated by weight, as vmprof-python read them');
    assert.deepEqual(treeOf(weighted, 100), expected, 'the weighted file: counts are weights');
  } finally {
    removeDir(dir);
  }
});
