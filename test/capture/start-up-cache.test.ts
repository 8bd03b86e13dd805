/**
 * record's start-up facts kept between runs (capture/file-facts-cache.ts): after one record, the
 * user's cache holds the interpreter's probe answer and libpython's ELF symbols; a second record
 * uses them and still samples the program; a corrupt cache only costs learning them again.
 * Real interpreters: pyenv's 3.11 (libpython3.11.so) and Debian's static python3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProfile, removeDir, runPyrometer, totalByName } from './run.js';
import { pyenvPython } from './interpreters.js';

const BUSY = 'x = 0\nfor i in range(3_000_000): x += i % 7';

for (const python of [pyenvPython('3.11'), '/usr/bin/python3']) {
  if (!python) continue;
  test(`${python}: the second record starts from the cached probe and ELF symbols and samples as the first`, async () => {
    const cache = mkdtempSync(join(tmpdir(), 'pyrometer-cache-'));
    try {
      const env = { XDG_CACHE_HOME: cache };
      const elfFile = join(cache, 'pyrometer', 'elf-symbols.json');
      for (const round of ['first', 'cached', 'corrupt']) {
        if (round === 'corrupt') {
          writeFileSync(elfFile, '{"version":1,"entries":{');
          writeFileSync(join(cache, 'pyrometer', 'interpreters.json'), '\0');
        }
        const run = await runPyrometer(['record', '-o', 'c.prof', '--', python, '-c', BUSY], { env });
        try {
          assert.equal(run.code, 0, run.stderr);
          assert.match(run.stderr, /from outside the process/, `${round}: sampled from outside`);
          const profile = await readProfile(join(run.dir, 'c.prof'));
          assert.ok((totalByName(profile).get('<module>') ?? 0) > 0, `${round}: the program's samples`);
        } finally {
          removeDir(run.dir);
        }
        const interpreters = JSON.parse(readFileSync(join(cache, 'pyrometer', 'interpreters.json'), 'utf8'));
        assert.ok(interpreters.entries[realpathSync(python)], `${round}: the probe answer is kept`);
        const elf = JSON.parse(readFileSync(elfFile, 'utf8'));
        const kept = Object.values(elf.entries) as { value: { symbols: [string, number][] } }[];
        assert.ok(
          kept.some((e) => e.value.symbols.some(([name]) => name === '_PyRuntime')),
          `${round}: _PyRuntime's address is kept`,
        );
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
}
