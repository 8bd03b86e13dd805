import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, projectRoot, testOutput } from '../helpers.js';
import { runCli, stopCli } from '../cli/run.js';

const ENTRY = "import('./src/cli/main.ts').then((m) => m.main(process.argv.slice(1))).then((code) => { process.exitCode = code; })";

/** Runs the CLI in the shared test worker (a separate process, so its output is not the test runner's). */
async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

after(() => stopCli());

test('pyrometer view --no-open prints a loopback URL, serves the profile, and stops cleanly on SIGINT', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', ENTRY, 'view', '--no-open', fixture('vmprof/vmprof_cpuburn.prof')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
  const list = (await (await fetch(`${url}api/profiles`)).json()) as { name: string }[];
  assert.deepEqual(
    list.map((p) => p.name),
    ['vmprof_cpuburn.prof'],
  );
  assert.equal((await fetch(url)).status, 200);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exit, 0);
  assert.equal(stderr, '');
  assert.match(stdout, /Press Ctrl-C to stop\./);
});

test('view and report name a bad file in one line', async () => {
  const missing = await capture(['view', '--no-open', '/no/such/file.prof']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'pyrometer: /no/such/file.prof: no such file\n');
  const notProfile = await capture(['report', join(projectRoot, 'test/data/viewer/busy.py'), '-o', join(testOutput, 'x.html')]);
  assert.equal(notProfile.code, 1);
  assert.equal(notProfile.err.split('\n').length, 2, notProfile.err);
  assert.match(notProfile.err, /busy\.py/);
  const badName = await capture(['report', fixture('vmprof/vmprof_cpuburn.prof'), '-o', join(testOutput, 'report.txt')]);
  assert.equal(badName.code, 2);
  assert.match(badName.err, /give an output name ending in \.html/);
  const badPort = await capture(['view', '--port', 'http', fixture('vmprof/vmprof_cpuburn.prof')]);
  assert.equal(badPort.code, 2);
});

test('pyrometer report writes one self-contained HTML file', async () => {
  mkdirSync(testOutput, { recursive: true });
  const out = join(testOutput, 'cli-report.html');
  writeFileSync(out, '');
  const result = await capture(['report', fixture('vmprof/vmprof_cpuburn.prof'), fixture('vmprof/pypy-primes-mem.prof'), '-o', out]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /wrote .*cli-report\.html/);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  const data = JSON.parse(/<script id="pyrometer-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]);
  assert.deepEqual(
    data.profiles.map((p: { name: string }) => p.name),
    ['vmprof_cpuburn.prof', 'pypy-primes-mem.prof'],
  );
});
