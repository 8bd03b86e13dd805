import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadProfile } from '../../src/formats/load.js';
import { allFormats } from '../../src/formats/all.js';
import { stackWeights, totalWeight } from '../../src/model/analysis.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { fixture } from '../helpers.js';
import { validateFirefoxProfile } from '../formats/firefox-schema.js';
import { syntheticProfile } from '../formats/writer-profiles.js';
import { runCli, spawnCli, stopCli } from './run.js';

let dir = '';
const file = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-convert-'));
  symlinkSync(fixture('vmprof/pypy-wordcount.prof'), file('run.prof'));
  symlinkSync(fixture('pypy/pypy-wordcount.prof.jit'), file('run.prof.jit'));
  symlinkSync(fixture('pypy/pypy-wordcount.pypylog'), file('run.pypylog'));
  writeFileSync(file('synthetic.model'), serializeProfile(syntheticProfile()));
  const corrupt = Buffer.from(readFileSync(fixture('vmprof/example.prof')));
  corrupt.fill(0xee, 3000, 3050);
  writeFileSync(file('corrupt.prof'), corrupt);
});
after(() => {
  stopCli();
  rmSync(dir, { recursive: true, force: true });
});

/** No temporary or partial outputs are left in the directory. */
function assertNoLeftovers(): void {
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('.tmp')),
    [],
  );
}

test('--list-formats prints every format with read and write columns', async () => {
  const { code, stdout, stderr } = await runCli(['convert', '--list-formats']);
  assert.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0], /^FORMAT\s+READ\s+WRITE\s+FILE NAMES\s+DESCRIPTION$/);
  for (const f of allFormats()) {
    const row = lines.find((l) => l.startsWith(`${f.name} `));
    assert.ok(row, f.name);
    const [, read, write] = row.split(/\s+/);
    assert.equal(read, f.read || f.readStream ? 'yes' : '-', `${f.name} read`);
    assert.equal(write, f.write ? 'yes' : '-', `${f.name} write`);
  }
  for (const name of ['firefox', 'dot', 'svg', 'callgrind']) assert.match(stdout, new RegExp(`^${name}\\s+\\S+\\s+yes`, 'm'));
});

