/**
 * The README's promises, checked: the newcomer commands exist and CI runs the
 * same steps, every command is documented, every format has a row in the
 * formats table, and the demo's program is in the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allFormats } from '../src/formats/all.js';
import { buildProgram } from '../src/cli/main.js';
import { projectRoot } from './helpers.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));

test('the two newcomer commands are in the README, and their scripts exist', () => {
  assert.ok(readme.includes('npm ci && npm run demo'));
  assert.ok(readme.includes('npm ci && npm run test:deps && npm test'));
  for (const script of ['demo', 'test:deps', 'test', 'build']) assert.equal(typeof pkg.scripts[script], 'string', script);
  assert.ok(existsSync(join(projectRoot, 'scripts/install-test-deps.sh')));
});

test('CI runs exactly the README full-suite steps', () => {
  const steps = readFileSync(join(projectRoot, '.ci/run'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('npm '));
  assert.deepEqual(
    steps.map((l) => l.replace(/\s+--no-audit|\s+--no-fund/g, '')),
    ['npm ci', 'npm run test:deps', 'npm test'],
  );
});

test('the demo records a program that is in the repository', () => {
  const demo: string = pkg.scripts.demo;
  const program = /python3?\s+(\S+\.py)/.exec(demo);
  assert.ok(program, demo);
  assert.ok(existsSync(join(projectRoot, program[1])), `${program[1]} (run by npm run demo) is missing`);
  assert.match(demo, /pyrometer\.js record .* && node bin\/pyrometer\.js show /);
});

test('every command is documented in the README', async () => {
  const names = (await buildProgram(() => {})).commands.map((c) => c.name()).filter((n) => n !== 'help');
  for (const name of names) {
    assert.match(readme, new RegExp(`^#{2,4} .*\`pyrometer ${name}\\b`, 'm'), `README has no section for "pyrometer ${name}"`);
  }
});

test('every format has a row in the README formats table', () => {
  const start = readme.indexOf('## Supported formats');
  assert.ok(start >= 0);
  const rows = readme
    .slice(start)
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) => l.toLowerCase());
  for (const format of allFormats()) {
    const names = [format.name, ...format.extensions.map((e) => `.${e}`)];
    assert.ok(
      rows.some((row) => names.some((n) => row.includes(n.toLowerCase()))),
      `no row in the README formats table names ${format.name} (${format.description})`,
    );
  }
});
