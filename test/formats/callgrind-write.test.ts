import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callgrindFormat, type CallgrindData } from '../../src/formats/callgrind/index.js';
import { writeCallgrind } from '../../src/formats/callgrind/write.js';
import { pstatsFormat } from '../../src/formats/pstats/index.js';
import { functionTable, lineCosts, stackWeights } from '../../src/model/analysis.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import { funcFile, funcName, type Profile } from '../../src/model/profile.js';
import { fixture, testOutput } from '../helpers.js';
import { syntheticProfile } from './writer-profiles.js';

const encoder = new TextEncoder();
const outDir = join(testOutput, 'callgrind-write');
mkdirSync(outDir, { recursive: true });

function readBack(text: string): { profile: Profile; data: CallgrindData } {
  const profile = callgrindFormat.read!(encoder.encode(text));
  return { profile, data: profile.attachments.callgrind as CallgrindData };
}

/** Shown as the writer writes names: control characters as \xNN text. */
const shown = (name: string) => name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** callgrind_annotate (valgrind's own reader; scripts/install-test-deps.sh installs valgrind). */
function annotate(path: string, ...args: string[]): string {
  const result = spawnSync('callgrind_annotate', [...args, path], { encoding: 'utf8' });
  assert.equal(result.error, undefined, 'callgrind_annotate must be installed (valgrind)');
  assert.equal(result.status, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /WARNING|malformed/, result.stderr);
  return result.stdout;
}

/** `cost (pct)  file:function` rows of callgrind_annotate's function table. */
function annotatedCosts(output: string): Map<string, number> {
  const rows = new Map<string, number>();
  const table = output.split(/file:function\n-+\n/)[1] ?? '';
  for (const line of table.split('\n')) {
    const m = line.match(/^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/);
    if (m) rows.set(m[2], Number(m[1].replace(/,/g, '')));
  }
  return rows;
}

test('synthetic profile: our reader gets back every self, inclusive and per-line cost', () => {
  const profile = syntheticProfile();
  const text = writeCallgrind(profile);
  assert.match(text, /^events: Samples$/m);
  const { data } = readBack(text);
  const weights = stackWeights(profile);
  const { self, total } = functionTable(profile, weights);
  const lines = lineCosts(profile, weights);
  assert.equal(data.totals[0], 158);
  let checked = 0;
  for (let f = 0; f < profile.funcs.length; f++) {
    if (total[f] === 0) continue;
    const file = funcFile(profile, f) || '???';
    const back = data.functions.find((g) => g.name === shown(funcName(profile, f)).trim() && g.file === shown(file).trim());
    assert.ok(back, `function ${funcName(profile, f)} written`);
    assert.equal(back.self[0], self[f], `self of ${funcName(profile, f)}`);
    assert.equal(back.inclusive[0], total[f], `inclusive of ${funcName(profile, f)}`);
    for (const [line, cost] of lines.get(f) ?? []) {
      if (cost.self === 0) continue;
      const backLine = back.lines.find((l) => l.line === line);
      assert.equal(backLine?.self[0], cost.self, `${funcName(profile, f)}:${line}`);
    }
    checked++;
  }
  assert.ok(checked >= 10);
  // Names are compressed: each function name is spelled out once.
  assert.equal(text.match(/^(fn|cfn)=\(\d+\) work$/gm)?.length, 1);
});

test('callgrind_annotate reads our output: totals, self costs, inclusive costs', () => {
  const profile = syntheticProfile();
  const path = join(outDir, 'synthetic.callgrind');
  writeFileSync(path, writeCallgrind(profile));
  const output = annotate(path, '--threshold=100');
  assert.match(output, /^158 \(100\.0%\)\s+PROGRAM TOTALS$/m);
  const selfRows = annotatedCosts(output);
  assert.equal(selfRows.get('app/work.py:leaf'), 115);
  assert.equal(selfRows.get('???:memcpy'), 20);
  assert.equal(selfRows.get('app/main.py:main'), 5);
  const inclusiveRows = annotatedCosts(annotate(path, '--threshold=100', '--inclusive=yes'));
  // callgrind_annotate sums the calls into a function (main is never called: self + its calls).
  assert.equal(inclusiveRows.get('app/main.py:main'), 138);
  assert.equal(inclusiveRows.get('app/work.py:leaf'), 115);
  assert.equal(inclusiveRows.get('???:memcpy'), 20);
});

test('a real callgrind file survives read -> write -> read exactly (all events, calls)', () => {
  const original = callgrindFormat.read!(new Uint8Array(readFileSync(fixture('callgrind/callgrind.python3-tiny.out'))));
  const before = original.attachments.callgrind as CallgrindData;
  const text = writeCallgrind(original);
  const path = join(outDir, 'python3-tiny.callgrind');
  writeFileSync(path, text);
  const { profile: readAgain, data: after } = readBack(text);
  assert.deepEqual(after.events, before.events);
  assert.deepEqual(after.totals, before.totals);
  // Compare per profile function (name and file): the reader's identity for calls.
  const funcKey = (p: Profile, func: number) => `${funcFile(p, func)}|${funcName(p, func)}`;
  const selfByFunc = (p: Profile, data: CallgrindData) => {
    const m = new Map<string, number[]>();
    for (const f of data.functions) {
      const k = funcKey(p, f.func);
      const sum = m.get(k) ?? new Array(data.events.length).fill(0);
      f.self.forEach((c, i) => (sum[i] += c));
      m.set(k, sum);
    }
    return m;
  };
  assert.deepEqual(selfByFunc(readAgain, after), selfByFunc(original, before));
  // Inclusive costs of every function the reader keeps apart.
  const counted = new Map<number, number>();
  for (const f of before.functions) counted.set(f.func, (counted.get(f.func) ?? 0) + 1);
  const afterByKey = new Map(after.functions.map((f) => [funcKey(readAgain, f.func), f]));
  let compared = 0;
  for (const f of before.functions) {
    if (counted.get(f.func) !== 1) continue;
    assert.deepEqual(afterByKey.get(funcKey(original, f.func))?.inclusive, f.inclusive, `inclusive ${funcKey(original, f.func)}`);
    compared++;
  }
  assert.ok(compared > 100, `${compared} functions compared`);
  const callCounts = (p: Profile, data: CallgrindData) => {
    const m = new Map<string, number>();
    for (const c of data.calls) {
      const k = `${funcKey(p, c.caller)} -> ${funcKey(p, c.callee)}`;
      m.set(k, (m.get(k) ?? 0) + c.calls);
    }
    return m;
  };
  assert.deepEqual(callCounts(readAgain, after), callCounts(original, before));
  // valgrind's own tool agrees on the program total.
  const output = annotate(path);
  assert.match(output, new RegExp(`^${before.totals[0].toLocaleString('en-US')} \\(100\\.0%\\)\\s+PROGRAM TOTALS`, 'm'));
});

test('cProfile fixture converts to a callgrind file callgrind_annotate reads', () => {
  const profile = pstatsFormat.read!(new Uint8Array(readFileSync(fixture('cprofile/cprofile-python3-primes.pstats'))));
  const path = join(outDir, 'primes.callgrind');
  writeFileSync(path, callgrindFormat.write!(profile) as string);
  const output = annotate(path, '--threshold=100');
  const rows = annotatedCosts(output);
  assert.ok(rows.size > 3);
  // Every function's self cost adds up to valgrind's program total, and primes() is the hot one.
  const total = Number(output.match(/^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/m)![1].replace(/,/g, ''));
  assert.equal(
    [...rows.values()].reduce((a, b) => a + b, 0),
    total,
  );
  assert.equal([...rows.entries()].sort((a, b) => b[1] - a[1])[0][0], 'primes.py:primes');
  const unit = profile.meta.weightUnit;
  assert.match(readFileSync(path, 'utf8'), new RegExp(`^events: ${unit === 'ms' ? '(ms|us|ns)' : '\\w+'}$`, 'm'));
});

test('fractional durations are written as integers in a finer unit', () => {
  const b = new ProfileBuilder('synthetic', { weightUnit: 'ms' });
  const t = b.thread('1');
  b.addSampleFrames(t, [b.frame(b.func('f', 'f.py', 1), 2)], 0, 1.5);
  b.addSampleFrames(t, [b.frame(b.func('g', 'g.py', 1), 3)], 1, 0.25);
  const text = writeCallgrind(b.build());
  assert.match(text, /^events: us$/m);
  assert.match(text, /^summary: 1750$/m);
  assert.match(text, /^fn=\(1\) f\n2 1500$/m);
});
