/**
 * The bytes our CPython sampler writes, checked record by record against the VMProf layout in
 * docs/formats.md §1 with a decoder written here from that page (not the project's
 * reader), so the files stay readable by vmprof-python's own reader.
 *
 * Cross-check done beside the project (vmprof-python's public source is neither in the project
 * nor in CI): /work/ext/pyrometer-check/compare.sh recorded test/data/capture/split.py (plain;
 * --lines --mem), sleeper.py (--wall), threads.py and native_calls.py (--lines) on CPython 3.11
 * and read each profile with vmprof-python's `vmprof/reader.py` (`_read_prof`) and with ours:
 * identical version (6), interpreter, period, sample count and leaf-function counts per thread
 * in all five (e.g. split: f 408 / g 101 of 509 samples; native: sorted 321 of 378).
 * See docs/design.md "Recording".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bytesOf, dataPath, removeDir, runPyrometer } from './run.js';

interface Decoded {
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
function decode(bytes: Uint8Array): Decoded {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) => view.getBigInt64(at, true);
  assert.equal(bytes[4], 0, 'byte 4 is not 3: 8-byte words');
  assert.equal(bytes[8], 3, 'byte 8 == 3: 8-byte words');
  assert.deepEqual([word(0), word(8), word(16), word(32)], [0n, 3n, 0n, 0n], 'static header 0, 3, 0, period, 0');
  const out: Decoded = { period: Number(word(24)), version: -1, flags: 0, interpreter: '', meta: new Map(), names: new Map(), stacks: [], trailer: false };
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
function weightsOf(d: Decoded): number[] {
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

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function recordBytes(extra: string[], program: string[]): Promise<Decoded> {
  const run = await runPyrometer(['record', ...extra, '-o', 'b.prof', '--', 'python3', ...program]);
  try {
    assert.equal(run.code, 0, run.stderr);
    return decode(bytesOf(join(run.dir, 'b.prof')));
  } finally {
    removeDir(run.dir);
  }
}

test('CPU mode: header, META, code names before use, one record per look and stack, thread ids, trailer', async () => {
  const d = await recordBytes(['--rate', '500'], [dataPath('split.py'), '8', '60000']);
  assert.equal(d.period, 2000, 'period in microseconds from --rate 500');
  assert.equal(d.version, 6);
  assert.equal(d.flags, 0);
  assert.equal(d.interpreter, 'cpython');
  assert.equal(d.meta.get('sampler'), 'pyrometer');
  assert.equal(d.meta.get('mode'), 'cpu');
  assert.equal(d.meta.get('rate_hz'), '500.0');
  assert.ok(Number(d.meta.get('rate_hz_actual')) > 0);
  assert.equal(Number(d.meta.get('records')), d.stacks.length, 'META records = stack records');
  const weights = weightsOf(d);
  assert.equal(Number(d.meta.get('samples')), sum(weights), 'META samples = the records\' weights');
  // at 500 Hz the CPU timer fires at most once per kernel tick (4 ms here, or 10): looks stand for more than one period
  assert.ok(weights.some((w) => w > 1), 'some looks weigh more than one period');
  assert.ok(d.stacks.length < Number(d.meta.get('samples')), 'fewer records than periods: each look written once');
  assert.ok(d.trailer);
  assert.ok(d.stacks.length > 20);
  const tid = d.stacks[0].thread;
  assert.equal(d.meta.get(`thread_name:0x${tid.toString(16)}`), 'MainThread');
  // innermost first: the first entry of a hot sample is f or g, the last is <module>
  const leaf = d.names.get(d.stacks[d.stacks.length - 1].entries[0]) ?? '';
  const root = d.names.get(d.stacks[0].entries[d.stacks[0].depth - 1]) ?? '';
  assert.match(root, /^py:<module>:1:.*split\.py$/);
  assert.match(leaf, /^py:(f|g|main|<module>):\d+:/);
  assert.match(d.names.get(1n) ?? '', /^n:<idle>:0:-$/);
  // ts:<n> marks: sample numbers in order with times in milliseconds
  const marks = [...d.meta].filter(([k]) => k.startsWith('ts:')).map(([k, v]) => [Number(k.slice(3)), Number(v)]);
  assert.ok(marks.length > 0);
  for (let i = 1; i < marks.length; i++) assert.ok(marks[i][0] > marks[i - 1][0] && marks[i][1] >= marks[i - 1][1]);
});

test('--lines --mem: (line, uid) pairs and an RSS word per sample', async () => {
  const d = await recordBytes(['--lines', '--mem'], [dataPath('split.py'), '8', '60000']);
  assert.equal(d.flags, 0x01 | 0x02);
  for (const s of d.stacks) assert.ok(s.rss !== null && s.rss > 1000n, `RSS ${s.rss} KiB`);
});

test('--wall: REAL_TIME flag, and idle threads carry the <idle> native frame on top', async () => {
  const d = await recordBytes(['--wall'], [dataPath('sleeper.py')]);
  assert.equal(d.flags, 0x10);
  assert.equal(d.meta.get('mode'), 'wall');
  const weights = weightsOf(d);
  const idle = d.stacks.flatMap((s, i) => (s.entries[0] === 1n ? [weights[i]] : []));
  assert.ok(idle.length > 0);
  assert.equal(Number(d.meta.get('idle_samples')), sum(idle));
});
