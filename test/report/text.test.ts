import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../helpers.js';
import {
  commonDirectory,
  displayWidth,
  ellipsize,
  ellipsizePath,
  formatDuration,
  formatNumber,
  formatPercent,
  makeStyle,
  sanitize,
  shortenPath,
  splitNameLocation,
  tildePath,
  wrapParts,
} from '../../src/report/text.js';

test('sanitize turns terminal control characters into visible escapes', () => {
  assert.equal(sanitize('evil\u001b[31mred\u001b[0m'), 'evil\\x1b[31mred\\x1b[0m');
  assert.equal(sanitize('title\u001b]0;pwned\u0007'), 'title\\x1b]0;pwned\\x07');
  assert.equal(sanitize('a\tb\nc\rd'), 'a\\tb\\nc\\rd');
  assert.equal(sanitize('c1\u009bcsi'), 'c1\\x9bcsi');
  assert.equal(sanitize('del\u007f'), 'del\\x7f');
  // Bidirectional overrides would make the line display differently from what it contains.
  assert.equal(sanitize('admin\u202Enoitcnuf'), 'admin\\u202enoitcnuf');
  assert.equal(sanitize('one\u2028two'), 'one\\u2028two');
  // Ordinary Unicode stays as it is.
  assert.equal(sanitize('größe_計算 λ'), 'größe_計算 λ');
  assert.doesNotMatch(sanitize('\u0000\u0001\u001f\u0085'), /[\u0000-\u001f\u0080-\u009f]/);
});

test('displayWidth counts terminal columns: wide CJK is 2, colour codes 0, combining marks 0', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('計算'), 4);
  assert.equal(displayWidth('\u001b[31mred\u001b[39m'), 3);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(displayWidth('😀'), 2);
});

test('ellipsize cuts the middle and never exceeds the width', () => {
  const name = 'package.module.VeryLongClassName.method_with_a_long_name';
  for (let width = 1; width <= name.length + 2; width++) {
    const short = ellipsize(name, width);
    assert.ok(displayWidth(short) <= width, `width ${width}: ${short}`);
    if (width >= name.length) assert.equal(short, name);
    else assert.ok(short.includes('…'));
  }
  const cut = ellipsize(name, 21);
  assert.equal(cut, 'package.mo…_long_name');
  assert.ok(cut.startsWith('package.') && cut.endsWith('_long_name'));
  // Wide characters are never split across the limit.
  const wide = ellipsize('計算計算計算計算', 7);
  assert.ok(displayWidth(wide) <= 7, wide);
  // tailShare 0 keeps the start (source lines), 1 keeps the end.
  assert.equal(ellipsize('abcdefghij', 5, 0), 'abcd…');
  assert.equal(ellipsize('abcdefghij', 5, 1), '…ghij');
});

test('ellipsizePath keeps the file name and line, cutting whole directories', () => {
  const path = 'site-packages/numpy/core/numeric.py:120';
  assert.equal(ellipsizePath(path, 100), path);
  const short = ellipsizePath(path, 26);
  assert.ok(displayWidth(short) <= 26, short);
  assert.ok(short.endsWith('/core/numeric.py:120'), short);
  assert.equal(ellipsizePath('anaconda3\\lib\\runpy.py:64', 14), '…\\runpy.py:64');
  // Too narrow even for the file name: middle ellipsis, still within the width.
  assert.ok(displayWidth(ellipsizePath('a/very_long_file_name_indeed.py:1', 12)) <= 12);
});

test('commonDirectory finds the shared directory of absolute paths (POSIX and Windows)', () => {
  assert.equal(commonDirectory(['/home/ann/proj/a.py', '/home/ann/proj/sub/b.py']), '/home/ann/proj/');
  assert.equal(commonDirectory(['/home/ann/proj/a.py']), '/home/ann/proj/');
  assert.equal(commonDirectory(['/usr/lib/x.py', '/home/ann/y.py']), '', 'only the root in common');
  assert.equal(commonDirectory(['c:\\Users\\chris\\a\\x.py', 'c:\\Users\\chris\\b\\y.py']), 'c:\\Users\\chris\\');
  assert.equal(commonDirectory(['c:\\x.py', 'c:\\y.py']), '', 'a drive alone is no abbreviation');
  // Relative names and pseudo-files (<frozen ...>, ~) take no part.
  assert.equal(commonDirectory(['<frozen importlib>', '/srv/app/m.py', '/srv/app/n.py', 'rel/x.py']), '/srv/app/');
  assert.equal(commonDirectory([]), '');
});

