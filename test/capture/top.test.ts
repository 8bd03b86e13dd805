/**
 * `pyrometer top PID` end to end on a real CPython: a fixed number of refreshes (`-n`), printed
 * without screen clearing when stdout is not a terminal, the hot function first, idle threads
 * counted in --wall, an exit of its own when the process ends, and one-line errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dataPath, removeDir, runPyrometer } from './run.js';

/** The target, started and past its "ready" line (both threads running). */
function startTarget(): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn('python3', [dataPath('outside/top_target.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve(child);
    });
    child.once('exit', () => reject(new Error('the target ended early')));
  });
}

/** The refreshes of a non-terminal run: each starts with its header line. */
function refreshes(stdout: string): { header: string; rows: string[] }[] {
  return stdout
    .split(/^(?=pyrometer top: )/m)
    .filter((block) => block.startsWith('pyrometer top: '))
    .map((block) => {
      const lines = block.trimEnd().split('\n');
      return { header: lines[0], rows: lines.slice(lines.indexOf('  %Own   %Total  Function (file:line)') + 1) };
    });
}

test('top -n 2: two refreshes, plain text, the computing function first; --wall counts the waiting threads as idle', async () => {
  const target = await startTarget();
  try {
    const cpu = await runPyrometer(['top', String(target.pid), '-n', '2']);
    assert.equal(cpu.code, 0, cpu.stderr);
    assert.equal(cpu.stderr, '');
    assert.doesNotMatch(cpu.stdout, /\x1b/, 'no screen clearing when stdout is not a terminal');
    const blocks = refreshes(cpu.stdout);
    assert.equal(blocks.length, 2, cpu.stdout);
    for (const { header, rows } of blocks) {
      assert.match(header, new RegExp(`^pyrometer top: process ${target.pid}, Python 3\\.[\\d.]+ · \\d+ samples in the last second`));
      assert.match(rows[0], /^\s+\d+\.\d\s+\d+\.\d\s+spin_here \(.*top_target\.py:11\)$/, rows.join('\n'));
    }
    // CPU time: the napper and the reading main thread use next to none
    assert.doesNotMatch(blocks[1].header, /idle/);
    const wall = await runPyrometer(['top', String(target.pid), '--wall', '--once']);
    assert.equal(wall.code, 0, wall.stderr);
    const [only] = refreshes(wall.stdout);
    assert.ok(only, wall.stdout);
    assert.match(only.header, /\((\d+) idle\) · 3 threads/);
    assert.match(only.rows[0], /spin_here/);
    removeDir(cpu.dir);
    removeDir(wall.dir);
  } finally {
    target.kill('SIGKILL');
  }
});

test('top without -n: refreshes until the process ends, then exits by itself', async () => {
  const target = await startTarget();
  const exited = new Promise((resolve) => target.once('exit', resolve));
  try {
    // the target ends (its stdin closed) once top has printed a refresh
    const run = await runPyrometer(['top', String(target.pid)], { when: { stdout: '%Own', then: () => target.stdin.end() } });
    await exited;
    assert.equal(run.code, 0, run.stderr);
    assert.ok(refreshes(run.stdout).length >= 1, run.stdout);
    removeDir(run.dir);
  } finally {
    target.kill('SIGKILL');
  }
});

test('top: a process that does not exist, or is not Python, is one line and exit code 1', async () => {
  const none = await runPyrometer(['top', '999999999', '--once']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'pyrometer: no such process: 999999999\n');
  const bad = await runPyrometer(['top', '1234', '-n', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--iterations takes a whole number above 0, not "0"/);
  removeDir(none.dir);
  removeDir(bad.dir);
});
