/**
 * The server's commands for real: `pyrometer serve` in a child process on a
 * fresh data directory, `pyrometer upload` and `pyrometer token` in-process
 * against it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { planUploads } from '../../src/cli/upload.js';
import { parseSize } from '../../src/cli/serve.js';
import { fixture, projectRoot } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-cli-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Runs main() capturing stdout/stderr. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Starts `pyrometer serve` in a child and resolves with its URL once it listens. */
function serve(args: string[]): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(['serve', '--port', '0', ...args])}); })`,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving profiles at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

test('--max-upload sizes parse; nonsense is a usage error', () => {
  assert.equal(parseSize('512MB'), 512 << 20);
  assert.equal(parseSize('2g'), 2 * 2 ** 30);
  assert.equal(parseSize('300KiB'), 300 << 10);
  assert.throws(() => parseSize('lots'), /size like 512MB/);
});

test('side files named on the command line go with their profile; alone they are refused', () => {
  const dir = mkdtempSync(join(work, 'plan-'));
  const prof = join(dir, 'run.prof');
  copyFileSync(fixture('vmprof/pypy-wordcount.prof'), prof);
  copyFileSync(fixture('pypy/pypy-wordcount.prof.jit'), `${prof}.jit`);
  copyFileSync(fixture('pypy/pypy-wordcount.pypylog'), join(dir, 'run.pypylog'));
  const plan = planUploads([prof]);
  assert.deepEqual(plan, [{ file: prof, sideFiles: [`${prof}.jit`, join(dir, 'run.pypylog')] }]);
  assert.deepEqual(planUploads([prof, `${prof}.jit`]), plan);
  assert.throws(() => planUploads([`${prof}.jit`]), /side file/);
});

test('serve on a fresh data directory; upload with side files; tokens created, required, revoked', async () => {
  const data = join(work, 'data');
  const open = await serve(['--data', data]);
  try {
    assert.ok(existsSync(join(data, 'pyrometer.db')), 'created on first start');
    const dir = mkdtempSync(join(work, 'up-'));
    const prof = join(dir, 'wordcount.prof');
    copyFileSync(fixture('vmprof/pypy-wordcount.prof'), prof);
    copyFileSync(fixture('pypy/pypy-wordcount.prof.jit'), `${prof}.jit`);
    const up = await run(['upload', prof, fixture('cprofile/cprofile-python3-primes.pstats'), '--server', open.url]);
    assert.equal(up.code, 0, up.stderr);
    const links = [...up.stdout.matchAll(/: (http:\/\/\S+\/profiles\/([0-9a-f-]+))/g)];
    assert.equal(links.length, 2, up.stdout);
    assert.match(up.stdout, /wordcount\.prof \+ 1 side file/);
    const detail = await (await fetch(`${open.url}/api/v1/profiles/${links[0][2]}`)).json();
    assert.equal(detail.completed, true);
    assert.equal(detail.attachments[0].kind, 'jitlog');
    const raw = Buffer.from(await (await fetch(detail.rawUrl)).arrayBuffer());
    assert.ok(raw.equals(readFileSync(prof)));

    const bad = await run(['upload', fixture('programs/primes.py'), '--server', open.url]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /primes\.py: the server refused the upload \(HTTP 400\)/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    const unreachable = await run(['upload', prof, '--server', 'http://127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  } finally {
    assert.equal(await stop(open.child), 0);
  }

  const created = await run(['token', 'create', '--name', 'ci', '--data', data]);
  assert.equal(created.code, 0, created.stderr);
  const secret = created.stdout.trim();
  assert.match(secret, /^pyr_[A-Za-z0-9_-]{43}$/);
  assert.ok(!readFileSync(join(data, 'pyrometer.db')).includes(secret), 'only the hash is stored');

  const locked = await serve(['--data', data, '--require-token']);
  try {
    const refused = await run(['upload', fixture('vmprof/pypy-primes.prof'), '--server', locked.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 401/);
    const accepted = await run(['upload', fixture('vmprof/pypy-primes.prof'), '--server', locked.url, '--token', secret]);
    assert.equal(accepted.code, 0, accepted.stderr);
    const list = await run(['token', 'list', '--data', data]);
    assert.match(list.stdout, /^1\s+ci\s.*live$/m);
    assert.doesNotMatch(list.stdout, new RegExp(secret));
    assert.equal((await run(['token', 'revoke', '1', '--data', data])).code, 0);
    assert.match((await run(['token', 'list', '--data', data])).stdout, /revoked/);
    const after = await run(['upload', fixture('vmprof/pypy-primes.prof'), '--server', locked.url, '--token', secret]);
    assert.equal(after.code, 1);
    assert.equal((await run(['token', 'revoke', '1', '--data', data])).code, 1);
  } finally {
    await stop(locked.child);
  }
});

test('record --upload sends the fresh recording; a server killed mid-upload leaves nothing half-stored', async () => {
  const data = join(work, 'killed');
  const first = await serve(['--data', data]);
  const recorded = await run(['record', '--upload', first.url, '-o', join(work, 'rec.prof'), '--', 'python3', fixture('programs/tiny.py')]);
  assert.equal(recorded.code, 0, recorded.stderr);
  const link = /uploaded: (http:\S+\/profiles\/([0-9a-f-]+))/.exec(recorded.stderr);
  assert.ok(link, recorded.stderr);
  const detail = await (await fetch(`${first.url}/api/v1/profiles/${link[2]}`)).json();
  assert.equal(detail.name, `python3 ${fixture('programs/tiny.py')}`);
  assert.ok(Buffer.from(await (await fetch(detail.rawUrl)).arrayBuffer()).equals(readFileSync(join(work, 'rec.prof'))));

  // Half of a profile arrives, then the server dies.
  const body = readFileSync(fixture('vmprof/vmprof_cpuburn.prof'));
  const url = new URL(`${first.url}/api/v1/profiles?name=interrupted`);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    method: 'POST',
    headers: { 'Content-Length': String(body.length) },
  });
  req.on('error', () => {});
  req.write(body.subarray(0, body.length >> 1));
  const spool = join(data, 'spool');
  for (let i = 0; i < 200 && !(existsSync(spool) && readdirSync(spool).length > 0); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(readdirSync(spool).length > 0, 'the upload was being spooled');
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  const second = await serve(['--data', data]);
  try {
    const listed = await (await fetch(`${second.url}/api/v1/profiles?limit=100`)).json();
    assert.deepEqual(
      listed.profiles.map((p: { name: string }) => p.name),
      [`python3 ${fixture('programs/tiny.py')}`],
    );
    assert.deepEqual(readdirSync(spool), [], 'the half upload was thrown away at start');
  } finally {
    await stop(second.child);
  }
});
