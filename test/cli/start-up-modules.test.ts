/**
 * Start-up (issue 18): a command loads only what it uses. Each case runs the CLI in a child
 * process that lists every module it loaded (loaded-modules.ts) and checks what must stay out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixture, projectRoot } from '../helpers.js';

const RUNNER = fileURLToPath(new URL('./loaded-modules.ts', import.meta.url));

function loadedBy(args: string[]): { stdout: string; modules: string[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, ...args], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  assert.ok(line, `no module list in: ${r.stderr}`);
  return {
    stdout: r.stdout,
    modules: (JSON.parse(line.slice('LOADED '.length)) as string[]).map((u) => u.replace(`file://${projectRoot}/`, '')),
  };
}

const HEAVY_PACKAGES = ['protobufjs', 'fflate', 'fastify', 'pg', 'better-sqlite3', '@clickhouse', 'cli-progress'];

function assertNone(modules: string[], prefixes: string[]): void {
  const found = modules.filter((m) => prefixes.some((p) => m.startsWith(p)));
  assert.deepEqual(found, [], 'loaded but not used');
}

test('--version loads no command, reader, sampler, server or heavy package', () => {
  const { stdout, modules } = loadedBy(['--version']);
  assert.match(stdout, /^\d+\.\d+\.\d+/);
  assert.ok(modules.includes('src/cli/main.ts'), 'the list is the real one');
  assertNone(modules, [
    ...HEAVY_PACKAGES.map((p) => `node_modules/${p}/`),
    'src/cli/show.ts',
    'src/cli/record.ts',
    'src/capture/recorder.ts',
    'src/capture/outside/',
    'src/formats/load.ts',
    'src/formats/all.ts',
    'src/formats/vmprof/',
    'src/formats/stream-chunk.ts',
    'src/formats/vmprof/parser.ts',
    'src/capture/outside/',
    'src/report/flat.ts',
    'src/report/diff.ts',
    'src/server/app.ts',
  ]);
});

test('info of a VMProf file loads the VMProf reader only: not the other readers, protobufjs or fflate', () => {
  const { stdout, modules } = loadedBy(['info', fixture('vmprof/pypy-wordcount-opt.prof')]);
  assert.match(stdout, /vmprof/i);
  assert.ok(modules.includes('src/formats/vmprof/parser.ts'));
  assertNone(modules, [
    ...HEAVY_PACKAGES.map((p) => `node_modules/${p}/`),
    'src/formats/all.ts',
    'src/formats/pprof/',
    'src/formats/pstats/',
    'src/formats/jitlog/',
    'src/formats/pypylog/',
    'src/cli/record.ts',
    'src/capture/recorder.ts',
    'src/capture/outside/',
  ]);
});

/** Every reader module but the one a file needs: what sniffing through formats/catalog.ts must not load. */
const OTHER_READERS = [
  'src/formats/all.ts',
  'src/formats/vmprof/parser.ts',
  'src/formats/pstats/index.ts',
  'src/formats/pprof/index.ts',
  'src/formats/speedscope.ts',
  'src/formats/collapsed.ts',
  'src/formats/callgrind/index.ts',
  'src/formats/firefox/index.ts',
  'src/formats/chrome.ts',
  'src/formats/trace-event.ts',
  'src/formats/perf/index.ts',
  'src/formats/jitlog/index.ts',
  'src/formats/pypylog/index.ts',
];

for (const [file, format, reader] of [
  ['cprofile/cprofile-python3-wordcount.pstats', /pstats/i, 'src/formats/pstats/index.ts'],
  ['speedscope/simple.speedscope.json', /speedscope/i, 'src/formats/speedscope.ts'],
] as const) {
  test(`info of ${file} loads its reader only: not the other readers, protobufjs or fflate`, () => {
    const { stdout, modules } = loadedBy(['info', fixture(file)]);
    assert.match(stdout, format);
    assert.ok(modules.includes(reader), `${reader} loaded`);
    assertNone(modules, [
      ...HEAVY_PACKAGES.map((p) => `node_modules/${p}/`),
      ...OTHER_READERS.filter((m) => m !== reader),
      'src/cli/record.ts',
      'src/capture/outside/',
    ]);
  });
}

test('info of a gzipped pprof file loads protobufjs (the checks above can fail)', () => {
  const { stdout, modules } = loadedBy(['info', fixture('pprof/simple.pb.gz')]);
  assert.match(stdout, /pprof/i);
  assert.ok(modules.some((m) => m.startsWith('node_modules/protobufjs/')));
  assert.ok(!modules.includes('src/formats/all.ts'));
});
