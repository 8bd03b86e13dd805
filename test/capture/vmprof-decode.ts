/**
 * A decoder for the 64-bit little-endian VMProf files our sampler writes, written from
 * docs/formats.md §1 (not the project's reader): layout.test.ts and the counts tests check our
 * files with it, so they stay readable by vmprof-python's own reader.
 */
import assert from 'node:assert/strict';
import { MARKER_META, MARKER_STACKTRACE, readMeta, walkRecords } from '../../src/formats/vmprof/records.js';
import { concatBytes } from '../../src/formats/bytes.js';

export interface Decoded {
  period: number;
  version: number;
  flags: number;
  interpreter: string;
  meta: Map<string, string>;
  names: Map<bigint, string>;
  stacks: { depth: number; entries: bigint[]; thread: bigint; rss: bigint | null }[];
  trailer: boolean;
}

/** A decoder for 64-bit little-endian VMProf files, straight from formats.md §1. */
export function decode(bytes: Uint8Array): Decoded {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) => view.getBigInt64(at, true);
  assert.equal(bytes[4], 0, 'byte 4 is not 3: 8-byte words');
  assert.equal(bytes[8], 3, 'byte 8 == 3: 8-byte words');
  assert.deepEqual([word(0), word(8), word(16), word(32)], [0n, 3n, 0n, 0n], 'static header 0, 3, 0, period, 0');
  const out: Decoded = {
    period: Number(word(24)),
    version: -1,
    flags: 0,
    interpreter: '',
    meta: new Map(),
    names: new Map(),
    stacks: [],
    trailer: false,
  };
  let pos = 40;
  const announced = new Set<bigint>();
  while (pos < bytes.length) {
    const marker = bytes[pos++];
    switch (marker) {
      case 0x05: {
        assert.equal(out.version, -1, 'one header');
        assert.equal(bytes[pos], 0);
        out.version = bytes[pos + 1];
        out.flags = bytes[pos + 2];
        const len = bytes[pos + 3];
        out.interpreter = new TextDecoder().decode(bytes.subarray(pos + 4, pos + 4 + len));
        pos += 4 + len;
        break;
      }
      case 0x06:
        assert.ok(word(pos) > 1_600_000_000n, 'start time in seconds');
        assert.ok(word(pos + 8) >= 0n && word(pos + 8) < 1_000_000n, 'microseconds');
        pos += 24;
        break;
      case 0x07: {
        const klen = Number(word(pos));
        const key = new TextDecoder().decode(bytes.subarray(pos + 8, pos + 8 + klen));
        const vlen = Number(word(pos + 8 + klen));
        const value = new TextDecoder().decode(bytes.subarray(pos + 16 + klen, pos + 16 + klen + vlen));
        assert.ok(!out.meta.has(key), `META key ${key} appears once (vmprof-python asserts it)`);
        out.meta.set(key, value);
        pos += 16 + klen + vlen;
        break;
      }
      case 0x02:
      case 0x08: {
        const uid = word(pos);
        const len = Number(word(pos + 8));
        const name = new TextDecoder().decode(bytes.subarray(pos + 16, pos + 16 + len));
        if (marker === 0x02) {
          assert.match(name, /^py:[^:]*:\d+:.+$/);
          assert.equal(uid & 1n, 0n, 'code uids are even');
        } else {
          assert.match(name, /^n:[^:]+:\d+:.+$/);
          assert.equal(uid & 1n, 1n, 'native uids are odd (address | 1)');
        }
        announced.add(uid);
        out.names.set(uid, name);
        pos += 16 + len;
        break;
      }
      case 0x01: {
        assert.equal(word(pos), 1n, 'count word is 1');
        const depth = Number(word(pos + 8));
        assert.ok(depth > 0 && depth <= 1 << 16);
        const entries: bigint[] = [];
        for (let i = 0; i < depth; i++) entries.push(word(pos + 16 + 8 * i));
        pos += 16 + 8 * depth;
        const thread = word(pos);
        pos += 8;
        let rss: bigint | null = null;
        if (out.flags & 0x01) {
          rss = word(pos);
          pos += 8;
        }
        const uids = out.flags & 0x02 ? entries.filter((_, i) => i % 2 === 1) : entries;
        for (const uid of uids) assert.ok(announced.has(uid), `uid ${uid} named before its first stack`);
        if (out.flags & 0x02) {
          assert.equal(depth % 2, 0, 'lines mode: (line, uid) pairs');
          for (let i = 0; i < depth; i += 2) {
            const native = (entries[i + 1] & 1n) === 1n;
            assert.ok(native ? entries[i] === 0n : entries[i] > 0n, 'line > 0 for Python frames, 0 before native ones');
          }
        }
        out.stacks.push({ depth, entries, thread, rss });
        break;
      }
      case 0x03:
        assert.ok(word(pos) > 1_600_000_000n, 'stop time');
        pos += 24;
        assert.equal(pos, bytes.length, 'the trailer ends the file');
        out.trailer = true;
        break;
      default:
        assert.fail(`unknown marker 0x${marker.toString(16)} at ${pos - 1}`);
    }
  }
  return out;
}

/**
 * Each record's weight in periods, from the `w:<n>` = `w0,w1,…` META (formats.md): a look writes
 * a stack once, its weight the periods it stands for; records no `w:` names weigh 1.
 */
export function weightsOf(d: Decoded): number[] {
  const weights = d.stacks.map(() => 1);
  for (const [key, value] of d.meta) {
    if (!key.startsWith('w:')) continue;
    const first = Number(key.slice(2));
    value.split(',').forEach((w, i) => {
      assert.ok(first + i < weights.length, `w:${first} names only records that exist`);
      assert.match(w, /^[1-9]\d*$/);
      weights[first + i] = Number(w);
    });
  }
  return weights;
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * The file as a writer without weights would have made it: each stack record repeated by its
 * `w:` weight, the `w:` keys dropped (how our samplers wrote before weights, and what readers that
 * count records, vmprof-python's included, must see to count the same as our weighted reading).
 */
export function unweighted(bytes: Uint8Array): Uint8Array {
  const walk = walkRecords(bytes);
  assert.ok(walk, 'a VMProf file');
  const weights = weightsOf(decode(bytes));
  const parts: Uint8Array[] = [bytes.subarray(0, walk.records[0].start)];
  let n = 0;
  for (const r of walk.records) {
    const record = bytes.subarray(r.start, r.end);
    if (r.marker === MARKER_STACKTRACE) for (let i = weights[n++]; i > 0; i--) parts.push(record);
    else if (r.marker !== MARKER_META || !readMeta(bytes, r.start)[0].startsWith('w:')) parts.push(record);
  }
  return concatBytes(parts);
}
