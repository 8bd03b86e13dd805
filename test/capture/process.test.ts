/**
 * `pyrometer record` runs the program as the user would (argv, cwd, environment, stdin,
 * exit code) and leaves a readable profile however the program ends; bad commands give one
 * line, a non-zero exit and no files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath, filesIn, readProfile, removeDir, runPyrometer, scratchDir, totalByName } from './run.js';

test('argv, cwd, __name__, sys.path[0], __file__ and the environment are what python gives; the agent is invisible', async () => {
  const script = dataPath('behave.py');
  const plain = await runPyrometer(['record', '-o', 'x.prof', '--', 'python3', script, 'echo-env', 'a b', '--flag'], {
    env: { PYROMETER_TEST_VALUE: 'passed through' },
  });
  try {
    assert.equal(plain.code, 0, plain.stderr);
    const lines = plain.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 6),
      [
        `[${JSON.stringify(script).replace(/"/g, "'")}, 'echo-env', 'a b', '--flag']`,
        plain.dir,
        '__main__',
        dataPath(''),
        script,
        'passed through',
      ].map((l) => l.replace(/\/$/, '')),
    );
    // threading.enumerate() does not list a sampler thread
    assert.equal(lines[6], "['MainThread']");
  } finally {
    removeDir(plain.dir);
  }
});

test('-m module and -c command run as python runs them; interpreter options still apply', async () => {
  const dir = scratchDir();
  try {
    const mod = await runPyrometer(['record', '-o', 'm.prof', '--', 'python3', '-u', '-X', 'dev', '-m', 'pkg.tool', 'x', 'y'], {
      env: { PYTHONPATH: dataPath('') },
      cwd: dir,
    });
    assert.equal(mod.code, 0, mod.stderr);
    assert.equal(mod.stdout.trim(), "__main__ pkg.tool True ['x', 'y']");
    const profile = await readProfile(join(dir, 'm.prof'));
    assert.ok((totalByName(profile).get('busy') ?? 0) > 0, 'the module was profiled');

    const code =
      'import sys; print(sys.argv, repr(sys.path[0]), sys.flags.dont_write_bytecode, sorted(k for k in globals() if k != "sys"))';
    const cmd = await runPyrometer(['record', '-o', 'c.prof', '--', 'python3', '-c', code, 'arg'], { cwd: dir });
    assert.equal(cmd.code, 0, cmd.stderr);
    const plain = spawnSync('python3', ['-c', code, 'arg'], { cwd: dir, encoding: 'utf8' });
    assert.equal(cmd.stdout, plain.stdout);
    assert.match(cmd.stdout, /^\['-c', 'arg'\] ''/);
    assert.ok(existsSync(join(dir, 'c.prof')));

    // without `--`, the interpreter's options (and the program's -o) are still the program's
    const flags = 'import sys; print(sys.flags.optimize, sys.flags.dev_mode, sys.argv[1:])';
    const bare = await runPyrometer(['record', '-o', 'b.prof', 'python3', '-O', '-X', 'dev', '-c', flags, '-o', 'theirs'], { cwd: dir });
    assert.equal(bare.code, 0, bare.stderr);
    assert.equal(bare.stdout.trim(), "1 True ['-o', 'theirs']");
    assert.ok(existsSync(join(dir, 'b.prof')));
  } finally {
    removeDir(dir);
  }
});

test('a program reading stdin (prog < big.txt) works', async () => {
  const text = Array.from({ length: 20_000 }, (_, i) => `apple banana ${i % 2 === 0 ? 'cherry' : 'apple'}`).join('\n') + '\n';
  const run = await runPyrometer(['record', '-o', 'w.prof', '--', 'python3', dataPath('wordfreq.py')], { stdin: text });
  try {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'apple 30000\nbanana 20000\ncherry 10000\n');
    assert.ok(existsSync(join(run.dir, 'w.prof')));
  } finally {
    removeDir(run.dir);
  }
});

test('sys.exit(3): exit code 3 and a readable profile', async () => {
  const run = await runPyrometer(['record', '-o', 'e.prof', '--', 'python3', dataPath('behave.py'), 'exit3']);
  try {
    assert.equal(run.code, 3);
    const profile = await readProfile(join(run.dir, 'e.prof'));
    assert.ok((totalByName(profile).get('burn') ?? 0) > 0);
    assert.deepEqual(profile.meta.warnings, []);
    assert.match(run.stderr, /the program exited with code 3/);
    assert.deepEqual(filesIn(run.dir), ['e.prof']); // no temporary files left
  } finally {
    removeDir(run.dir);
  }
});

test("an uncaught exception: python's own traceback (no pyrometer frames), exit code 1, a readable profile", async () => {
  const run = await runPyrometer(['record', '-o', 'r.prof', '--', 'python3', dataPath('behave.py'), 'raise']);
  try {
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Traceback \(most recent call last\):\n {2}File ".*behave\.py", line \d+, in <module>\n/);
    assert.match(run.stderr, /ValueError: raised on purpose\n/);
    assert.doesNotMatch(run.stderr, /pyrometer_agent|runpy/);
    const profile = await readProfile(join(run.dir, 'r.prof'));
    assert.ok((totalByName(profile).get('burn') ?? 0) > 0);
  } finally {
    removeDir(run.dir);
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} while the program runs: the profile up to then is written and readable, exit code 128+n`, async () => {
    const run = await runPyrometer(['record', '-o', 's.prof', '--', 'python3', dataPath('behave.py'), 'loop'], {
      when: { stdout: 'ready', then: (pid) => setTimeout(() => process.kill(pid, signal), 700) },
    });
    try {
      assert.equal(run.code, signal === 'SIGINT' ? 130 : 143, run.stderr);
      if (signal === 'SIGINT') {
        // KeyboardInterrupt: the program's finally blocks ran, as without pyrometer
        assert.match(run.stdout, /finally ran/);
        assert.match(run.stderr, /KeyboardInterrupt/);
      }
      const profile = await readProfile(join(run.dir, 's.prof'));
      assert.deepEqual(profile.meta.warnings, [], 'complete file, trailer included');
      assert.ok((totalByName(profile).get('spin_forever') ?? 0) > 50, 'samples up to the signal');
      assert.match(run.stderr, new RegExp(`ended by ${signal}`));
      assert.deepEqual(filesIn(run.dir), ['s.prof']);
    } finally {
      removeDir(run.dir);
    }
  });
}

/** The first process whose parent is `pid` (from /proc: no procps needed). */
function childOf(pid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no child of ${pid}`);
}

test('the program killed outright (SIGKILL): the records written so far form a readable profile', async () => {
  // the in-process agent's file (the outside sampler outlives the program and finishes its file)
  const run = await runPyrometer(['record', '--in-process', '-o', 'k.prof', '--', 'python3', dataPath('behave.py'), 'loop'], {
    when: {
      stdout: 'ready',
      then: (nodePid) =>
        setTimeout(() => {
          // the interpreter is the recorder's child; SIGKILL leaves it no chance to finish the file
          process.kill(childOf(nodePid), 'SIGKILL');
        }, 1000),
    },
  });
  try {
    assert.equal(run.code, 137, run.stderr);
    const profile = await readProfile(join(run.dir, 'k.prof'));
    assert.match(profile.meta.warnings.join(' '), /no trailer/);
    assert.ok((totalByName(profile).get('spin_forever') ?? 0) > 50, 'samples flushed while it ran');
    assert.deepEqual(filesIn(run.dir), ['k.prof']);
  } finally {
    removeDir(run.dir);
  }
});

test('missing interpreter, missing script, not a Python interpreter, missing module: one line, non-zero, nothing left', async () => {
  const dir = scratchDir();
  try {
    const cases: [string[], RegExp][] = [
      [['python3.nope', 'app.py'], /^pyrometer: python3\.nope: interpreter not found\n$/],
      [['python3', 'no_such_script.py'], /^pyrometer: no_such_script\.py: no such file\n$/],
      [['/bin/true', 'app.py'], /^pyrometer: \/bin\/true is not a Python interpreter/],
      [['python3', '-m', 'no_such_module_here'], /^pyrometer: no_such_module_here: no module named no_such_module_here\n$/],
      [['python3'], /^pyrometer: python3 would start an interactive prompt/],
    ];
    for (const [command, expected] of cases) {
      const run = await runPyrometer(['record', '--', ...command], { cwd: dir });
      assert.notEqual(run.code, 0, command.join(' '));
      assert.match(run.stderr, expected);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.deepEqual(filesIn(dir), [], `files left by ${command.join(' ')}`);
    }
  } finally {
    removeDir(dir);
  }
});

test('output naming: default <script>-<timestamp>.prof, never overwriting; -o refuses an existing file without --force', async () => {
  const dir = scratchDir();
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'keep.prof'), 'precious');
    const refused = await runPyrometer(['record', '-o', 'keep.prof', '--', 'python3', '-c', 'pass'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^pyrometer: keep\.prof already exists \(use --force to overwrite it\)\n$/);
    const forced = await runPyrometer(['record', '-o', 'keep.prof', '--force', '--', 'python3', '-c', 'pass'], { cwd: dir });
    assert.equal(forced.code, 0, forced.stderr);
    await readProfile(join(dir, 'keep.prof'));

    const first = await runPyrometer(['record', '--', 'python3', dataPath('behave.py'), 'exit3'], { cwd: dir });
    const second = await runPyrometer(['record', '--', 'python3', dataPath('behave.py'), 'exit3'], { cwd: dir });
    assert.equal(first.code, 3);
    assert.equal(second.code, 3);
    const made = filesIn(dir).filter((f) => f.startsWith('behave-'));
    assert.equal(made.length, 2, `${filesIn(dir)}`);
    for (const f of made) assert.match(f, /^behave-\d{8}-\d{6}(-\d+)?\.prof$/);
  } finally {
    removeDir(dir);
  }
});

test('--subprocesses: children started with multiprocessing (spawn), subprocess, and a shell that execs Python a second later land in the same profile', async () => {
  const run = await runPyrometer(['record', '--subprocesses', '-o', 'all.prof', '--', 'python3', dataPath('parent_child.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'all.prof'));
    const totals = totalByName(profile);
    for (const name of ['work_in_pool_worker', 'work_in_subprocess', 'work_in_late_child', 'work_in_parent']) {
      assert.ok((totals.get(name) ?? 0) >= 5, `${name}: ${totals.get(name)}`);
    }
    // each process keeps its own threads, tagged with its pid
    const pids = new Set(
      Object.entries(profile.meta.extra)
        .filter(([k]) => k.startsWith('thread_pid:'))
        .map(([, v]) => v),
    );
    assert.ok(pids.size >= 4, `processes: ${[...pids]}`);
    assert.match(run.stderr, /subprocesses: \d+ Python child processes merged/);
    assert.deepEqual(filesIn(run.dir), ['all.prof']);
  } finally {
    removeDir(run.dir);
  }
});
