/**
 * The in-process agent survives what programs do, on python3 and pypy3: os.exec*, os.closerange
 * over our descriptors, their own SIGPROF handler and ITIMER_PROF timer, non-UTF-8 script names
 * and arguments, `env` launching and #! scripts. Each program's stdout, stderr and exit code
 * under `record` are those of a plain run, and the profile reads.
 *
 * PyPy 7.3.11 prints "could not load libunwind at runtime…" to stderr whenever _vmprof runs
 * with native frames on a machine without libunwind.so (Debian has only libunwind.so.8): that
 * line is PyPy's, not the program's, and is left out of the comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath, readProfile, removeDir, runPyrometer, scratchDir, type RecordRun } from './run.js';

const INTERPRETERS = ['python3', 'pypy3'];
const program = (name: string) => dataPath(`hardening/${name}`);

/** The program's own stderr: record's summary (from "pyrometer: recorded") and PyPy's libunwind line left out. */
function programStderr(stderr: string): string {
  const summary = stderr.search(/^pyrometer: (recorded|wrote)/m);
  return (summary >= 0 ? stderr.slice(0, summary) : stderr).replace(/could not load libunwind[^\n]*\n?/g, '');
}

function plainRun(argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: programStderr(r.stderr) };
}

async function sameAsPlain(argv: string[], check?: (run: RecordRun, stderr: string) => Promise<void>) {
  // CPython's default sampler works from outside the process: the in-process agent is what is hardened here
  const run = await runPyrometer(['record', '--in-process', '-o', 'out.prof', '--', ...argv]);
  try {
    const plain = plainRun(argv, run.dir);
    assert.deepEqual(
      { code: run.code, stdout: run.stdout, stderr: programStderr(run.stderr) },
      plain,
      `${argv.join(' ')}: as a plain run\n${run.stderr}`,
    );
    const profile = await readProfile(join(run.dir, 'out.prof'));
    assert.ok(profile.threads.length >= 0);
    await check?.(run, run.stderr);
  } finally {
    removeDir(run.dir);
  }
}

for (const python of INTERPRETERS) {
  test(`${python}: os.execv completes the profile first and the new program runs (exit 3)`, async () => {
    await sameAsPlain([python, program('exec_self.py')], async (run, stderr) => {
      assert.equal(run.code, 3);
      assert.match(run.stdout, /before exec \d+\nafter exec\n/);
      assert.match(stderr, /note: the program replaced itself \(os\.exec\*\): what it ran after that is not profiled/);
      const profile = await readProfile(join(run.dir, 'out.prof'));
      assert.equal(profile.meta.warnings.filter((w) => /truncated|cut short/i.test(w)).length, 0, 'a complete file');
    });
  });

  test(`${python}: os.closerange(3, 65536) leaves the profile whole`, async () => {
    await sameAsPlain([python, program('closerange.py')], async (run) => {
      assert.equal(run.code, 0);
      const profile = await readProfile(join(run.dir, 'out.prof'));
      assert.deepEqual(profile.meta.warnings, []);
      assert.ok(profile.meta.endTime > 0, 'the trailer was written after the descriptors were closed');
    });
  });

  test(`${python}: the program's own SIGPROF handler and timer keep working; sampling stops there, said once`, async () => {
    await sameAsPlain([python, program('own_sigprof.py')], async (run, stderr) => {
      assert.match(run.stdout, /own timer ticked True/);
      assert.match(stderr, /note: sampling stopped [\d.]+ s into the run: the program installed its own SIGPROF handler/);
      const profile = await readProfile(join(run.dir, 'out.prof'));
      assert.match(profile.meta.extra.sampling_stopped ?? '', /installed its own SIGPROF handler/);
    });
  });

  test(`${python}: record -- /usr/bin/env NAME=value ${python} app.py runs the program with the variable`, async () => {
    const code = 'import os, sys; print(os.environ.get("PYRO_TEST_VAR"), sys.argv[1:])';
    await sameAsPlain(['/usr/bin/env', 'PYRO_TEST_VAR=set', python, '-c', code, 'x', 'y'], async (run) => {
      assert.equal(run.stdout.trim(), "set ['x', 'y']");
    });
  });
}

test('a #! script without .py (env python3), run by its path: its interpreter runs it (exit 4)', async () => {
  await sameAsPlain([program('shebang_script'), 'a', 'b'], async (run) => {
    assert.equal(run.code, 4);
    assert.equal(run.stdout, "shebang ['a', 'b']\n");
  });
});

test('env options record does not run itself: a clear error', async () => {
  const run = await runPyrometer(['record', '--', '/usr/bin/env', '-i', 'python3', '-c', 'pass']);
  try {
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^pyrometer: env -i: pyrometer record runs env's command itself/);
  } finally {
    removeDir(run.dir);
  }
});

/**
 * `pyrometer record -- python3 'caf\xe9.py' 'x\xff'` through sh's printf: Node cannot spawn
 * with argv bytes that are not UTF-8, a shell can.
 */
function recordWithBytes(python: string, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = 'const { main } = await import(process.env.PYROMETER_MAIN); process.exitCode = await main(process.argv.slice(1));';
  const env = {
    ...process.env,
    PYROMETER_MAIN: new URL('../../src/cli/main.ts', import.meta.url).href,
    TSX: new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href,
    NODE: process.execPath,
    SCRIPT: script,
    PY: python,
  };
  // no --in-process: record takes the agent itself for such arguments
  const sh = `exec "$NODE" --import "$TSX" --input-type=module -e "$SCRIPT" record -o out.prof -- "$PY" "$(printf 'caf\\351.py')" "$(printf 'x\\377')"`;
  const child = spawn('/bin/sh', ['-c', sh], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

for (const python of INTERPRETERS) {
  test(`${python}: a script named in Latin-1 with a non-UTF-8 argument runs, argv as bytes end to end`, async () => {
    const dir = scratchDir();
    try {
      copyFileSync(program('argv_echo.py'), Buffer.concat([Buffer.from(`${dir}/`), Buffer.from('caf\xe9.py', 'latin1')]));
      const recorded = await recordWithBytes(python, dir);
      const plain = spawnSync('/bin/sh', ['-c', `"$PY" "$(printf 'caf\\351.py')" "$(printf 'x\\377')"`], {
        cwd: dir,
        env: { ...process.env, PY: python },
      });
      assert.equal(recorded.code, 0, recorded.stderr);
      assert.equal(recorded.stdout, plain.stdout.toString('latin1'));
      assert.equal(recorded.stdout, "[b'caf\\xe9.py', b'x\\xff']\nb'caf\\xe9.py'\n");
      await readProfile(join(dir, 'out.prof'));
    } finally {
      removeDir(dir);
    }
  });
}

test("pypy3 --wall --lines: what PyPy's _vmprof cannot do is said, one line each, not dropped silently", async () => {
  const run = await runPyrometer(['record', '--wall', '--lines', '-o', 'out.prof', '--', 'pypy3', dataPath('sleeper.py')]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'out.prof'));
    // PyPy 7.3.11: enable(lines=1) is accepted, no LINES flag is written; no insert_real_time_thread
    assert.equal(profile.meta.flags.includes('lines'), false);
    assert.match(run.stderr, /note: --lines: this PyPy's _vmprof \(Python 3\.\d+\.\d+\) records no line numbers/);
    assert.equal(profile.threads.length, 1);
    // sleeper.py starts a thread: the summary says _vmprof sampled the main thread only (pypy.test.ts)
    assert.match(run.stderr, /note: --wall on PyPy: _vmprof sampled only the main thread, not the threads the program started/);
  } finally {
    removeDir(run.dir);
  }
});
