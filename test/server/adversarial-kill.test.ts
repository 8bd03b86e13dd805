/**
 * `kill -9` of a real `pyrometer serve` while 32 clients upload: every upload
 * the server acknowledged is there after a restart, byte for byte; the
 * SQLite file passes `PRAGMA integrity_check`; the start-up leaves no
 * half-received runtime rows and no spool files behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prng, projectRoot } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pyrometer-kill-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function serve(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['serve', '--port', '0', '--data', dataDir];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`,
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving profiles at (http:\/\/\S+)/.exec(output);
      if (m) resolve({ url: m[1].replace(/\/$/, ''), child });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`serve exited (${code ?? signal}): ${output}`)));
  });
}

/** A distinct collapsed-stack profile of about 40 KB. */
function profileText(client: number, seq: number, random: () => number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 800; i++)
    lines.push(`main;client_${client};upload_${seq};f${Math.floor(random() * 50)};g${i % 17} ${1 + Math.floor(random() * 9)}`);
  return Buffer.from(lines.join('\n') + '\n');
}

test('kill -9 under 32 concurrent uploads: every acknowledged upload survives, byte-identical; integrity_check ok', {
  timeout: 240_000,
}, async () => {
  const data = join(work, 'data');
  let server = await serve(data);
  // A vmprof client that created its runtime and was cut off before uploading: gone after the restart.
  const orphan = await (
    await fetch(`${server.url}/api/runtime/new`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"argv":"cut off","VM":"cpython"}',
    })
  ).json();

  const acknowledged = new Map<string, Buffer>();
  let failedAfterKill = 0;
  let killed = false;
  const random = prng(14);
  const clients = Array.from({ length: 32 }, async (_, client) => {
    for (let seq = 0; !killed; seq++) {
      const body = profileText(client, seq, random);
      try {
        const res = await fetch(`${server.url}/api/v1/profiles?file=c${client}-${seq}.txt&name=kill-test`, { method: 'POST', body });
        const json = await res.json();
        assert.equal(res.status, 201, JSON.stringify(json));
        acknowledged.set(json.id, body);
      } catch (err) {
        if (!killed) throw err;
        failedAfterKill++;
      }
    }
  });
  // Kill once enough uploads are through, with others in flight.
  while (acknowledged.size < 96) await new Promise((r) => setTimeout(r, 20));
  killed = true;
  server.child.kill('SIGKILL');
  await Promise.all(clients);
  const acked = acknowledged.size;
  assert.ok(acked >= 96);

  server = await serve(data);
  try {
    for (const [id, bytes] of acknowledged) {
      const res = await fetch(`${server.url}/api/v1/profiles/${id}/raw`);
      assert.equal(res.status, 200, `acknowledged upload ${id} is there`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `upload ${id} is byte-identical`);
    }
    const list = await (await fetch(`${server.url}/api/v1/profiles?limit=1000`)).json();
    assert.ok(list.count >= acked, `${list.count} listed, ${acked} acknowledged`);
    assert.equal(
      (await fetch(`${server.url}/api/profile/${orphan.runtime_id}/`)).status,
      404,
      'the cut-off runtime was removed at start-up',
    );
    assert.deepEqual(readdirSync(join(data, 'spool')), [], 'no spool file survives the restart');
    const db = new Database(join(data, 'pyrometer.db'), { readonly: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      const { n } = db.prepare('SELECT count(*) AS n FROM profiles WHERE has_profile = 0').get() as { n: number };
      assert.equal(n, 0, 'no half-received runtime rows');
    } finally {
      db.close();
    }
    console.log(`kill -9: ${acked} uploads acknowledged, 0 lost; ${failedAfterKill} cut off by the kill`);
  } finally {
    server.child.kill('SIGTERM');
  }
});
