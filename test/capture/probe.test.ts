/**
 * The interpreter probe and its cache (capture/probe.ts): an ELF interpreter is probed once and
 * answered from $XDG_CACHE_HOME/pyrometer/interpreters.json while its files are unchanged; a
 * changed binary is probed again; a script (pyenv's shims are scripts) is never cached; a corrupt
 * or unwritable cache only costs a probe. Real interpreters: Debian's python3 (copied, so its
 * mtime can change) and PyPy, whose answer lives in libpypy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeCache, probeInterpreter } from '../../src/capture/probe.js';

const probeCachePath = (env: NodeJS.ProcessEnv) => probeCache(env).path;

const DEBIAN_PYTHON = realpathSync('/usr/bin/python3');

function scratch(): { dir: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-probe-'));
  return { dir, env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Cache = { entries: Record<string, { value: { version: string }; files: { path: string }[] }> };
const readCache = (env: NodeJS.ProcessEnv) => JSON.parse(readFileSync(probeCachePath(env), 'utf8')) as Cache;

/** Marks the cached answer for `binary` so that a result coming from the cache is recognisable. */
function tamper(env: NodeJS.ProcessEnv, binary: string): void {
  const cache = readCache(env);
  cache.entries[binary].value.version = '3.99.0';
  writeFileSync(probeCachePath(env), JSON.stringify(cache));
}

test('an ELF interpreter is probed once, answered from the cache while unchanged, probed again once changed', async () => {
  const { dir, env, cleanup } = scratch();
  try {
    const python = join(dir, 'bin', 'python3');
    mkdirSync(join(dir, 'bin'));
    copyFileSync(DEBIAN_PYTHON, python);
    chmodSync(python, 0o755);
    const first = await probeInterpreter(python, dir, env);
    assert.equal(first.implementation, 'cpython');
    assert.match(first.version, /^3\.\d+\.\d+$/);
    assert.equal(first.hasVmprof, false);
    assert.equal(readCache(env).entries[python].files[0].path, python, 'kept under its real path');
    tamper(env, python);
    assert.equal((await probeInterpreter(python, dir, env)).version, '3.99.0', 'the second run uses the cache');
    utimesSync(python, new Date(), new Date(Date.now() + 5000));
    assert.equal((await probeInterpreter(python, dir, env)).version, first.version, 'a changed binary is probed again');
  } finally {
    cleanup();
  }
});

test("PyPy's entry watches libpypy too, where its answer lives", async () => {
  const { dir, env, cleanup } = scratch();
  try {
    const info = await probeInterpreter('pypy3', dir, env);
    assert.equal(info.implementation, 'pypy');
    assert.equal(info.hasVmprof, true);
    const entry = readCache(env).entries[realpathSync(info.path)];
    assert.ok(
      entry.files.some((f) => /\/libpypy[^/]*\.so/.test(f.path)),
      JSON.stringify(entry.files),
    );
  } finally {
    cleanup();
  }
});

test('a script interpreter (a pyenv shim, a wrapper) is probed every time, never cached', async () => {
  const { dir, env, cleanup } = scratch();
  try {
    const wrapper = join(dir, 'python-wrapper');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${DEBIAN_PYTHON} "$@"\n`);
    chmodSync(wrapper, 0o755);
    assert.equal((await probeInterpreter(wrapper, dir, env)).implementation, 'cpython');
    assert.throws(() => readFileSync(probeCachePath(env)), /ENOENT/);
  } finally {
    cleanup();
  }
});

test('a corrupt cache is probed past and rewritten; an unwritable one only costs the probe', async () => {
  const { dir, env, cleanup } = scratch();
  try {
    mkdirSync(join(dir, 'cache', 'pyrometer'), { recursive: true });
    for (const garbage of ['{"version":1,"entries":{"x":', '{"version":1,"entries":{"/usr/bin/python3.11":{"files":[]}}}', '\0\0']) {
      writeFileSync(probeCachePath(env), garbage);
      assert.equal((await probeInterpreter('/usr/bin/python3', dir, env)).implementation, 'cpython');
      assert.ok(readCache(env).entries[DEBIAN_PYTHON], 'rewritten with the answer');
    }
    const blocked = { ...env, XDG_CACHE_HOME: join(dir, 'a-file') };
    writeFileSync(join(dir, 'a-file'), '');
    assert.equal((await probeInterpreter('/usr/bin/python3', dir, blocked)).implementation, 'cpython');
  } finally {
    cleanup();
  }
});

test('what is not Python 3.7+ is still one clear error', async () => {
  const { dir, env, cleanup } = scratch();
  try {
    await assert.rejects(probeInterpreter('/bin/true', dir, env), /is not a Python interpreter/);
    await assert.rejects(probeInterpreter(join(dir, 'nope'), dir, env), /interpreter not found/);
  } finally {
    cleanup();
  }
});
