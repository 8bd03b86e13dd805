import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';
import { deserializeProfile, isSerializedProfile, serializeProfile } from '../../src/model/serialize.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CATEGORIES, FUNCTION_KINDS } from '../../src/model/profile.js';
import { SERIALIZED_MODEL_VERSION } from '../../src/model/serialize.js';
import { testData } from '../helpers.js';
import { assertModelInvariants } from './invariants.js';
import { storedSummary } from './stored-summary.js';

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
  b.addCounter({
    name: 'RSS',
    category: 'memory',
    unit: 'KiB',
    thread: main,
    time: new Float64Array([0, 2]),
    value: new Float64Array([1024, 2048]),
  });
  b.attachments.jitlog = { loops: 3, counts: new Int32Array([5, -1, 7]) };
  return b.build();
}

function plain(profile: Profile): unknown {
  // Typed arrays compare by type and contents under deepStrictEqual; views and copies are equal.
  return JSON.parse(
    JSON.stringify(profile, (_k, v) =>
      ArrayBuffer.isView(v) ? { type: v.constructor.name, values: Array.from(v as any, (x: number) => (Number.isNaN(x) ? 'NaN' : x)) } : v,
    ),
  );
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
    [
      'future version',
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 99, true);
        return b;
      })(),
      /version 99 was written by a newer pyrometer/,
    ],
    [
      'version 0',
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 0, true);
        return b;
      })(),
      /version 0 is not a model version/,
    ],
    [
      'header length too large',
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(12, 1 << 30, true);
        return b;
      })(),
      /header/,
    ],
    [
      'broken header JSON',
      (() => {
        const b = good.slice();
        b[16] = 0x7d;
        return b;
      })(),
      /JSON/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    assert.throws(
      () => deserializeProfile(bytes),
      (err: unknown) => err instanceof ProfileFormatError && message.test(err.message),
      name,
    );
  }
});

// Models earlier versions wrote (test/data/model/vN-*.pyrmodel.gz), each beside the summary of
// what that version read back from it. The server keeps models for good: every one must open.
const stored = readdirSync(testData('model'))
  .filter((f) => f.endsWith('.pyrmodel.gz'))
  .sort();

test('test/data/model keeps a model written by every earlier version', () => {
  const versions = new Set(stored.map((f) => Number(/^v(\d+)-/.exec(f)?.[1])));
  for (let v = 1; v < SERIALIZED_MODEL_VERSION; v++) assert.ok(versions.has(v), `no stored model of version ${v}`);
});

for (const file of stored) {
  test(`a stored model opens with today's reader: ${file}`, () => {
    const bytes = new Uint8Array(gunzipSync(readFileSync(testData(`model/${file}`))));
    const version = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    assert.equal(version, Number(/^v(\d+)-/.exec(file)![1]), 'the file holds the version its name says');
    assert.ok(version < SERIALIZED_MODEL_VERSION, 'an old version (else it tests no upgrade)');
    const profile = deserializeProfile(bytes);
    assertModelInvariants(profile, file);
    const expected = JSON.parse(readFileSync(testData(`model/${file.replace('.pyrmodel.gz', '.summary.json')}`), 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(storedSummary(profile))), expected);
    // and it round-trips through today's version unchanged
    assert.deepEqual(storedSummary(deserializeProfile(serializeProfile(profile))), storedSummary(profile));
  });
}

/** The model's bytes with its JSON header edited (columns stay where they were). */
function withHeader(bytes: Uint8Array, edit: (header: any) => any): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const length = view.getUint32(12, true);
  const header = edit(JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))));
  const text = new TextEncoder().encode(JSON.stringify(header));
  const columnsAt = Math.ceil((16 + length) / 8) * 8;
  const newColumnsAt = Math.ceil((16 + text.length) / 8) * 8;
  const out = new Uint8Array(newColumnsAt + bytes.length - columnsAt);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, text.length, true);
  out.set(text, 16);
  out.set(bytes.subarray(columnsAt), newColumnsAt);
  return out;
}

test("kinds and categories are read by name: a model whose lists differ from today's decodes to the same names", () => {
  const profile = sampleProfile();
  const bytes = serializeProfile(profile);
  // A model from a build whose lists were in another order, one with a kind we no longer have.
  const kinds = [...FUNCTION_KINDS].reverse();
  const categories = [...CATEGORIES].reverse();
  const reordered = withHeader(bytes, (h) => ({ ...h, kinds, categories }));
  const columns = deserializeProfile(reordered);
  // Columns were written with today's indices; read through the reversed lists they name other things:
  for (let f = 0; f < profile.funcs.length; f++) assert.equal(FUNCTION_KINDS[columns.funcs.kind[f]], kinds[profile.funcs.kind[f]]);
  for (let f = 0; f < profile.frames.length; f++)
    assert.equal(CATEGORIES[columns.frames.category[f]], categories[profile.frames.category[f]]);
  const unknown = withHeader(bytes, (h) => ({ ...h, kinds: ['cobol', ...FUNCTION_KINDS.slice(1)] }));
  const read = deserializeProfile(unknown);
  for (let f = 0; f < profile.funcs.length; f++) {
    assert.equal(FUNCTION_KINDS[read.funcs.kind[f]], profile.funcs.kind[f] === 0 ? 'other' : FUNCTION_KINDS[profile.funcs.kind[f]]);
  }
});
