/**
 * vmprof's command line under `pyrometer record`: every vmprof flag resolves to the same
 * recording as its pyrometer spelling (a table), vmprof's --config INI fills in what the command
 * line left out, `python -m vmprof …` gets the equivalent command, and one real recording per
 * spelling pair shows the flags reach the agent (the same META).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  defineRecordOptions,
  resolveRecordOptions,
  type RecordCliOptions,
  type ResolvedRecordOptions,
} from '../../src/cli/record-options.js';
import { parseTargetCommand, vmprofModuleHint } from '../../src/capture/command.js';
import { loadProfile } from '../../src/formats/load.js';
import { removeDir, runPyrometer } from './run.js';
import { testData } from '../helpers.js';

/** What `pyrometer record ARGS -- python3 app.py` would record with, as record.ts resolves it. */
function resolveArgs(args: string[], env: NodeJS.ProcessEnv = {}): ResolvedRecordOptions {
  const command = defineRecordOptions(
    new Command('record')
      .argument('<command...>')
      .exitOverride()
      .configureOutput({ outputError: () => {} }),
  );
  command.parse([...args, '--', 'python3', 'app.py'], { from: 'user' });
  const opts = command.opts<RecordCliOptions>();
  return resolveRecordOptions(opts, (name) => command.getOptionValueSource(name) === 'cli', env);
}

