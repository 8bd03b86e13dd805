import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asCliError, CliError, usageError } from '../../src/cli/errors.js';
import { reportError, usageLine } from '../../src/cli/main.js';
import { ProfileFormatError, UnknownFormatError } from '../../src/formats/errors.js';

function captureStderr(run: () => number): { code: number; stderr: string } {
  const chunks: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: run(), stderr: chunks.join('') };
  } finally {
    process.stderr.write = original;
  }
}

test('asCliError: bad files and fs errors become one-line CliErrors; bugs are rethrown', () => {
  const format = asCliError(new ProfileFormatError('vmprof', 'unknown record 0xee', 3034), 'run.prof');
  assert.equal(format.message, 'run.prof: vmprof: unknown record 0xee (at byte 3034)');
  assert.equal(format.exitCode, 1);
  assert.equal(
    asCliError(new UnknownFormatError('x.bin')).message,
    'x.bin: not a profile format pyrometer can read (see `pyrometer convert --list-formats`)',
  );
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/p/x.prof' });
  assert.equal(asCliError(enoent).message, '/p/x.prof: no such file');
  const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/root/x' });
  assert.equal(asCliError(eacces).message, '/root/x: permission denied');
  const bug = new TypeError('cannot read properties of undefined');
  assert.throws(
    () => asCliError(bug),
    (e) => e === bug,
  );
  const usage = usageError('--top takes a number');
  assert.equal(asCliError(usage), usage);
  assert.equal(usage.exitCode, 2);
});

test('usageLine: commander messages become one line with the suggestion and the help to read', () => {
  assert.equal(
    usageLine("error: unknown command 'shw'\n(Did you mean show?)", 'pyrometer'),
    "unknown command 'shw' (did you mean 'show'?) — see 'pyrometer --help'",
  );
  assert.equal(
    usageLine("error: unknown option '--tre'\n(Did you mean --tree?)", 'pyrometer show'),
    "unknown option '--tre' (did you mean '--tree'?) — see 'pyrometer show --help'",
  );
  assert.equal(
    usageLine("error: unknown option '--x'\n(Did you mean one of --xa, --xb?)", 'pyrometer show'),
    "unknown option '--x' (did you mean one of --xa, --xb?) — see 'pyrometer show --help'",
  );
  assert.equal(usageLine("error: unknown command '\u001b[2J'", 'pyrometer'), "unknown command '\\x1b[2J' — see 'pyrometer --help'");
});

test('reportError: user errors one line with their code; a bug one line, exit 70, the stack only on request', () => {
  const user = captureStderr(() => reportError(new CliError('x.prof: no such file')));
  assert.deepEqual(user, { code: 1, stderr: 'pyrometer: x.prof: no such file\n' });
  const saved = process.env.PYROMETER_DEBUG;
  delete process.env.PYROMETER_DEBUG;
  try {
    const bug = captureStderr(() => reportError(new TypeError('cannot read properties of undefined\nsecond line')));
    assert.equal(bug.code, 70);
    assert.equal(
      bug.stderr,
      'pyrometer: internal error: cannot read properties of undefined (this is a bug; PYROMETER_DEBUG=1 shows where)\n',
    );
    process.env.PYROMETER_DEBUG = '1';
    const debug = captureStderr(() => reportError(new TypeError('boom')));
    assert.equal(debug.code, 70);
    assert.match(debug.stderr, /\n\s+at /, 'the stack when asked for');
  } finally {
    if (saved === undefined) delete process.env.PYROMETER_DEBUG;
    else process.env.PYROMETER_DEBUG = saved;
  }
});
