/**
 * `attach PID --stream`: the outside sampler's file is followed like any
 * other capture's; chunks carry the process's pid, and what was streamed is
 * what the finished file holds.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../src/server/app.js';
import { SqliteStore } from '../../../src/server/store/sqlite.js';
import { SqliteSeriesStore } from '../../../src/server/series/sqlite.js';
import { collapsedStacks } from '../../../src/formats/collapsed.js';
import { loadProfile } from '../../../src/formats/load.js';
import { projectRoot, testData } from '../../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-attach-stream-'));
after(() => rmSync(work, { recursive: true, force: true }));

test("attach --stream sends the outside sampler's samples of a running process", async () => {
  const series = new SqliteSeriesStore(join(work, 'db.sqlite'));
  const app = await buildApp({
    store: SqliteStore.open(join(work, 'db.sqlite')),
    spoolDir: join(work, 'spool'),
    viewerDir: null,
    parseInWorkers: false,
    seriesStore: series,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  // Phases longer than the attach: the CLI may take seconds to start on a loaded machine.
  const target = spawn('python3', [testData('continuous/phases.py'), '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      target.stdout.on('data', (d: Buffer) => {
        if (/phase a start/.test(String(d))) resolve();
      });
      target.on('exit', () => reject(new Error('the target ended before it started')));
    });
    const output = join(work, 'attached.prof');
    const argv = [
      'attach',
      String(target.pid),
      '--duration',
      '3',
      '-o',
      output,
      '--stream',
      url,
      '--service',
      'attached',
      '--interval',
      '1',
    ];
    const attach = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(argv)}); })`,
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    attach.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => attach.on('exit', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /streamed [1-9]\d* chunks? of attached to /);
    const services = await series.services();
    assert.deepEqual(
      services.map((s) => [s.service, s.labels.pid]),
      [['attached', [String(target.pid)]]],
    );
    const now = Date.now();
    const merged = await series.merged({ service: 'attached', from: now - 120_000, to: now + 60_000, resolutionMs: 10_000 });
    const streamed = merged.stacks.reduce((n, s) => n + s.weight, 0);
    const file = collapsedStacks(await loadProfile(output)).reduce((n, s) => n + s.weight, 0);
    assert.ok(streamed > 0);
    assert.equal(streamed, file);
    assert.ok(
      merged.stacks.some((s) => /phase_[ab] \(/.test(s.stack)),
      `the program's own frames: ${merged.stacks
        .map((s) => s.stack)
        .join(' | ')
        .slice(0, 500)}`,
    );
  } finally {
    target.kill('SIGKILL');
    await app.close();
  }
});