const scratch = mkdtempSync(join(tmpdir(), 'pyrometer-vmprof-cli-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const ini = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

const SERVER = { PYROMETER_SERVER: 'http://profiles.example:8000' };

// [vmprof spelling, pyrometer spelling, environment]
const TABLE: [string[], string[], NodeJS.ProcessEnv?][] = [
  [['-r'], ['--wall']],
  [['--real-time'], ['--wall']],
  [
    ['--period', '0.01'],
    ['--rate', '100'],
  ],
  [
    ['-p', '0.002'],
    ['--rate', '500'],
  ],
  [['--period=0.00099'], ['--rate', String(1 / 0.00099)]],
  [['--mem'], ['--mem']],
  [['--lines'], ['--lines']],
  [['--jitlog'], ['--jitlog']],
  [
    ['-o', 'x.prof'],
    ['--output', 'x.prof'],
  ],
  [['--no-native'], ['-n']],
  [['--web'], ['--upload', SERVER.PYROMETER_SERVER], SERVER],
  [['--web', '--web-auth', 'tok'], ['--upload', SERVER.PYROMETER_SERVER, '--token', 'tok'], SERVER],
  [
    ['--web-url', 'http://h:1'],
    ['--upload', 'http://h:1'],
  ],
  [
    ['--web', '--web-url', 'http://h:1', '--web-auth', 't'],
    ['--upload', 'http://h:1', '--token', 't'],
  ],
  [
    ['-r', '--period', '0.01', '--mem', '--lines'],
    ['--wall', '--rate', '100', '--mem', '--lines'],
  ],
  [
    [
      '--config',
      ini(
        'all.ini',
        '[global]\nperiod = 0.005\nmem = true\nlines = yes\nno-native = 1\noutput = c.prof\nweb-url = http://h:2\nweb-auth = k\n',
      ),
    ],
    ['--rate', '200', '--mem', '--lines', '--no-native', '-o', 'c.prof', '--upload', 'http://h:2', '--token', 'k'],
  ],
  // the command line wins over the file, as in vmprof
  [
    ['--config', ini('some.ini', '[global]\nperiod: 0.005\nmem = false\n; a comment\n'), '--period', '0.01', '--mem'],
    ['--rate', '100', '--mem'],
  ],
  [['--config', ini('web.ini', '[global]\nweb = 1\n')], ['--upload', SERVER.PYROMETER_SERVER], SERVER],
];

test('every vmprof flag records what its pyrometer spelling records', () => {
  for (const [vmprof, ours, env] of TABLE) {
    const a = resolveArgs(vmprof, env);
    const b = resolveArgs(ours, env);
    assert.deepEqual(a, b, `${vmprof.join(' ')} = ${ours.join(' ')}`);
  }
  // and the spellings mean something: not everything resolving to the defaults
  assert.equal(resolveArgs(['-r']).record.wall, true);
  assert.equal(resolveArgs(['--period', '0.01']).rate, 100);
  assert.equal(resolveArgs(['--no-native']).record.native, false);
  assert.equal(resolveArgs([]).record.native, undefined);
  assert.equal(resolveArgs([]).rate, 1000);
  assert.deepEqual(resolveArgs(['--web-url', 'http://h:1', '--web-auth', 't']).upload, { server: 'http://h:1', token: 't' });
  assert.equal(resolveArgs([]).upload, undefined);
});

test('vmprof flags: clear errors for what cannot work', () => {
  assert.throws(() => resolveArgs(['--web']), /PYROMETER_SERVER.*--web-url/);
  assert.throws(() => resolveArgs(['--period', 'abc']), /--period must be seconds/);
  assert.throws(() => resolveArgs(['--period', '0.01', '--rate', '100']), /give one of them/);
  assert.throws(() => resolveArgs(['--config', join(scratch, 'missing.ini')]), /--config .*missing\.ini: no such file/);
  assert.throws(() => resolveArgs(['--config', ini('nosection.ini', 'period = 1\n')]), /not an INI line under a \[section\]/);
  assert.throws(() => resolveArgs(['--config', ini('other.ini', '[other]\nperiod = 1\n')]), /no \[global\] section/);
  assert.throws(() => resolveArgs(['--config', ini('typo.ini', '[global]\nperoid = 1\n')]), /unknown option "peroid"/);
  assert.throws(() => resolveArgs(['--config', ini('bool.ini', '[global]\nmem = maybe\n')]), /mem must be true or false/);
});

test('python -m vmprof under record: one line with the equivalent command', () => {
  const hint = (argv: string[]) => vmprofModuleHint(parseTargetCommand(argv));
  assert.equal(
    hint(['python3', '-m', 'vmprof', '--period', '0.01', '-o', 'out.prof', 'app.py', '--their-flag']),
    'no need for python -m vmprof under pyrometer record (it samples the program itself): run `pyrometer record --period 0.01 -o out.prof -- python3 app.py --their-flag`',
  );
  assert.match(hint(['pypy3', '-u', '-m', 'vmprof', '-m', 'pkg.main', 'x']) ?? '', /run `pyrometer record -- pypy3 -u -m pkg\.main x`$/);
  assert.match(
    hint(['python3', '-m', 'vmprof', '--web', '--web-url=http://h', 'a b.py']) ?? '',
    /record --web --web-url http:\/\/h -- python3 'a b\.py'`$/,
  );
  assert.equal(hint(['python3', '-m', 'vmprofx', 'app.py']), null);
  assert.equal(hint(['python3', 'app.py']), null);
});

test('record -- python3 -m vmprof app.py: exit 2 with the hint, nothing run', async () => {
  const r = await runPyrometer(['record', '--', 'python3', '-m', 'vmprof', '-p', '0.01', 'app.py']);
  try {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      'pyrometer: no need for python -m vmprof under pyrometer record (it samples the program itself): run `pyrometer record --period 0.01 -- python3 app.py`\n',
    );
  } finally {
    removeDir(r.dir);
  }
});

test('the two spellings give the same kind of profile (real recordings)', async () => {
  const program = testData('capture/sleeper.py');
  const meta = async (args: string[]) => {
    const r = await runPyrometer(['record', ...args, '-o', 'out.prof', '--', 'python3', program, '0.05']);
    try {
      assert.equal(r.code, 0, r.stderr);
      const p = await loadProfile(join(r.dir, 'out.prof'), { format: 'vmprof' });
      const e = p.meta.extra;
      return { mode: e.mode, rate: Number(e.rate_hz), memory: p.counters.length > 0, interval: p.meta.interval };
    } finally {
      removeDir(r.dir);
    }
  };
  // from outside the process (CPython's default) and with the in-process agent
  for (const sampler of [[], ['--in-process']]) {
    const [vmprof, ours] = [
      await meta([...sampler, '-r', '--period', '0.01', '--mem']),
      await meta([...sampler, '--wall', '--rate', '100', '--mem']),
    ];
    assert.deepEqual(vmprof, ours);
    assert.deepEqual(vmprof, { mode: 'wall', rate: 100, memory: true, interval: 10 });
  }
});

test("show FILE tree|flat|lines: vmprofshow's syntax gives what the flags give", async () => {
  const { runCli, stopCli } = await import('../cli/run.js');
  const { fixture } = await import('../helpers.js');
  try {
    const file = fixture('vmprof/example_with_lines.prof');
    const same = async (vmprofshow: string[], ours: string[]) => {
      const [a, b] = [await runCli(['show', file, ...vmprofshow]), await runCli(['show', file, ...ours])];
      assert.equal(a.code, 0, a.stderr);
      assert.ok(a.stdout.length > 100);
      assert.equal(a.stdout, b.stdout, `${vmprofshow.join(' ')} = ${ours.join(' ')}`);
    };
    await same(['tree'], ['--tree']);
    await same(['flat'], []);
    await same(['lines'], ['--lines']);
    // vmprofshow (vmprof/show.py): prune_level n prints the root and n levels below it, 0 = no limit
    await same(['tree', '--prune_percent', '5', '--prune_level', '3'], ['--tree', '--min-percent', '5', '--depth', '4']);
    await same(['tree', '--prune_level', '0'], ['--tree']);
    // --indent n: columns per level (vmprofshow: 0 to 8, 0 = its default)
    await same(['tree', '--indent', '0'], ['--tree']);
    await same(['tree', '--indent', '3'], ['--tree']);
    const wide = (await runCli(['show', file, 'tree', '--indent', '6'])).stdout;
    assert.match(wide, /└──── \S/);
    assert.doesNotMatch(wide, /└─ \S/);
    const tooWide = await runCli(['show', file, 'tree', '--indent', '9']);
    assert.equal(tooWide.code, 2);
    assert.match(tooWide.stderr, /--indent takes a whole number from 0 to 8, not "9"/);
    // --html: the tree as a page (vmprofshow tree --html), the same pruning
    const html = await runCli(['show', file, 'tree', '--html', '--prune_level', '2']);
    assert.equal(html.code, 0, html.stderr);
    assert.match(html.stdout, /^<!doctype html>/);
    assert.equal(html.stdout.match(/<details/g)?.length, html.stdout.match(/<\/details>/g)?.length);
    assert.equal(html.stdout.match(/<summary>/g)?.length, 3, 'the root and 2 levels below it');
    assert.equal((await runCli(['show', file, '--html', '--json'])).code, 2);
    // lines --filter: only functions whose name or file has the text (vmprofshow lines --filter)
    const unfiltered = (await runCli(['show', file, 'lines'])).stdout;
    assert.match(unfiltered, /^function_a /m);
    assert.doesNotMatch(unfiltered, /^function_b /m, 'not among the 5 hottest by self time');
    const filtered = await runCli(['show', file, 'lines', '--filter', 'function_b']);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.match(filtered.stdout, /^function_b /m);
    assert.doesNotMatch(filtered.stdout, /^function_a /m);
    await same(['--filter', 'example.py'], ['lines', '--filter', 'example.py']);
    assert.notEqual((await runCli(['show', file, 'tree'])).stdout, (await runCli(['show', file])).stdout);
    const bad = await runCli(['show', file, 'graph']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /flat, tree or lines .*not "graph"/);
  } finally {
    stopCli();
  }
});

test("show FILE flat: vmprofshow's --include-callees, --no-native and --percent-cutoff", async () => {
  const { runCli, stopCli } = await import('../cli/run.js');
  const { fixture } = await import('../helpers.js');
  try {
    // a real vmprof-python CPython profile with native frames
    const file = fixture('vmprof/vmprof_cpuburn.prof');
    const rows = (out: string) =>
      out
        .split('\n')
        .filter((l) => /^\s*[\d.]+%/.test(l))
        .map((l) => l.trim().split(/\s+/));
    // --include-callees: ordered by total time, as --sort total
    const callees = await runCli(['show', file, 'flat', '--include-callees']);
    assert.equal(callees.code, 0, callees.stderr);
    assert.equal(callees.stdout, (await runCli(['show', file, '--sort', 'total'])).stdout);
    // --no-native: no native rows, and the native time is the Python callers' (self times add up to the whole)
    const plain = rows((await runCli(['show', file, 'flat', '-n', '100'])).stdout);
    assert.ok(
      plain.some((r) => r[3].startsWith('<native') || r[3] === 'PyObject_SetAttr'),
      'the plain table lists native functions',
    );
    const python = rows((await runCli(['show', file, 'flat', '--no-native', '-n', '100'])).stdout);
    assert.ok(python.length >= 3);
    for (const r of python) assert.match(r[4] ?? '', /cpuburn\.py:\d+/, `${r.join(' ')} is a Python function`);
    const selfSum = python.reduce((sum, r) => sum + Number(r[2].replace(/,/g, '')), 0);
    assert.equal(selfSum, 5551, 'every sample is some Python function’s self time');
    assert.equal(python[0][3], '_next_rand', 'the random number generator with its C calls ranks first');
    // --percent-cutoff: rows below the share are left out
    const cut = rows((await runCli(['show', file, 'flat', '--percent-cutoff', '10', '-n', '100'])).stdout);
    assert.deepEqual(
      cut.map((r) => r[3]),
      plain.filter((r) => Number(r[0].replace('%', '')) >= 10).map((r) => r[3]),
    );
    assert.ok(cut.length >= 2 && cut.length < plain.length);
  } finally {
    stopCli();
  }
});
