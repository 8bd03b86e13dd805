// The one transform syntax (the viewer's tf=, diff --transform, the server's ?tf=).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { decodeTransforms, describeTransforms, encodeTransforms } from '../../src/model/view-transforms.js';

function profile() {
  const b = new ProfileBuilder('t');
  const t = b.thread('1');
  const main = b.func('main', '/app/main.py', 1);
  const parse = b.func('parse', '/app/json/decoder.py', 10);
  const dup1 = b.func('helper', '/app/a.py', 1);
  const dup2 = b.func('helper', '/app/b.py', 1);
  const cpp = b.func('ns::run', 'run.cc', 5, 'native');
  let s = b.stack(-1, b.frame(main));
  for (const f of [parse, dup1, dup2, cpp]) b.addSample(t, b.stack(s, b.frame(f)), 0);
  s = b.stack(s, b.frame(parse));
  return { p: b.build(), main, parse, dup1, cpp };
}

test('numbers without a profile (the viewer): malformed parts are skipped, the rest kept in order', () => {
  const { transforms, errors } = decodeTransforms('focus:3~bogus:1~merge:x~mcn:1.2~cat:native~stdlib~drop:7');
  assert.equal(encodeTransforms(transforms), 'focus:3~mcn:1.2~cat:1~stdlib~drop:7');
  assert.equal(errors.length, 2);
});

test('names resolve in the profile; ambiguity and absence are errors that say what to give', () => {
  const { p, main, parse, cpp } = profile();
  const ok = decodeTransforms('focus:main~merge:ns::run~mod:json/decoder.py~cat:jit', p);
  assert.deepEqual(ok.errors, []);
  assert.equal(encodeTransforms(ok.transforms), `focus:${main}~merge:${cpp}~mod:${p.funcs.file[parse]}~cat:2`);
  assert.deepEqual(
    describeTransforms(p, ok.transforms).map((t) => t.label),
    ['Focus: main', 'Merge: ns::run', 'Collapse module: decoder.py', 'Only jit frames'],
  );
  const bad = decodeTransforms('focus:helper~drop:nobody~rec:99~mod:nowhere.py~cat:purple', p);
  assert.deepEqual(
    bad.errors.map((e) => e.message),
    [
      'transform "focus:helper": 2 functions are named "helper": give one\'s number instead (2 (/app/a.py:1), 3 (/app/b.py:1))',
      'transform "drop:nobody": no function is named "nobody"',
      'transform "rec:99": there is no function number 99 (the profile has 5)',
      'transform "mod:nowhere.py": no file is named "nowhere.py"',
      'transform "cat:purple": takes a category: python, native, jit, gc, other, idle, kernel',
    ],
  );
});
