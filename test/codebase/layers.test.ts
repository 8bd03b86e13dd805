/**
 * The layer rule (docs/design.md, "Layers") is enforced by Biome's linter with the project's
 * own biome.json. These tests prove the rule is live: each wrong-way import below, written
 * into a scratch tree linted with that same configuration, must fail the lint, and the
 * matching right-way import must pass, so a rule that matched nothing (or everything) fails
 * here. The real tree is linted by `npm run lint`, which `npm test` runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot } from '../helpers.js';

const biome = join(projectRoot, 'node_modules/.bin/biome');

/** Lints a scratch tree of `files` (path -> text) with the project's biome.json; the exit status and the output. */
function lint(files: Record<string, string>): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-layers-'));
  try {
    copyFileSync(join(projectRoot, 'biome.json'), join(dir, 'biome.json'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(biome, ['lint', '--vcs-enabled=false', '--max-diagnostics=50', '--colors=off'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.error, undefined, `biome did not run: ${r.error}`);
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A module at `from` importing `specifier`, with the target present so only the rule can object. */
function importing(from: string, specifier: string, target: string): Record<string, string> {
  return {
    [target]: 'export const value = 1;\n',
    [from]: `import { value } from '${specifier}';\nexport const used = value;\n`,
  };
}

const wrongWay: [from: string, specifier: string, target: string][] = [
  ['src/model/serialize.ts', '../formats/errors.js', 'src/formats/errors.ts'],
  ['src/model/profile.ts', 'node:fs', ''],
  ['src/formats/vmprof/parser.ts', '../../cli/errors.js', 'src/cli/errors.ts'],
  ['src/formats/load.ts', '../server/app.js', 'src/server/app.ts'],
  ['src/capture/recorder.ts', '../cli/errors.js', 'src/cli/errors.ts'],
  ['src/capture/summary.ts', '../report/text.js', 'src/report/text.ts'],
  ['src/report/html.ts', '../view-server/server.js', 'src/view-server/server.ts'],
  ['src/server/routes/pages.ts', '../../view-server/server.js', 'src/view-server/server.ts'],
  ['src/view-server/server.ts', '../server/app.js', 'src/server/app.ts'],
  ['src/net/guards.ts', '../server/http.js', 'src/server/http.ts'],
  ['src/assets/viewer.ts', '../model/profile.js', 'src/model/profile.ts'],
  ['web/src/views.ts', '../../src/view-server/server.js', 'src/view-server/server.ts'],
  ['web/src/loader.ts', '../../src/formats/load.js', 'src/formats/load.ts'],
  ['src/formats/pprof/index.ts', 'fastify', ''],
];

for (const [from, specifier, target] of wrongWay) {
  test(`the linter refuses ${from} importing ${specifier}`, () => {
    const files = target ? importing(from, specifier, target) : { [from]: `import * as m from '${specifier}';\nexport const used = m;\n` };
    const { ok, output } = lint(files);
    assert.equal(ok, false, `the lint passed:\n${output}`);
    assert.match(output, /noRestrictedImports/);
    assert.match(output, /imports run one way/);
  });
}

const rightWay: [from: string, specifier: string, target: string][] = [
  ['src/formats/vmprof/parser.ts', '../../model/builder.js', 'src/model/builder.ts'],
  ['src/capture/recorder.ts', '../formats/load.js', 'src/formats/load.ts'],
  ['src/report/html.ts', '../assets/viewer.js', 'src/assets/viewer.ts'],
  ['src/view-server/server.ts', '../net/guards.js', 'src/net/guards.ts'],
  ['src/server/routes/pages.ts', '../../formats/load.js', 'src/formats/load.ts'],
  ['src/cli/main.ts', '../server/app.js', 'src/server/app.ts'],
  ['web/src/views.ts', '../../src/model/source-files.js', 'src/model/source-files.ts'],
];

for (const [from, specifier, target] of rightWay) {
  test(`the linter accepts ${from} importing ${specifier}`, () => {
    const { ok, output } = lint(importing(from, specifier, target));
    assert.equal(ok, true, output);
  });
}

test('the linter refuses an import cycle', () => {
  const { ok, output } = lint({
    'src/model/analysis.ts': "import { applyTransforms } from './transforms.js';\nexport const stackWeights = () => applyTransforms;\n",
    'src/model/transforms.ts': "import { stackWeights } from './analysis.js';\nexport const applyTransforms = () => stackWeights;\n",
  });
  assert.equal(ok, false, output);
  assert.match(output, /noImportCycles/);
});
