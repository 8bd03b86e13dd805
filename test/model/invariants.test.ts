/** The invariant check itself: it passes a built profile and names each broken promise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertModelInvariants } from './invariants.js';
import { profileFromText } from './profile-text.js';
import type { Profile } from '../../src/model/profile.js';

const good = () => profileFromText('main;work;leaf 3\nmain;work 2\nmain;other 1\n');

test('assertModelInvariants passes a profile made by the builder', () => {
  assertModelInvariants(good());
});

const broken: [string, (p: Profile) => void, RegExp][] = [
  [
    'a child before its parent',
    (p) => {
      p.stacks.prefix[0] = 1;
    },
    /prefix 1 \(parents come first\)/,
  ],
  [
    'a wrong depth',
    (p) => {
      p.stacks.depth[1] = 7;
    },
    /stack 1 has depth 7/,
  ],
  [
    'a stack pair twice',
    (p) => {
      p.stacks.frame[2] = p.stacks.frame[1];
      p.stacks.prefix[2] = p.stacks.prefix[1];
      p.stacks.depth[2] = p.stacks.depth[1];
    },
    /stack \(prefix, frame\) .* twice/,
  ],
  [
    'a frame triple twice',
    (p) => {
      p.frames.func[1] = p.frames.func[0];
      p.frames.line[1] = p.frames.line[0];
      p.frames.category[1] = p.frames.category[0];
    },
    /frame \(func, line, category\) .* twice/,
  ],
  [
    'a sample stack out of range',
    (p) => {
      p.threads[0].samples.stack[0] = p.stacks.length;
    },
    /sample 0 has stack/,
  ],
  [
    'times that go back',
    (p) => {
      const t = p.threads[0].samples.time;
      t[0] = t[t.length - 1] + 1;
    },
    /sample times go back/,
  ],
  [
    'a negative weight',
    (p) => {
      p.threads[0].samples.weight[0] = -1;
    },
    /sample 0 has weight -1/,
  ],
  [
    'a function name outside the strings',
    (p) => {
      p.funcs.name[0] = p.strings.length;
    },
    /func 0 has name string/,
  ],
];

for (const [what, breakIt, message] of broken) {
  test(`assertModelInvariants refuses ${what}`, () => {
    const p = good();
    breakIt(p);
    assert.throws(() => assertModelInvariants(p), message);
  });
}
