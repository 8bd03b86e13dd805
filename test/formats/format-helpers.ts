/**
 * Shared checks for format tests: content sniffing (with and without a file
 * name) against the full registry, and the "bad input is one typed error" rule.
 */
import assert from 'node:assert/strict';
import '../../src/formats/all.js';
import { sniffFormat } from '../../src/formats/registry.js';
import { ProfileFormatError } from '../../src/formats/errors.js';

/** Sniffing limit promised by the Format interface. */
export const SNIFF_BYTES = 64 * 1024;

/** Asserts that the registry picks `formatName` for these bytes from content alone, and with the file name. */
export function assertSniffsAs(bytes: Uint8Array, formatName: string, fileName?: string): void {
  const head = bytes.subarray(0, SNIFF_BYTES);
  assert.equal(sniffFormat(head)?.name, formatName, `content sniffing${fileName ? ` of ${fileName}` : ''}`);
  if (fileName) assert.equal(sniffFormat(head, fileName)?.name, formatName, `sniffing ${fileName} with its name`);
}

/** Asserts that the registry does not pick `formatName` for these bytes. */
export function assertNotSniffedAs(bytes: Uint8Array, formatName: string): void {
  assert.notEqual(sniffFormat(bytes.subarray(0, SNIFF_BYTES))?.name, formatName);
}

/**
 * Runs `read` and asserts it fails with exactly one ProfileFormatError naming
 * `formatName`, whose message matches `pattern` (and that nothing else escapes).
 */
export function assertFormatError(read: () => unknown, formatName: string, pattern?: RegExp): ProfileFormatError {
  let caught: unknown;
  try {
    read();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ProfileFormatError, `expected a ProfileFormatError, got ${String(caught)}`);
  assert.equal(caught.format, formatName);
  assert.ok(caught.offset >= 0 || caught.lineNumber > 0, `error names a position: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), 'one line');
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

const encoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

// ---- Export round trips (collapsed, speedscope, pprof writers) ----

import { gunzipSync } from 'node:zlib';
import { formatByName } from '../../src/formats/registry.js';
import { frameLabel } from '../../src/formats/collapsed.js';
import type { Profile, WeightUnit } from '../../src/model/profile.js';

/** Factor from a weight unit to ms (time units) or 1 (counts, bytes). */
export function toBaseUnit(unit: WeightUnit): number {
  return unit === 'us' ? 1e-3 : unit === 'ns' ? 1e-6 : 1;
}

/**
 * The profile as a multiset of collapsed stacks: `name (file:line);...` root
 * first -> summed weight (ms for time units), all threads merged. Two profiles
 * with equal multisets have the same flame graph.
 */
export function stackMultiset(profile: Profile, scale = toBaseUnit(profile.meta.weightUnit)): Map<string, number> {
  const labels: string[] = [];
  const out = new Map<string, number>();
  for (let s = 0; s < profile.stacks.length; s++) {
    const p = profile.stacks.prefix[s];
    const label = frameLabel(profile, profile.stacks.frame[s]);
    labels[s] = p < 0 ? label : `${labels[p]};${label}`;
  }
  for (const t of profile.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s < 0 || t.samples.weight[i] === 0) continue;
      out.set(labels[s], (out.get(labels[s]) ?? 0) + t.samples.weight[i] * scale);
    }
  }
  return out;
}

/** Asserts equal multisets (weights equal within a relative 1e-9, or `tolerance` absolute). */
export function assertSameStacks(actual: Map<string, number>, expected: Map<string, number>, tolerance = 0): void {
  // A stack lighter than the tolerance may vanish (rounded to 0 by an integer format).
  const expectedKeys = [...expected.keys()].filter((k) => actual.has(k) || expected.get(k)! > tolerance);
  assert.deepEqual([...actual.keys()].sort(), expectedKeys.sort(), 'same stacks');
  for (const [k, w] of expected) {
    const a = actual.get(k) ?? 0;
    assert.ok(Math.abs(a - w) <= Math.max(tolerance, 1e-9 * Math.abs(w)), `weight of ${k}: ${a} vs ${w}`);
  }
}

export function multisetTotal(m: Map<string, number>): number {
  let total = 0;
  for (const w of m.values()) total += w;
  return total;
}

/**
 * Writes `profile` with the named format's writer, reads the output back with
 * the reader content sniffing picks (no file name), and asserts it is the same
 * format, with the same stacks and totals. `scale` converts the original's
 * weights to the re-read profile's (e.g. 1000 when ms become integer us in
 * collapsed output); by default both are compared in base units.
 */
export function assertExportRoundTrip(
  profile: Profile,
  formatName: string,
  options: { scale?: number; tolerance?: number; threads?: number } = {},
): Profile {
  const format = formatByName(formatName);
  assert.ok(format?.write && format.read, `${formatName} reads and writes`);
  const written = format.write(profile);
  let bytes = typeof written === 'string' ? utf8(written) : written;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(gunzipSync(bytes));
  assert.equal(sniffFormat(bytes.subarray(0, SNIFF_BYTES))?.name, formatName, 'the output sniffs as its format');
  const back = format.read(bytes);
  const expected = options.scale === undefined ? stackMultiset(profile) : stackMultiset(profile, options.scale);
  const actual = options.scale === undefined ? stackMultiset(back) : stackMultiset(back, 1);
  assertSameStacks(actual, expected, options.tolerance);
  assert.ok(
    Math.abs(multisetTotal(actual) - multisetTotal(expected)) <= Math.max(options.tolerance ?? 0, 1e-9 * multisetTotal(expected)),
    'same total',
  );
  if (options.threads !== undefined) assert.equal(back.threads.length, options.threads, 'thread count');
  return back;
}

/** The model's invariants, for reader tests to run on what they read (test/model/invariants.ts). */
export { assertModelInvariants } from '../model/invariants.js';
