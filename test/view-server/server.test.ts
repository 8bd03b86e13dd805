import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testOutput } from '../helpers.js';
import { startViewServer } from '../../src/view-server/server.js';
import { deserializeProfile } from '../../src/model/serialize.js';
import { funcName } from '../../src/model/profile.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { BUSY_PY, busyProfile } from '../web/synthetic.js';

/** A raw GET (fetch would normalise the path and the Host header away). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the viewer, the profile list and the model', async () => {
  const server = await startViewServer([{ name: 'busy.prof', profile: busyProfile() }]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(server.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /<script src="app.js">/);
    assert.equal((await get(server.port, '/app.js')).status, 200);
    const list = JSON.parse((await get(server.port, '/api/profiles')).body.toString());
    assert.deepEqual(list, [{ name: 'busy.prof', model: 'api/profiles/0/model', source: 'api/profiles/0/source?path=' }]);
    const model = await get(server.port, '/api/profiles/0/model');
    const p = deserializeProfile(new Uint8Array(model.body));
    assert.equal(p.threads[0].samples.length, 900);
    assert.ok(Array.from({ length: p.funcs.length }, (_, f) => funcName(p, f)).includes('score'));
  } finally {
    await server.close();
  }
});

test('serves a source file only when the profile names exactly that path', async () => {
  const server = await startViewServer([{ name: 'busy.prof', profile: busyProfile() }]);
  try {
    const ok = await get(server.port, `/api/profiles/0/source?path=${encodeURIComponent(BUSY_PY)}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body.toString()), { path: BUSY_PY, text: readFileSync(BUSY_PY, 'utf8') });
    const attempts = [
      `/api/profiles/0/source?path=${encodeURIComponent('/etc/passwd')}`,
      `/api/profiles/0/source?path=${encodeURIComponent(`${BUSY_PY}/../../../../package.json`)}`,
      `/api/profiles/0/source?path=${encodeURIComponent(BUSY_PY.replace('viewer/', 'viewer/./'))}`,
      '/api/profiles/0/source',
      '/api/profiles/1/source?path=x',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/web/dist/app.js/../../../package.json',
      '/package.json',
      '/src/cli/main.ts',
    ];
    for (const path of attempts) {
      const res = await get(server.port, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body.toString(), /root:|"name": "pyrometer"/, path);
    }
    // A profile may name any path as a "file": only source files are served.
    const secret = join(testOutput, 'viewer-secret.txt');
    mkdirSync(testOutput, { recursive: true });
    writeFileSync(secret, 'secret');
    const named = new ProfileBuilder('test');
    named.addSampleFrames(named.thread('1'), [named.frame(named.func('f', secret, 1)), named.frame(named.func('g', '/etc/passwd', 1))], 0);
    const hostile = await startViewServer([{ name: 'named', profile: named.build() }]);
    try {
      for (const path of [secret, '/etc/passwd']) {
        assert.equal((await get(hostile.port, `/api/profiles/0/source?path=${encodeURIComponent(path)}`)).status, 404, path);
      }
    } finally {
      await hostile.close();
    }
    // Named by the profile but missing here: a reason, not an error page.
    const b = new ProfileBuilder('test');
    b.addSampleFrames(b.thread('1'), [b.frame(b.func('f', '/no/such/dir/gone.py', 1))], 0);
    const other = await startViewServer([{ name: 'gone', profile: b.build() }]);
    try {
      const gone = await get(other.port, `/api/profiles/0/source?path=${encodeURIComponent('/no/such/dir/gone.py')}`);
      assert.equal(gone.status, 200);
      assert.match(JSON.parse(gone.body.toString()).unavailable, /gone\.py is not readable on this machine/);
    } finally {
      await other.close();
    }
  } finally {
    await server.close();
  }
});

test('refuses foreign Host headers and non-GET methods', async () => {
  const server = await startViewServer([{ name: 'busy.prof', profile: busyProfile() }]);
  try {
    assert.equal((await get(server.port, '/api/profiles', { host: 'evil.example:80' })).status, 421);
    assert.equal((await get(server.port, '/', { host: `localhost:${server.port}` })).status, 200);
    assert.equal((await get(server.port, '/api/profiles', {}, 'POST')).status, 405);
    assert.equal((await get(server.port, '/api/profiles', {}, 'DELETE')).status, 405);
  } finally {
    await server.close();
  }
});

/** A directory holding a real source file, a link to it, a link dressed as source to a secret, and a profile naming all three plus a relative name. */
function linkFarm(): {
  dir: string;
  names: { real: string; goodLink: string; badLink: string; relative: string };
  profile: ReturnType<ProfileBuilder['build']>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-links-'));
  const secret = join(dir, 'secret.key');
  writeFileSync(secret, 'SECRET-KEY-MATERIAL');
  const real = join(dir, 'app.py');
  writeFileSync(real, 'print("hello")\n');
  const goodLink = join(dir, 'venv_app.py');
  symlinkSync(real, goodLink);
  const badLink = join(dir, 'link.py');
  symlinkSync(secret, badLink);
  const relative = 'app.py';
  const b = new ProfileBuilder('test');
  b.addSampleFrames(
    b.thread('1'),
    [real, goodLink, badLink, relative].map((f, i) => b.frame(b.func(`f${i}`, f, 1))),
    0,
  );
  return { dir, names: { real, goodLink, badLink, relative }, profile: b.build() };
}

test('the source view follows a link only to a source file, and reads relative names beside the profile, not in the cwd', async () => {
  const farm = linkFarm();
  const source = async (port: number, path: string) =>
    JSON.parse((await get(port, `/api/profiles/0/source?path=${encodeURIComponent(path)}`)).body.toString());
  const server = await startViewServer([{ name: 'links', profile: farm.profile, sourceDir: farm.dir }]);
  try {
    assert.equal((await source(server.port, farm.names.real)).text, 'print("hello")\n');
    assert.equal((await source(server.port, farm.names.goodLink)).text, 'print("hello")\n');
    const bad = await source(server.port, farm.names.badLink);
    assert.equal(bad.text, undefined, 'a .py link to a secret is not read');
    assert.match(bad.unavailable, /link to a file that is not source code/);
    assert.equal((await source(server.port, farm.names.relative)).text, 'print("hello")\n', 'relative: beside the profile');
  } finally {
    await server.close();
  }
  // Without the profile's directory a relative name is not looked up in the current directory.
  const cwdSecret = 'cwd_only.py';
  const b = new ProfileBuilder('test');
  b.addSampleFrames(b.thread('1'), [b.frame(b.func('f', cwdSecret, 1))], 0);
  writeFileSync(join(process.cwd(), cwdSecret), 'IN-THE-CWD\n');
  const noDir = await startViewServer([{ name: 'rel', profile: b.build() }]);
  try {
    const read = await source(noDir.port, cwdSecret);
    assert.equal(read.text, undefined);
    assert.match(read.unavailable, /relative name/);
  } finally {
    await noDir.close();
    rmSync(join(process.cwd(), cwdSecret), { force: true });
    rmSync(farm.dir, { recursive: true, force: true });
  }
});
