/**
 * Our speedscope, collapsed and pprof output, imported by speedscope itself.
 *
 * speedscope ships only a browser bundle (node_modules/speedscope/dist/release),
 * so this runs it in headless Chromium: the page is opened the way speedscope's
 * own CLI opens it (`#localProfilePath=...`, which defines
 * `window.speedscope.loadFileFromBase64`), our file goes through its importer
 * (its console says which one it picked), and then its "Export" button saves
 * what it understood as a speedscope JSON download. Reading that back must give
 * the stacks and totals we wrote.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testData, fixtureBytes } from '../helpers.js';
import { writeSpeedscope } from '../../src/formats/speedscope.js';
import { SpeedscopeImporter, viewerTotal } from './speedscope-harness.js';
import { loadProfile } from '../../src/formats/load.js';
import { writeCollapsed } from '../../src/formats/collapsed.js';
import { writePprof } from '../../src/formats/pprof/index.js';
import { readAustin } from '../../src/formats/austin.js';
import { readPstats } from '../../src/formats/pstats/index.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { assertSameStacks, stackMultiset, toBaseUnit } from './format-helpers.js';
import { syntheticProfile } from './writer-profiles.js';

const speedscope = new SpeedscopeImporter();

before(() => speedscope.start());
after(() => speedscope.stop());

/** Loads a file into speedscope, returns the importer it chose and speedscope's own export of the result. */
async function importWithSpeedscope(fileName: string, content: string | Uint8Array): Promise<{ importer: string; exported: Profile }> {
  const { importer, exported, errors } = await speedscope.import(fileName, content);
  assert.deepEqual(errors, [], 'no errors in speedscope');
  assert.ok(exported, 'speedscope exported a profile');
  return { importer, exported };
}

/** Function-name stacks -> weight in base units (speedscope's pprof import drops files and lines from frame keys it shows). */
function nameStacks(p: Profile): Map<string, number> {
  const names: string[] = [];
  const scale = toBaseUnit(p.meta.weightUnit);
  const out = new Map<string, number>();
  for (let s = 0; s < p.stacks.length; s++) {
    const pre = p.stacks.prefix[s];
    const n = funcName(p, p.frames.func[p.stacks.frame[s]]);
    names[s] = pre < 0 ? n : `${names[pre]};${n}`;
  }
  for (const t of p.threads)
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0 && t.samples.weight[i] > 0) out.set(names[s], (out.get(names[s]) ?? 0) + t.samples.weight[i] * scale);
    }
  return out;
}

const profiles: [string, () => Profile][] = [
  ['synthetic (two threads, hostile names)', syntheticProfile],
  ['austin wall (three threads, us)', () => readAustin(new Uint8Array(readFileSync(testData('formats/austin/wall.austin'))))],
  ['pstats (fractional ms)', () => readPstats(fixtureBytes('cprofile/cprofile-python3-primes.pstats'))],
];

for (const [label, make] of profiles) {
  test(`speedscope imports our speedscope JSON: ${label}`, async () => {
    const profile = make();
    const { importer, exported } = await importWithSpeedscope('out.speedscope.json', writeSpeedscope(profile));
    assert.equal(importer, 'speedscope json file');
    // Every thread is a profile in speedscope, with our names, frames, files, lines and weights.
    assert.deepEqual(
      exported.threads.map((t) => t.name),
      profile.threads.map((t) => (t.name || `thread ${t.id}`) + (t.processId ? ` (pid ${t.processId})` : '')),
    );
    assertSameStacks(stackMultiset(exported), stackMultiset(profile), 1e-9);
  });

  test(`speedscope imports our collapsed stacks: ${label}`, async () => {
    const profile = make();
    const text = writeCollapsed(profile);
    const { importer, exported } = await importWithSpeedscope('out.collapsed.txt', text);
    assert.equal(importer, 'collapsed stack format');
    // speedscope keeps each `name (file:line)` label as one frame name: compare label stacks.
    // Our writer makes counts integers (fractional ms -> us), so compare with the written counts.
    const expected = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^(.*) (\d+)$/s.exec(line);
      if (m) expected.set(m[1], (expected.get(m[1]) ?? 0) + Number(m[2]));
    }
    assertSameStacks(stackMultiset(exported, 1), expected);
  });
}

test('speedscope imports our pprof (gzip protobuf)', async () => {
  for (const profile of [syntheticProfile(), readAustin(new Uint8Array(readFileSync(testData('formats/austin/wall.austin'))))]) {
    const { importer, exported } = await importWithSpeedscope('out.pb.gz', writePprof(profile));
    assert.equal(importer, 'protobuf encoded pprof file');
    // speedscope reads pprof's default sample type (cpu/nanoseconds here), all threads as one profile.
    assert.equal(exported.threads.length, 1);
    assert.equal(exported.meta.weightUnit, 'ms');
    const expected = nameStacks(profile);
    const scale = profile.meta.weightUnit === 'samples' ? profile.meta.interval : 1;
    assertSameStacks(nameStacks(exported), new Map([...expected].map(([k, w]) => [k, w * scale])), 1e-6);
  }
});

// Files of the formats we read that speedscope reads too: the totals it shows must be ours.
// (Chrome CPU profiles are not here: speedscope gives a profile's last sample no time, we give it
// the time to the profile's end; docs/formats.md says so.)
const sameTotals: [string, string][] = [
  ['trace-event/node-trace-events.json', 'Trace Event Format profile'],
  ['node/node-heap-prof.heapprofile', 'Chrome Heap Profile'],
];
for (const [file, expectedImporter] of sameTotals) {
  test(`speedscope shows the totals we read: ${file}`, async () => {
    const path = testData(`formats/${file}`);
    const ours = await loadProfile(path);
    const { importer, exported } = await importWithSpeedscope(file.split('/').pop()!, new Uint8Array(readFileSync(path)));
    assert.equal(importer, expectedImporter);
    const theirs = viewerTotal(exported);
    assert.ok(theirs > 0);
    assert.ok(Math.abs(viewerTotal(ours) - theirs) <= 1e-3 * theirs, `ours ${viewerTotal(ours)}, speedscope ${theirs}`);
  });
}
