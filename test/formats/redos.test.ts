/**
 * Readers that cannot be made slow (issue 14): every regular-expression literal
 * in the readers (src/formats), the servers (src/server) and their shared guards
 * (src/net) goes through recheck, a ReDoS checker (automaton analysis, fuzzing
 * where that cannot decide), and must be safe: no exponential and no polynomial
 * backtracking. A new regex that can be made slow fails this test with the
 * checker's attack string.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check } from 'recheck';
import { projectRoot } from '../helpers.js';
import { regexLiterals, regexLiteralsUnder } from './regex-literals.js';

test('the regex finder finds literals and skips strings, templates, comments and divisions', () => {
  const js =
    "const a = /x+/g; const b = '/not/'; // /nor/\n const c = `/no/${ d / 2 }/`; /* /none/ */ const e = f(/y[/]z/i) / 3; return /w/;";
  assert.deepEqual(
    regexLiterals(js).map((r) => `/${r.source}/${r.flags}`),
    ['/x+/g', '/y[/]z/i', '/w/'],
  );
});

test('every regex literal in src/formats, src/server and src/net is safe from super-linear backtracking', {
  timeout: 600_000,
}, async () => {
  const literals = regexLiteralsUnder(projectRoot, ['src/formats', 'src/server', 'src/net']);
  assert.ok(literals.length > 100, `found only ${literals.length} regex literals: the finder is broken`);
  const unique = new Map(literals.map((r) => [`/${r.source}/${r.flags}`, r]));
  const unsafe: string[] = [];
  for (const [text, r] of unique) {
    new RegExp(r.source, r.flags); // a mis-tokenized literal would not compile
    const diagnostics = await check(r.source, r.flags, { timeout: 20_000 });
    if (diagnostics.status === 'vulnerable') {
      unsafe.push(`${r.file}:${r.line} ${text}: ${diagnostics.complexity.summary}, e.g. ${diagnostics.attack.pattern.slice(0, 120)}`);
    } else if (diagnostics.status === 'unknown') {
      unsafe.push(`${r.file}:${r.line} ${text}: the checker could not decide (${JSON.stringify(diagnostics.error)})`);
    }
  }
  assert.deepEqual(unsafe, [], `regexes that can be made slow:\n${unsafe.join('\n')}`);
  console.log(`ReDoS check: ${unique.size} distinct regexes in ${literals.length} literals, ${unique.size - unsafe.length} safe`);
});
