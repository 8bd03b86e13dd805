/**
 * Seeded fuzzing (issue 14), about a minute in all: mutants of every fixture
 * (test/fixtures, test/data) through every reader, the sniffer and
 * `pyrometer show --json`, and through the upload routes of a real server.
 * Same seed, same cases, every run. 0 crashes and 0 hangs: each case ends in a
 * profile or in our one-line error, each upload in a 201 or a 4xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../helpers.js';
import { fuzzCorpus, mutate } from './mutate.js';
import { runReaderChild } from './run-child.js';
import { eventually, spoolEntries, startTestServer } from '../server/hostile-client.js';

const SEED = 14;

test('fuzz: mutated fixtures through every reader, the sniffer and show --json: no crash, no hang', { timeout: 400_000 }, async () => {
  const run = await runReaderChild(['fuzz', String(SEED), '16'], 360_000);
  assert.equal(run.hungAfter, null, `a case did not finish; the last that did: ${run.hungAfter}\n${run.stderr}`);
  const crashes = run.results.filter((r) => r.outcome.startsWith('crash'));
  assert.deepEqual(crashes.slice(0, 10), [], `${crashes.length} crashes`);
  const clean = run.results.filter((r) => r.outcome === 'format-error').length;
  assert.ok(run.results.length > 10_000, `${run.results.length} cases`);
  console.log(
    `fuzz (seed ${SEED}): ${run.results.length} cases, ${clean} clean errors, ${run.results.length - clean} read, 0 crashes, 0 hangs`,
  );
});

test('fuzz: mutated fixtures uploaded to a real server: every answer a 201 or a 4xx, nothing left in the spool', {
  timeout: 400_000,
}, async () => {
  const server = await startTestServer();
  const random = prng(SEED + 1);
  const statuses = new Map<number, number>();
  let cases = 0;
  try {
    for (const { name, bytes } of fuzzCorpus()) {
      const mutant = mutate(bytes, random);
      const file = encodeURIComponent(name.split('/').pop()!);
      const created = await (
        await fetch(`${server.base}/api/runtime/new`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"argv":"fuzz","VM":"cpython"}',
        })
      ).json();
      for (const [path, headers] of [
        [`/api/v1/profiles?file=${file}`, {}],
        [`/api/runtime/upload/cpu/${created.runtime_id}/add`, { 'content-disposition': `attachment; filename=${file}` }],
      ] as const) {
        const res = await fetch(`${server.base}${path}`, { method: 'POST', body: mutant, headers });
        const text = await res.text();
        cases++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${name} to ${path.split('?')[0]}: HTTP ${res.status} ${text.slice(0, 200)}`);
        if (res.status >= 400) assert.match(JSON.parse(text).error, /\S/);
      }
    }
    await eventually(() => spoolEntries(server).length === 0, 'the spool is empty');
    const list = await fetch(`${server.base}/api/v1/profiles`);
    assert.equal(list.status, 200);
    console.log(
      `fuzz uploads (seed ${SEED + 1}): ${cases} uploads, statuses ${JSON.stringify(Object.fromEntries(statuses))}, 0 server errors`,
    );
  } finally {
    await server.close();
  }
});