test('shortenPath: relative to the common directory, else ~ for home', () => {
  assert.equal(shortenPath('/srv/app/pkg/m.py', '/srv/app/', '/home/ann'), 'pkg/m.py');
  assert.equal(shortenPath('/home/ann/lib/x.py', '/srv/app/', '/home/ann'), '~/lib/x.py');
  assert.equal(shortenPath('/home/anna/x.py', '', '/home/ann'), '/home/anna/x.py', 'a prefix of a name is not the home directory');
  assert.equal(tildePath('/home/ann', '/home/ann/'), '~');
  assert.equal(shortenPath('<frozen zipimport>', '/srv/app/', '/home/ann'), '<frozen zipimport>');
  // Outside the common directory but under the working directory: relative to it.
  assert.equal(shortenPath('/work/proj/examples/a.py', '', '/root', '/work/proj'), 'examples/a.py');
  assert.equal(shortenPath('/work/projx/a.py', '', '/root', '/work/proj'), '/work/projx/a.py');
  assert.equal(shortenPath('/root/.pyenv/lib/random.py', '', '/root', '/work/proj'), '~/.pyenv/lib/random.py');
});

test('splitNameLocation gives the name priority and drops the location when there is no room', () => {
  assert.deepEqual(splitNameLocation(10, 20, 50), [10, 20], 'both fit');
  const [name, location] = splitNameLocation(40, 60, 50);
  assert.equal(name + location, 50);
  assert.ok(name >= 30 && location >= 12, `${name} ${location}`);
  assert.deepEqual(splitNameLocation(40, 60, 20), [20, 0], 'too narrow: name only');
  assert.deepEqual(splitNameLocation(8, 60, 40), [8, 32], 'a short name leaves the rest to the location');
  assert.deepEqual(splitNameLocation(30, 0, 20), [20, 0], 'no location at all');
});

test('numbers: percentages, durations', () => {
  assert.equal(formatPercent(1, 3), '33.3%');
  assert.equal(formatPercent(1, 1), '100%');
  assert.equal(formatPercent(1, 50_000), '<0.1%');
  assert.equal(formatPercent(0, 10), '0.0%');
  assert.equal(formatPercent(5, 0), '0.0%');
  assert.equal(formatDuration(0.5), '500 µs');
  assert.equal(formatDuration(12.34), '12.3 ms');
  assert.equal(formatDuration(4560), '4.56 s');
  assert.equal(formatDuration(192_000), '3 min 12 s');
  assert.equal(formatDuration(3_720_000), '1 h 02 min');
});

test('wrapParts starts a new line rather than overflowing', () => {
  assert.equal(wrapParts(['aaaa', 'bbbb', 'cccc'], ' · ', 11), 'aaaa · bbbb\ncccc');
  assert.equal(wrapParts(['aaaa', 'bbbb'], ' · ', 100), 'aaaa · bbbb');
});

test('makeStyle: colours only when asked', () => {
  assert.equal(makeStyle({ color: false }).red('x'), 'x');
  assert.match(makeStyle({ color: true }).red('x'), /\u001b\[31mx\u001b\[39m/);
  assert.equal(makeStyle({ width: 10 }).width, 40, 'never narrower than 40 columns');
});

test('formatNumber writes what toLocaleString en-US writes (its oracle), halves and carries included', () => {
  // one formatter per digits: what toLocaleString builds on every call
  const formatters = [0, 1, 2, 3].map((d) => new Intl.NumberFormat('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 }));
  const intl = (n: number, digits: number) => formatters[digits].format(n);
  const random = prng(18);
  const values = [
    0,
    0.5,
    1.5,
    2.5,
    0.125,
    1.005,
    1.015,
    1.045,
    1.45,
    2.675,
    9.995,
    99.95,
    999.5,
    999999.5,
    0.05,
    0.95,
    0.0049,
    1e-7,
    1e20,
    123456789.987654,
    2 ** 53,
    1e21,
    -0,
    -1.5,
    -1234.5678,
    0.1 + 0.2,
    1 / 3,
    2 / 3,
  ];
  for (let i = 0; i < 2000; i++) {
    const scale = 10 ** Math.floor(random() * 12 - 3);
    values.push(random() * scale, Math.round(random() * 100000) / 1000, Math.round(random() * 1e6) / 200, Math.floor(random() * 1e9));
  }
  for (const n of values)
    for (const digits of [0, 1, 2, 3]) assert.equal(formatNumber(n, digits), intl(n, digits), `${n} to ${digits} digits`);
});
