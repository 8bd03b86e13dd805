/**
 * PyPy in depth, on real recordings made here with `record --jitlog --pypylog`: the PYPYLOG's
 * phases at their real times (the clocks `record` writes beside the profile), and where each
 * function's time went (JIT code, interpreter, GC, compiling, native).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadWithSideFiles } from '../../src/formats/sidefiles.js';
import type { PypyLogTiming } from '../../src/formats/pypylog/index.js';
import { profileDuration, type Profile } from '../../src/model/profile.js';
import { testData } from '../helpers.js';
import { removeDir, runPyrometer, scratchDir } from './run.js';

interface Recorded {
  profile: Profile;
  stdout: string;
}

async function recordPyPy(dir: string, program: string): Promise<Recorded> {
  const out = `${program}.prof`;
  const run = await runPyrometer(['record', '--jitlog', '--pypylog', '-o', out, '--', 'pypy3', testData(`capture/pypy-time/${program}.py`)], {
    cwd: dir,
  });
  assert.equal(run.code, 0, run.stderr);
  return { profile: await loadWithSideFiles(join(dir, out)), stdout: run.stdout };
}

/** The program's own Unix-clock mark `name <seconds>`, in ms from the profile's start. */
function programMark(r: Recorded, name: string): number {
  const m = new RegExp(`^${name} (\\d+\\.\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m, `the program printed its ${name} time: ${r.stdout}`);
  return Number(m[1]) * 1000 - r.profile.meta.startTime;
}

function markersNamed(p: Profile, name: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const t of p.threads) {
    for (let i = 0; i < t.markers.length; i++) {
      if (p.strings[t.markers.name[i]] === name) out.push({ start: t.markers.start[i], end: t.markers.end[i] });
    }
  }
  return out;
}

describe('PyPy recordings with --jitlog --pypylog', () => {
  let dir = '';
  let gcRun: Recorded;

  before(async () => {
    dir = scratchDir();
    gcRun = await recordPyPy(dir, 'gc_collect');
  });

  after(() => removeDir(dir));

  test('gc.collect() at a known moment: a major collection is drawn there, within 5% of the run', () => {
    const p = gcRun.profile;
    const timing = p.attachments.pypylogTiming as PypyLogTiming;
    assert.equal(timing.source, 'clock', 'record wrote both clocks beside the profile');
    assert.ok(!p.meta.warnings.some((w) => /approximate/.test(w)), `no approximate-timing warning: ${p.meta.warnings}`);
    const run = profileDuration(p);
    const collect = programMark(gcRun, 'collect');
    const collected = programMark(gcRun, 'collected');
    assert.ok(collect > 0 && collected <= run, `gc.collect() ran at ${collect}-${collected} ms of a ${run} ms run`);
    // gc.collect() finishes a major collection: its last step ends in gc-collect-done
    const done = markersNamed(p, 'gc-collect-done');
    assert.ok(done.length > 0, 'the log has major collections');
    const nearest = done.reduce((a, b) => (Math.abs(b.start - collected) < Math.abs(a.start - collected) ? b : a));
    assert.ok(
      nearest.start >= collect - 0.05 * run && nearest.start <= collected + 0.05 * run,
      `major collection done at ${nearest.start} ms; gc.collect() ran ${collect}-${collected} ms of ${run} ms`,
    );
    // and its steps are there too, inside the call
    const steps = markersNamed(p, 'gc-collect-step').filter((s) => s.end >= collect - 0.05 * run && s.start <= collected + 0.05 * run);
    assert.ok(steps.length > 0, 'major collection steps during gc.collect()');
  });
});
