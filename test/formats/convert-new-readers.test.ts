/**
 * `convert` from every reader added for issue 19 to every writer: the output
 * is written (through the same writeOutput the CLI uses), sniffs as its
 * format, and where that format reads back, the total weight survives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { testData } from '../helpers.js';
import { allFormats, sniffFormat } from '../../src/formats/all.js';
import { loadProfile } from '../../src/formats/load.js';
import { writeOutput } from '../../src/cli/convert.js';
import { firefoxProfileTree } from '../../src/formats/firefox/index.js';
import { jsonText } from '../../src/formats/json-chunks.js';
import { writeFileSync } from 'node:fs';
import { syntheticProfile } from './writer-profiles.js';
import { stackMultiset } from './format-helpers.js';

const inputs: [string, string][] = [
  ['trace-event', 'formats/trace-event/node-trace-events.json'],
  ['chrome', 'formats/trace-event/chromium-devtools-trace.json.gz'],
  ['heapprofile', 'formats/node/node-heap-prof.heapprofile'],
  ['v8log', 'formats/node/node-prof.v8.log.gz'],
  ['pyinstrument', 'formats/pyinstrument/work.pyisession'],
  ['pyinstrument', 'formats/pyinstrument/work.html'],
  ['lprof', 'formats/lprof/work.py311.lprof'],
  ['callgrind', 'formats/callgrind/true.compress-pos.callgrind.out.gz'],
];

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

test('convert: every new reader to every writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-convert-'));
  try {
    const firefoxFile = join(dir, 'synthetic.firefox.json');
    writeFileSync(firefoxFile, jsonText(firefoxProfileTree(syntheticProfile())));
    const all: [string, string][] = [...inputs.map(([f, p]) => [f, testData(p)] as [string, string]), ['firefox', firefoxFile]];
    const writers = allFormats().filter((f) => f.write);
    assert.ok(writers.length >= 6, writers.map((w) => w.name).join());
    for (const [formatName, path] of all) {
      const profile = await loadProfile(path);
      assert.equal(profile.meta.format, formatName, path);
      for (const writer of writers) {
        const out = join(dir, `out.${writer.extensions[0]}`);
        const bytes = await writeOutput(profile, writer, out, {});
        assert.ok(bytes > 0, `${formatName} -> ${writer.name}: empty`);
        let written = new Uint8Array(readFileSync(out));
        if (written[0] === 0x1f && written[1] === 0x8b) written = new Uint8Array(gunzipSync(written));
        if (!writer.read && !writer.readStream) continue;
        assert.equal(
          sniffFormat(written.subarray(0, 65536), out)?.name,
          writer.name,
          `${formatName} -> ${writer.name} sniffs as ${writer.name}`,
        );
        const back = await loadProfile(out);
        // In ms for time (a sample counts one interval), else in the profile's own unit.
        const inBase = (p: typeof profile) =>
          total(stackMultiset(p)) *
          (p.meta.weightUnit === 'samples' && p.meta.interval > 0 && profile.meta.weightUnit !== 'samples' ? p.meta.interval : 1);
        const before = inBase(profile);
        const after = inBase(back);
        if (profile.meta.weightUnit === 'bytes' && back.meta.weightUnit !== 'bytes') {
          assert.ok(after > 0, `${formatName} -> ${writer.name}: nothing read back`);
          continue;
        }
        // Collapsed stacks carry bare counts (time as integer us), and VMProf rounds each sample's
        // weight to whole periods (a 0.68 ms sample of a 0.51 ms period is one): only that something came back.
        if (writer.name === 'collapsed' || writer.name === 'vmprof') {
          assert.ok(after > 0 || before === 0, `${formatName} -> ${writer.name}: nothing read back`);
          continue;
        }
        // Integer or per-sample formats round each stack's weight; real-valued ones keep it.
        const quantized = ['callgrind', 'pstats', 'pprof'].includes(writer.name);
        const tolerance = quantized ? 0.02 * before + 1 : 1e-6 * Math.max(1, before);
        assert.ok(Math.abs(after - before) <= tolerance, `${formatName} -> ${writer.name}: ${after} vs ${before}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
