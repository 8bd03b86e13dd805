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
