/** Splitting the command after `record --` into interpreter, its options and the target. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetCommand, targetStem } from '../../src/capture/command.js';
import { RecordError } from '../../src/capture/errors.js';
import { dataPath } from './run.js';

test('script, -m, -c and - targets; interpreter options stay before the agent', () => {
  assert.deepEqual(parseTargetCommand(['python3', 'app.py', '--x', '-m']), {
    interpreter: 'python3',
    interpreterOptions: [],
    kind: 'script',
    target: ['app.py', '--x', '-m'],
    what: 'app.py',
  });
  const m = parseTargetCommand(['pypy3', '-u', '-X', 'dev', '-W', 'error', '-m', 'pkg.mod', 'a']);
  assert.deepEqual(m.interpreterOptions, ['-u', '-X', 'dev', '-W', 'error']);
  assert.deepEqual(m.target, ['-m', 'pkg.mod', 'a']);
  assert.equal(m.kind, 'module');
  assert.equal(targetStem(m), 'mod');
  const c = parseTargetCommand(['python3', '-c', 'print(1)', 'x']);
  assert.equal(c.kind, 'command');
  assert.deepEqual(c.target, ['-c', 'print(1)', 'x']);
  assert.equal(targetStem(c), 'python-c');
  assert.equal(parseTargetCommand(['python3', '-', 'x']).kind, 'stdin');
});

test('clustered and glued options: -uB, -Wignore, -Xdev, -um mod, -mmod', () => {
  assert.deepEqual(parseTargetCommand(['python3', '-uB', '-Wignore', '-Xdev', 'a.py']).interpreterOptions, ['-uB', '-Wignore', '-Xdev']);
  const um = parseTargetCommand(['python3', '-um', 'http.server', '8000']);
  assert.deepEqual(um.interpreterOptions, ['-u']);
  assert.deepEqual(um.target, ['-m', 'http.server', '8000']);
  assert.deepEqual(parseTargetCommand(['python3', '-mjson.tool']).target, ['-m', 'json.tool']);
  assert.deepEqual(parseTargetCommand(['python3', '--check-hash-based-pycs', 'always', 'a.py']).interpreterOptions, [
    '--check-hash-based-pycs',
    'always',
  ]);
});

test('a bare script runs with the interpreter its #! line names', () => {
  const r = parseTargetCommand([dataPath('split.py'), '1', '2']);
  assert.equal(r.interpreter, 'python3'); // no #! line: python3
  assert.deepEqual(r.target, [dataPath('split.py'), '1', '2']);
  assert.equal(targetStem(r), 'split');
});

test('nothing to run, an interactive prompt, --version, unknown options: usage errors', () => {
  for (const argv of [
    [],
    ['python3'],
    ['python3', '-u'],
    ['python3', '--version'],
    ['python3', '-V'],
    ['python3', '-Z', 'a.py'],
    ['python3', '-m'],
  ]) {
    assert.throws(
      () => parseTargetCommand(argv),
      (e: unknown) => e instanceof RecordError && e.exitCode === 2,
      argv.join(' '),
    );
  }
});
