import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';
import { deserializeProfile, isSerializedProfile, serializeProfile } from '../../src/model/serialize.js';
import { ProfileFormatError } from '../../src/formats/errors.js';

function sampleProfile(): Profile {
  const b = new ProfileBuilder('vmprof', { interpreter: 'pypy', interval: 1, startTime: 1_700_000_000_000, flags: ['memory'] });
  b.meta.extra.os = 'linux';
  const main = b.thread('0', 'MainThread', '42');
  const other = b.thread('7', '<script>alert(1)</script>', '42');
  const f = b.func('main', 'app.py', 1);
  const g = b.func('g\u0000\u001b[31m', 'lib/x.py', 10, 'python');
  const n = b.func('memcpy', '', 0, 'native');
  const s1 = b.stackOf([b.frame(f, 2), b.frame(g, 11, 'jit')]);
  const s2 = b.stackOf([b.frame(f, 3), b.frame(n)]);
  b.addSample(main, s1, 0, 1, 1024);
  b.addSample(main, s2, 1, 1);
  b.addSample(main, -1, 2, 1, 2048);
  b.addSample(other, s2, 0.5, 3);
  b.addMarker(main, 'gc-minor', 0.1, 0.4, 'gc', { freed: 12 });
  b.addMarker(main, 'jit-tracing', 1, 1, 'jit', null, 1);
  b.addCounter({ name: 'RSS', category: 'memory', unit: 'KiB', thread: main, time: new Float64Array([0, 2]), value: new Float64Array([1024, 2048]) });
  b.attachments.jitlog = { loops: 3, counts: new Int32Array([5, -1, 7]) };
  return b.build();
}

function plain(profile: Profile): unknown {
  // Typed arrays compare by type and contents under deepStrictEqual; views and copies are equal.
  return JSON.parse(JSON.stringify(profile, (_k, v) => (ArrayBuffer.isView(v) ? { type: v.constructor.name, values: Array.from(v as any, (x: number) => (Number.isNaN(x) ? 'NaN' : x)) } : v)));
}

test('a profile survives serialize/deserialize exactly: columns, NaN RSS, markers, counters, typed-array attachments', () => {
  const profile = sampleProfile();
  const bytes = serializeProfile(profile);
  assert.ok(isSerializedProfile(bytes));
  const back = deserializeProfile(bytes);
  assert.deepEqual(plain(back), plain(profile));
  assert.ok(Number.isNaN(back.threads[0].samples.rss![1]));
  assert.ok(back.attachments.jitlog && (back.attachments.jitlog as any).counts instanceof Int32Array);
  assert.equal(back.strings[back.funcs.name[1]], 'g\u0000\u001b[31m');
});

test('deserialize views the input without copying when aligned, and copies when not', () => {
  const bytes = serializeProfile(sampleProfile());
  const aligned = deserializeProfile(bytes);
  assert.equal(aligned.threads[0].samples.time.buffer, bytes.buffer);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const misaligned = deserializeProfile(shifted.subarray(3));
  assert.notEqual(misaligned.threads[0].samples.time.buffer, shifted.buffer);
  assert.deepEqual(plain(misaligned), plain(aligned));
});

test('an empty profile round-trips', () => {
  const empty = new ProfileBuilder('collapsed').build();
  assert.deepEqual(plain(deserializeProfile(serializeProfile(empty))), plain(empty));
});

test('malformed bytes raise one ProfileFormatError naming the problem', () => {
  const good = serializeProfile(sampleProfile());
  const cases: [string, Uint8Array, RegExp][] = [
    ['no magic', new TextEncoder().encode('not a model at all, just text'), /signature/],
    ['truncated columns', good.subarray(0, good.length - 9), /runs past the end/],
    ['future version', (() => { const b = good.slice(); new DataView(b.buffer).setUint32(8, 99, true); return b; })(), /version 99/],
    ['header length too large', (() => { const b = good.slice(); new DataView(b.buffer).setUint32(12, 1 << 30, true); return b; })(), /header/],
    ['broken header JSON', (() => { const b = good.slice(); b[16] = 0x7d; return b; })(), /JSON/],
  ];
  for (const [name, bytes, message] of cases) {
    assert.throws(() => deserializeProfile(bytes), (err: unknown) => err instanceof ProfileFormatError && message.test(err.message), name);
  }
});
