import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ProfileBuilder } from '../../src/model/builder.js';
import { serializeProfile } from '../../src/model/serialize.js';
import { Command } from 'commander';
import { COMMANDS, commandsFor } from '../../src/cli/commands.js';
import { buildProgram, packageVersion, withCommandSeparator } from '../../src/cli/main.js';
import { displayWidth } from '../../src/report/text.js';
import { fixture, projectRoot } from '../helpers.js';
import { runCli, spawnCli, stopCli } from './run.js';

let dir = '';
const file = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pyrometer-cli-'));
  const example = readFileSync(fixture('vmprof/example.prof'));
  // A record marker the format does not have, 3,000 bytes in.
  const corrupt = Buffer.from(example);
  corrupt.fill(0xee, 3000, 3050);
  writeFileSync(file('corrupt.prof'), corrupt);
  writeFileSync(file('example.prof.gz'), gzipSync(example));
  const gz = gzipSync(example);
  writeFileSync(file('truncated.prof.gz'), gz.subarray(0, gz.length >> 1));
  writeFileSync(file('words.txt'), 'this is not a profile\n'.repeat(50));
  writeFileSync(file('hostile.model'), serializeProfile(hostileProfile()));
  writeFileSync(file('deep.model'), serializeProfile(deepProfile(10_000)));
});

after(() => {
  stopCli();
  rmSync(dir, { recursive: true, force: true });
});

function hostileProfile() {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1', 'Main\u001b]2;title\u0007');
  b.addSample(t, b.stackOf([b.frame(b.func('\u001b[2Jwipe', '/x/\u001b[31m.py', 1))]), 0);
  return b.build();
}

/** `<module>` calling `recurse` `depth` times, as a recursive Python program would. */
function deepProfile(depth: number) {
  const b = new ProfileBuilder('test', { interval: 1, interpreter: 'cpython' });
  const t = b.thread('1', 'MainThread');
  const frame = b.frame(b.func('recurse', '/src/deep.py', 1), 3);
  let stack = b.stack(-1, b.frame(b.func('<module>', '/src/deep.py', 0), 9));
  for (let i = 0; i < depth; i++) stack = b.stack(stack, frame);
  b.addSample(t, stack, 0, 4);
  return b.build();
}