test('PyPy profile + side files -> Firefox Profiler JSON with the PYPYLOG markers', async () => {
  const { code, stderr } = await runCli(['convert', file('run.prof'), '-o', file('run.firefox.json')]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^pyrometer: wrote .*run\.firefox\.json \(firefox, [\d.]+ KiB, with run\.prof\.jit and run\.pypylog\)$/m);
  const json = JSON.parse(readFileSync(file('run.firefox.json'), 'utf8'));
  assert.deepEqual(validateFirefoxProfile(json), []);
  assert.ok(json.threads[0].markers.length > 100);
  const plain = await runCli(['convert', file('run.prof'), '-o', file('plain.firefox.json'), '--no-side-files']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(JSON.parse(readFileSync(file('plain.firefox.json'), 'utf8')).threads[0].markers.length, 0);
  assertNoLeftovers();
});

test('the output name picks the writer; readable outputs load back with the same total', async () => {
  const source = await loadProfile(fixture('vmprof/pypy-wordcount.prof'));
  const expected = totalWeight(stackWeights(source));
  const outputs: [string, string][] = [
    ['run.dot', 'dot'],
    ['run.svg', 'svg'],
    ['run.callgrind', 'callgrind'],
    ['run.speedscope.json', 'speedscope'],
    ['run.pb.gz', 'pprof'],
    ['run.collapsed', 'collapsed'],
    ['again.prof', 'vmprof'],
  ];
  for (const [name, format] of outputs) {
    const { code, stderr } = await runCli(['convert', file('run.prof'), '-o', file(name), '--no-side-files']);
    assert.equal(code, 0, `${name}: ${stderr}`);
    assert.match(stderr, new RegExp(`\\(${format}, `), name);
    const bytes = readFileSync(file(name));
    assert.ok(bytes.length > 0, name);
    if (format === 'dot') {
      const r = spawnSync('dot', ['-Tsvg', file(name)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } else if (format === 'svg') {
      const r = spawnSync('xmllint', ['--noout', file(name)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } else {
      const back = await loadProfile(file(name));
      // Time-weighted formats (pprof) carry the samples as durations: samples x the sampling interval.
      const got = totalWeight(stackWeights(back));
      const msPer: Record<string, number> = { ms: 1, us: 1e-3, ns: 1e-6 };
      const unit = back.meta.weightUnit;
      if (unit === 'samples') assert.equal(got, expected, name);
      else {
        assert.ok(unit in msPer, `${name}: unit ${unit}`);
        assert.ok(
          Math.abs(got * msPer[unit] - expected * source.meta.interval) < 1e-6 * expected,
          `${name}: ${got} ${unit} for ${expected} samples`,
        );
      }
    }
  }
  assertNoLeftovers();
});

test('--to overrides the name, .gz compresses, -o - writes to standard output', async () => {
  let r = await runCli(['convert', file('run.prof'), '-o', file('graph.txt'), '--to', 'dot', '--no-side-files']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(file('graph.txt'), 'utf8'), /^digraph \{/);

  r = await runCli(['convert', file('run.prof'), '-o', file('run.firefox.json.gz'), '--no-side-files']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(gunzipSync(readFileSync(file('run.firefox.json.gz'))).toString('utf8'));
  assert.deepEqual(validateFirefoxProfile(json), []);

  r = await runCli(['convert', file('run.prof'), '-o', '-', '--to', 'dot', '--no-side-files']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^digraph \{\n/);
  assert.equal(r.stderr, '');
});

test('--thread and format options reach the writers', async () => {
  let r = await runCli(['convert', file('synthetic.model'), '-o', file('worker.firefox.json'), '--thread', 'worker <&>']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(readFileSync(file('worker.firefox.json'), 'utf8'));
  assert.deepEqual(
    json.threads.map((t: { name: string }) => t.name),
    ['worker <&>'],
  );

  r = await runCli(['convert', file('synthetic.model'), '-o', file('all.dot'), '--node-thres', '0', '--edge-thres', '0']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['convert', file('synthetic.model'), '-o', file('big.dot'), '--node-thres', '20']);
  assert.equal(r.code, 0, r.stderr);
  const nodes = (name: string) => (readFileSync(file(name), 'utf8').match(/^\tf\d+ \[/gm) ?? []).length;
  assert.ok(nodes('big.dot') < nodes('all.dot') && nodes('big.dot') > 0, `${nodes('big.dot')} < ${nodes('all.dot')}`);

  r = await runCli(['convert', file('synthetic.model'), '-o', file('titled.svg'), '--title', 'Run <1> & "two"', '--min-width', '5']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(file('titled.svg'), 'utf8'), /<text id="title"[^>]*>Run &lt;1&gt; &amp; &quot;two&quot;<\/text>/);
});

test('mistakes are one-line errors with hints, and leave no output behind', async () => {
  const cases: [string[], number, RegExp][] = [
    [
      ['convert', file('run.prof'), '-o', file('out.weird')],
      2,
      /cannot tell the output format from the name "out\.weird"; add --to <format> \(one of: .*firefox/,
    ],
    [['convert', file('run.prof'), '-o', file('out.x'), '--to', 'pstats'], 2, /pstats can only be read; pyrometer writes: /],
    [['convert', file('run.prof'), '-o', file('out.x'), '--to', 'nonsense'], 2, /--to: no format called "nonsense"/],
    [['convert', file('missing.prof'), '-o', file('out.dot')], 1, /missing\.prof: no such file/],
    [['convert', file('run.prof'), '-o', file('run.prof'), '--to', 'vmprof'], 2, /is the input file/],
    [['convert', file('run.prof'), '-o', join(dir, 'no', 'such', 'out.dot')], 1, /does not exist/],
    [['convert', file('run.prof')], 2, /needs an output file: -o <file>/],
    [['convert', file('run.prof'), '-o', file('out.dot'), '--node-thres', 'lots'], 2, /--node-thres takes a percentage/],
    [['convert', file('corrupt.prof'), '-o', file('corrupt.dot')], 1, /corrupt\.prof: vmprof: /],
    [['convert', file('synthetic.model'), '-o', file('t.dot'), '--thread', 'nobody'], 2, /no thread "nobody"/],
  ];
  for (const [args, expectedCode, pattern] of cases) {
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, expectedCode, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
    assert.match(stderr, pattern);
  }
  for (const name of ['out.weird', 'out.x', 'out.dot', 'corrupt.dot', 't.dot']) assert.equal(existsSync(file(name)), false, name);
  assertNoLeftovers();
});

test('as its own process: exit code 0 and one line on stderr', () => {
  const r = spawnCli(['convert', file('run.prof'), '-o', file('spawned.svg')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^pyrometer: wrote .*spawned\.svg \(svg, /);
});
