import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeState, defaultState, encodeState, type ViewState } from '../../web/src/state.js';

test('the default state encodes to an empty hash', () => {
  assert.equal(encodeState(defaultState()), '');
  assert.deepEqual(decodeState(''), defaultState());
});

test('every field survives an encode/decode round trip', () => {
  const state: ViewState = {
    profile: 2,
    view: 'source',
    threads: [0, 3],
    range: [12.5, 900.25],
    transforms: [
      { type: 'focus-function', func: 12 },
      { type: 'merge-function', func: 3 },
      { type: 'collapse-recursion', func: 7 },
      { type: 'hide-stdlib' },
      { type: 'drop-function', func: 5 },
      { type: 'focus-category', category: 2 },
      { type: 'collapse-module', file: 9 },
      { type: 'merge-call-node', path: [0, 4, 2] },
    ],
    search: 'parse & <b>|x',
    regex: true,
    func: 42,
    inverted: true,
    icicle: true,
    zoom: [100, 250.5],
    hideIdle: false,
    colorBy: 'module',
    theme: 'dark',
    compare: 1,
    diffNorm: 'time',
    diffShow: 'before',
    trace: 10,
    line: 4,
  };
  const hash = encodeState(state);
  assert.deepEqual(decodeState(`#${hash}`), state);
});

test('malformed values fall back to defaults instead of throwing', () => {
  const s = decodeState('v=bogus&t=1,x,-3,2&r=9_3&tf=focus:abc~nope:1~merge:4~mcn:1.x&f=-1&p=zz&c=rainbow&th=neon&cmp=-2&dn=avg', [
    'flame',
    'stack',
  ]);
  const d = defaultState();
  assert.equal(s.view, d.view);
  assert.deepEqual(s.threads, [1, 2]);
  assert.equal(s.range, null);
  assert.deepEqual(s.transforms, [{ type: 'merge-function', func: 4 }]);
  assert.equal(s.func, -1);
  assert.equal(s.profile, 0);
  assert.equal(s.colorBy, 'kind');
  assert.equal(s.theme, 'light');
  assert.equal(s.compare, -1);
  assert.equal(s.diffNorm, 'share');
});

test('idle is hidden by default: the URL says idle=1 only when it is shown', () => {
  assert.equal(defaultState().hideIdle, true);
  assert.equal(encodeState({ ...defaultState(), hideIdle: false }), 'idle=1');
  assert.equal(decodeState('idle=1').hideIdle, false);
});
