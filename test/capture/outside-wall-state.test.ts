/**
 * Wall mode's idle mark on a CPU shared with a busy process, forced: the program and a spinning
 * hog are pinned to the same CPU, so the program's computing thread is runnable all the time but
 * on the CPU about half of it, and its CPU time (schedstat's, which moves at scheduler ticks)
 * often reads 0 over one look. The mark must come from the kernel's state at the look: the
 * computing thread busy, the sleeping one idle. (Deciding by the CPU used since the last look
 * called 15-45% of the computing thread's looks idle here; docs/performance.md.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { dataPath, readProfile, removeDir, runPyrometer } from './run.js';

test('wall mode on a shared CPU: a starved computing thread is busy, a sleeping one idle', async () => {
  const hog = spawn('python3', ['-c', 'import os\nos.sched_setaffinity(0, {0})\nwhile True: pass'], { stdio: 'ignore' });
  try {
    const run = await runPyrometer(
      ['record', '--wall', '--rate', '200', '-o', 'w.prof', '--', 'python3', dataPath('outside/starved.py'), '2'],
      {
        env: { PIN_CPU: '0' },
      },
    );
    try {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'done\n');
      const profile = await readProfile(join(run.dir, 'w.prof'));
      const share = (name: string) => {
        const t = profile.threads.findIndex((th) => th.name === name);
        assert.ok(t >= 0, `threads: ${profile.threads.map((th) => th.name)}`);
        const all = totalWeight(stackWeights(profile, { threads: [t] }));
        assert.ok(all > 100, `${name}: ${all} periods`);
        return totalWeight(stackWeights(profile, { threads: [t], hideIdle: true })) / all;
      };
      const main = share('MainThread');
      const napper = share('napper');
      assert.ok(main >= 0.9, `the computing thread is busy ${(100 * main).toFixed(1)}% of its looks`);
      assert.ok(napper <= 0.1, `the sleeping thread is busy ${(100 * napper).toFixed(1)}% of its looks`);
    } finally {
      removeDir(run.dir);
    }
  } finally {
    hog.kill('SIGKILL');
  }
});
