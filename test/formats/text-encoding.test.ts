import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadProfile, loadProfileBytes } from '../../src/formats/load.js';
import { utf16Encoding, utf16ToUtf8 } from '../../src/formats/text-encoding.js';
import { stackMultiset } from './format-helpers.js';

/** UTF-16 bytes with a BOM, as Windows tools write them. */
function utf16(text: string, endian: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, endian === 'le');
  for (let i = 0; i < text.length; i++) view.setUint16(2 + 2 * i, text.charCodeAt(i), endian === 'le');
  return out;
}

const collapsed = 'main;parse;λ 3\r\nmain;run 5\n';
const callgrind = 'events: Ir\nfl=a.c\nfn=main\n1 7\ncfn=f\ncalls=1 2\n1 5\nfn=f\n2 5\n';

test('text-encoding: UTF-16 LE and BE with a BOM read like UTF-8, for every text reader', async () => {
  for (const [text, format] of [
    [collapsed, 'collapsed'],
    [callgrind, 'callgrind'],
  ] as const) {
    const expected = stackMultiset(await loadProfileBytes(new TextEncoder().encode(text), 'x.txt'));
    for (const endian of ['le', 'be'] as const) {
      const bytes = utf16(text, endian);
      assert.equal(utf16Encoding(bytes), `utf-16${endian}`);
      const p = await loadProfileBytes(bytes, 'x.txt');
      assert.equal(p.meta.format, format);
      assert.deepEqual(stackMultiset(p), expected, `${format} ${endian}`);
      // gzip-compressed, and from a file (the streaming loader's path).
      assert.deepEqual(stackMultiset(await loadProfileBytes(new Uint8Array(gzipSync(bytes)), 'x.txt.gz')), expected);
      const dir = mkdtempSync(join(tmpdir(), 'pyrometer-utf16-'));
      try {
        writeFileSync(join(dir, 'p.txt'), bytes);
        assert.deepEqual(stackMultiset(await loadProfile(join(dir, 'p.txt'), { streamThreshold: 0 })), expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  assert.ok([...stackMultiset(await loadProfileBytes(utf16(collapsed, 'le'), 'x.txt')).keys()].some((k) => k.endsWith('λ')));
});

test('text-encoding: only a BOM makes UTF-16; other bytes pass through untouched', () => {
  const plain = new TextEncoder().encode(collapsed);
  assert.equal(utf16ToUtf8(plain), plain);
  assert.equal(utf16Encoding(new Uint8Array([0xff])), null);
  // An odd trailing byte is a replacement character, not an exception.
  const odd = new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x62]);
  assert.equal(new TextDecoder().decode(utf16ToUtf8(odd)), 'a\uFFFD');
});