function oneLine(text: string): string {
  const lines = text.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line, got:\n${text}`);
  return lines[0];
}

test('--help lists the commands and ends with examples', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Usage: pyrometer \[options\] \[command\]/);
  assert.match(r.stdout, /^\s+show \[options\] <file> \[view\]\s+print a profile/m);
  assert.match(r.stdout, /^\s+info \[options\] <file>/m);
  assert.match(r.stdout, /Examples:\n\s+\$ pyrometer /);
  assert.match(r.stdout, /pyrometer <command> --help/);
});

test('every command has help with examples', async () => {
  const program = await buildProgram(() => {});
  const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
  assert.ok(names.includes('show') && names.includes('info'));
  for (const name of names) {
    const r = await runCli([name, '--help']);
    assert.equal(r.code, 0, name);
    assert.match(r.stdout, new RegExp(`^Usage: pyrometer ${name} `), name);
    assert.match(r.stdout, new RegExp(`Examples:\\n(\\s+\\$ [^\\n]*pyrometer ${name}\\b)`), `${name} --help has examples`);
  }
});

test("record without --: the program's own options stay the program's", async () => {
  const program = await buildProgram(() => {});
  const sep = (args: string[]) => withCommandSeparator(program, args);
  assert.deepEqual(sep(['record', 'python3', '-u', 'app.py', '-o', 'x']), ['record', '--', 'python3', '-u', 'app.py', '-o', 'x']);
  // our options, and the values of those that take one, come before the program's first word
  assert.deepEqual(sep(['--color', 'record', '-o', 'out.prof', '--rate', '100', '--wall', 'pypy3', '-m', 'pkg']), [
    '--color',
    'record',
    '-o',
    'out.prof',
    '--rate',
    '100',
    '--wall',
    '--',
    'pypy3',
    '-m',
    'pkg',
  ]);
  assert.deepEqual(sep(['record', '--rate=100', 'python3', 'a.py']), ['record', '--rate=100', '--', 'python3', 'a.py']);
  // already separated, nothing to run, or another command: unchanged
  assert.deepEqual(sep(['record', '-o', 'x', '--', 'python3', '-u', 'a.py']), ['record', '-o', 'x', '--', 'python3', '-u', 'a.py']);
  assert.deepEqual(sep(['record', '--wall']), ['record', '--wall']);
  assert.deepEqual(sep(['show', 'python3', '-u']), ['show', 'python3', '-u']);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  const version = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version;
  assert.equal(r.stdout.trim(), version);
  assert.equal(packageVersion(), version);
});

test('unknown command: one line with a suggestion, exit 2', async () => {
  const r = await runCli(['shw', 'x.prof']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(oneLine(r.stderr), "pyrometer: unknown command 'shw' (did you mean 'show'?) — see 'pyrometer --help'");
  const far = await runCli(['frobnicate']);
  assert.equal(far.code, 2);
  assert.equal(oneLine(far.stderr), "pyrometer: unknown command 'frobnicate' — see 'pyrometer --help'");
});

test('unknown or malformed option: one line naming the command, exit 2', async () => {
  const r = await runCli(['show', '--frob', fixture('vmprof/example.prof')]);
  assert.equal(r.code, 2);
  assert.equal(oneLine(r.stderr), "pyrometer: unknown option '--frob' — see 'pyrometer show --help'");
  const typo = await runCli(['show', '--tre', fixture('vmprof/example.prof')]);
  assert.equal(typo.code, 2);
  assert.match(oneLine(typo.stderr), /unknown option '--tre' \(did you mean '--tree'\?\)/);
  const missing = await runCli(['show']);
  assert.equal(missing.code, 2);
  assert.match(oneLine(missing.stderr), /^pyrometer: missing required argument 'file' — see 'pyrometer show --help'$/);
  const badTop = await runCli(['show', '--top', 'lots', fixture('vmprof/example.prof')]);
  assert.equal(badTop.code, 2);
  assert.equal(oneLine(badTop.stderr), 'pyrometer: --top takes a whole number above 0, not "lots"');
  const badSort = await runCli(['show', '--sort', 'name', fixture('vmprof/example.prof')]);
  assert.equal(badSort.code, 2);
  assert.match(oneLine(badSort.stderr), /--sort takes "self" or "total"/);
  // Control characters typed on the command line are not echoed raw either.
  const hostile = await runCli(['sh\u001b[2Jow']);
  assert.equal(hostile.code, 2);
  assert.doesNotMatch(hostile.stderr, /\u001b/);
});

test('no command: the help on stderr, exit 2', async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^Usage: pyrometer/);
});

test('a missing file, a directory, an unknown format: one line, exit 1', async () => {
  const missing = await runCli(['show', file('nope.prof')]);
  assert.equal(missing.code, 1);
  assert.equal(oneLine(missing.stderr), `pyrometer: ${file('nope.prof')}: no such file`);
  const directory = await runCli(['info', dir]);
  assert.equal(directory.code, 1);
  assert.equal(oneLine(directory.stderr), `pyrometer: ${dir}: is a directory`);
  const words = await runCli(['show', file('words.txt')]);
  assert.equal(words.code, 1);
  assert.match(oneLine(words.stderr), /words\.txt: not a profile format pyrometer can read/);
});

test('a corrupt file: one line naming the format and the byte offset, exit 1', async () => {
  const r = await runCli(['show', file('corrupt.prof')]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(oneLine(r.stderr), /^pyrometer: .*corrupt\.prof: vmprof: .* \(at byte \d+\)$/);
  const gz = await runCli(['info', file('truncated.prof.gz')]);
  assert.equal(gz.code, 1);
  assert.match(oneLine(gz.stderr), /truncated\.prof\.gz: gzip: .*ends too early.*\(at byte \d+\)$/);
});

test('as a real process: exit codes and no stack trace on bad input', () => {
  const corrupt = spawnCli(['show', file('corrupt.prof')]);
  assert.equal(corrupt.code, 1, corrupt.stderr);
  assert.match(oneLine(corrupt.stderr), /vmprof: .*\(at byte \d+\)/);
  assert.doesNotMatch(corrupt.stderr, /\n\s+at /);
  const unknown = spawnCli(['shw']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(oneLine(unknown.stderr), /did you mean 'show'/);
  // Piped output has no colour; FORCE_COLOR turns it on.
  const plain = spawnCli(['show', fixture('vmprof/example.prof')]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /\u001b/);
  const forced = spawnCli(['show', fixture('vmprof/example.prof')], { FORCE_COLOR: '1' });
  assert.match(forced.stdout, /\u001b\[31m/, forced.stderr);
  const disabled = spawnCli(['show', fixture('vmprof/example.prof')], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.doesNotMatch(disabled.stdout, /\u001b/);
});

test('--color and --no-color beat the environment, before or after the command', async () => {
  const path = fixture('vmprof/example.prof');
  const forced = await runCli(['show', path, '--color']);
  assert.match(forced.stdout, /\u001b\[31m/);
  const before = await runCli(['--color', 'show', path], { NO_COLOR: '1' });
  assert.match(before.stdout, /\u001b\[/);
  const off = await runCli(['show', path, '--no-color'], { FORCE_COLOR: '1' });
  assert.doesNotMatch(off.stdout, /\u001b/);
  // The choice does not stick to the next run.
  const next = await runCli(['show', path], { FORCE_COLOR: '1' });
  assert.match(next.stdout, /\u001b\[/);
});

test('show on the real VMProf fixtures: a table that fits the width', async () => {
  for (const name of [
    'example.prof',
    'example_with_lines.prof',
    'vmprof_cpuburn.prof',
    'pypy-primes.prof',
    'pypy-wordcount.prof',
    'richards.cpython.prof',
    'simple_nested.pypy.prof',
  ]) {
    for (const columns of ['60', '100']) {
      const r = await runCli(['show', fixture(`vmprof/${name}`)], { COLUMNS: columns });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^vmprof · (CPython|PyPy)/, name);
      assert.match(r.stdout, /^\s*self\s+total\s+samples\s+function/m, name);
      for (const line of r.stdout.split('\n')) assert.ok(displayWidth(line) <= Number(columns), `${name} at ${columns}: ${line}`);
    }
  }
  const r = await runCli(['show', fixture('vmprof/vmprof_cpuburn.prof'), '--top', '3']);
  // cpuburn.py's own functions are what a reader looks for; they are named with their file and line.
  assert.match(r.stdout, /_iterate\s+cpuburn\.py:20/);
  assert.match(r.stdout, /… \d+ more functions/);
});

test('show --json: parses, and the totals agree with info and with the function table', async () => {
  const path = fixture('vmprof/vmprof_cpuburn.prof');
  const r = await runCli(['show', path, '--json', '--top', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const info = JSON.parse((await runCli(['info', path, '--json'])).stdout);
  const threadSamples = info.threads.reduce((a: number, t: { samples: number }) => a + t.samples, 0);
  assert.equal(json.totals.samples, info.samples);
  assert.equal(json.totals.samples, threadSamples);
  // Every sample has one innermost function: self times add up to the total weight.
  const selfSum = json.functions.reduce((a: number, f: { self: number }) => a + f.self, 0);
  assert.equal(json.moreFunctions, 0);
  assert.ok(Math.abs(selfSum - json.totals.weight) < 1e-6, `${selfSum} vs ${json.totals.weight}`);
  for (const f of json.functions) assert.ok(f.total >= f.self && f.total <= json.totals.weight, f.name);
  assert.ok(json.totals.weight > 0 && json.totals.weight <= json.totals.samples);
  const withTree = JSON.parse((await runCli(['show', path, '--json', '--tree', '--min-percent', '5'])).stdout);
  const nodes = withTree.tree.nodes;
  assert.ok(nodes.length > 3);
  for (const n of nodes) {
    assert.ok(n.total * 100 >= 5 * json.totals.weight - 1e-9, 'pruned below 5%');
    if (n.parent >= 0) assert.ok(nodes[n.parent].total >= n.total, 'a callee never outweighs its caller');
  }
});

test('show --tree of a 10,000-deep recursion does not overflow', async () => {
  const r = await runCli(['show', file('deep.model'), '--tree']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => /%/.test(l));
  assert.equal(rows.length, 10_001);
  for (const l of rows) assert.ok(displayWidth(l) <= 100, l);
  assert.match(rows[rows.length - 1], /^\s+100%\s+100%\s+\+\d+ .*└─ recurse/);
  const inverted = await runCli(['show', file('deep.model'), '--tree', '--inverted', '--depth', '3']);
  assert.equal(inverted.code, 0, inverted.stderr);
  assert.equal(inverted.stdout.split('\n').filter((l) => /%/.test(l)).length, 3);
  const json = JSON.parse((await runCli(['show', file('deep.model'), '--json', '--tree'])).stdout);
  assert.equal(json.tree.nodes.length, 10_001);
  assert.equal(json.tree.nodes[10_000].parent, 9_999);
});

test('show --lines: per-line costs when recorded with lines, a hint when not', async () => {
  const withLines = await runCli(['show', fixture('vmprof/example_with_lines.prof'), '--lines', '--top', '1']);
  assert.equal(withLines.code, 0, withLines.stderr);
  assert.match(withLines.stdout, /function_a\s+.*example\.py:1\s+self \d/);
  assert.match(withLines.stdout, /^\s+line\s+self\s+total$/m);
  assert.ok(withLines.stdout.split('\n').filter((l) => /^\s+\d+\s+[\d.<]+%\s+[\d.<]+%/.test(l)).length >= 2);
  const without = await runCli(['show', fixture('vmprof/pypy-primes.prof'), '--lines']);
  assert.equal(without.code, 0);
  assert.match(without.stdout, /no line numbers/);
  assert.match(without.stdout, /pyrometer record --lines/);
  // JSON: per-line self times add up to the function's self time.
  const json = JSON.parse((await runCli(['show', fixture('vmprof/example_with_lines.prof'), '--lines', '--json', '--top', '3'])).stdout);
  assert.equal(json.lines.length, 3);
  for (const f of json.lines) {
    const selfSum = f.lines.reduce((a: number, l: { self: number }) => a + l.self, 0);
    assert.ok(Math.abs(selfSum - f.self) < 1e-9, f.name);
    for (const l of f.lines) assert.ok(l.total <= f.total + 1e-9 && l.total >= l.self);
  }
  const noLines = JSON.parse((await runCli(['show', fixture('vmprof/pypy-primes.prof'), '--lines', '--json'])).stdout);
  assert.equal(noLines.lines, null);
});

test('show --thread: by id or name, comma-separated; unknown threads are a usage error', async () => {
  const path = fixture('vmprof/vmprof_cpuburn.prof');
  const info = JSON.parse((await runCli(['info', path, '--json'])).stdout);
  const id = info.threads[0].id;
  const one = JSON.parse((await runCli(['show', path, '--json', '--thread', id])).stdout);
  assert.deepEqual(
    one.threads.map((t: { selected: boolean }) => t.selected),
    info.threads.map((_: unknown, i: number) => i === 0),
  );
  const bad = await runCli(['show', path, '--thread', `${id},nosuchthread`]);
  assert.equal(bad.code, 2);
  assert.match(oneLine(bad.stderr), new RegExp(`no thread "nosuchthread" in this profile; it has: ${id}`));
});

test('info on a real fixture: format, interpreter, period, times, threads', async () => {
  const r = await runCli(['info', fixture('vmprof/pypy-primes-mem.prof')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^format\s+vmprof/m);
  assert.match(r.stdout, /^interpreter\s+PyPy/m);
  assert.match(r.stdout, /^flags\s+.*memory/m);
  assert.match(r.stdout, /^period\s+1 ms \(1,000 Hz\)$/m);
  assert.match(r.stdout, /^start\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
  assert.match(r.stdout, /^memory\s+[\d.]+ MiB – [\d.]+ MiB RSS$/m);
  assert.match(r.stdout, /^threads \(\d+\)$/m);
  const json = JSON.parse((await runCli(['info', fixture('vmprof/pypy-primes-mem.prof'), '--json'])).stdout);
  assert.ok(json.memory.maxKiB >= json.memory.minKiB && json.memory.minKiB > 0);
  assert.ok(Date.parse(json.endTime) > Date.parse(json.startTime));
});

test('gzip-compressed files read like plain ones', async () => {
  const plain = await runCli(['show', fixture('vmprof/example.prof'), '--json']);
  const gz = await runCli(['show', file('example.prof.gz'), '--json']);
  assert.equal(gz.code, 0, gz.stderr);
  assert.deepEqual(JSON.parse(gz.stdout).functions, JSON.parse(plain.stdout).functions);
});

test('a gzip-compressed profile from a pipe (read once, never reopened)', async () => {
  const fifo = file('pipe.prof.gz');
  execFileSync('mkfifo', [fifo]);
  // A writer on the other end, as in `gzip -c run.prof | pyrometer show /dev/stdin`.
  const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file('example.prof.gz'), fifo], { stdio: 'ignore' });
  const written = new Promise((resolve) => writer.on('exit', resolve));
  const r = await runCli(['show', fifo, '--json']);
  await written;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).functions[0].name, 'function_a');
});

test('hostile names from a file reach the terminal as text', async () => {
  for (const args of [['show'], ['show', '--tree'], ['info']]) {
    const r = await runCli([...args, file('hostile.model')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, args.join(' '));
  }
  const show = await runCli(['show', file('hostile.model')]);
  assert.ok(show.stdout.includes('\\x1b[2Jwipe'));
  // JSON keeps the real name (escaped by JSON itself).
  const json = JSON.parse((await runCli(['show', file('hostile.model'), '--json'])).stdout);
  assert.equal(json.functions[0].name, '\u001b[2Jwipe');
});

test('each command module registers the command its name in commands.ts says (main loads it by that name)', async () => {
  for (const [name, load] of COMMANDS) {
    const program = new Command('pyrometer');
    (await load())(program, () => {});
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      [name],
    );
  }
  // a bare --version needs no command; a command's arguments need that command alone; help needs all
  assert.equal((await commandsFor(['--version'])).length, 0);
  assert.equal((await commandsFor(['--color', 'info', 'x.prof'])).length, 1);
  assert.equal((await commandsFor(['--help'])).length, COMMANDS.length);
  assert.equal((await commandsFor(['-h', 'info'])).length, COMMANDS.length);
  assert.equal((await commandsFor(['shw', 'x.prof'])).length, COMMANDS.length);
});
