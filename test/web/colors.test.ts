import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { makePalette, makeTimePalette, timeClassColor } from '../../web/src/colors.js';
import { moduleOf } from '../../src/model/profile.js';
import { TIME_CLASS_COUNT, TIME_CLASSES } from '../../src/model/time-split.js';
import { formatBytes, formatMs, formatPercent, formatWeight } from '../../web/src/format.js';

function profileWith(funcs: [string, string, 'python' | 'native' | 'jit' | 'gc'][]) {
  const b = new ProfileBuilder('test');
  const t = b.thread('1');
  const ids = funcs.map(([name, file, kind]) => b.func(name, file, 1, kind));
  b.addSampleFrames(
    t,
    ids.map((f) => b.frame(f)),
    0,
  );
  return { profile: b.build(), ids };
}

test('modules: site-packages package, stdlib, file name, or the dotted prefix of a native name', () => {
  const { profile, ids } = profileWith([
    ['get', '/venv/lib/python3.11/site-packages/requests/api.py', 'python'],
    ['loads', '/usr/lib/python3.11/json/__init__.py', 'python'],
    ['run', '/usr/lib/pypy3.9/runpy.py', 'python'],
    ['main', '/home/me/app/main.py', 'python'],
    ['numpy.dot', '', 'native'],
  ]);
  assert.deepEqual(
    ids.map((f) => moduleOf(profile, f)),
    ['requests', 'stdlib', 'stdlib', 'main.py', 'numpy'],
  );
});

test('kind colouring gives each kind its own colours, the legend lists the kinds, and JIT-mostly functions take the JIT colour', () => {
  const { profile, ids } = profileWith([
    ['a', 'a.py', 'python'],
    ['b', '', 'native'],
    ['c', '', 'gc'],
    ['d', 'd.py', 'python'],
  ]);
  const mostlyJit = new Uint8Array(profile.funcs.length);
  mostlyJit[ids[3]] = 1;
  const p = makePalette(profile, 'kind', false, undefined, mostlyJit);
  assert.deepEqual(
    p.legend.map((l) => l.label),
    ['Python', 'native', 'JIT', 'GC', 'other'],
  );
  const colourOf = (f: number) => p.fills[p.funcColor[f]];
  const legendColour = (label: string) => p.legend.find((l) => l.label === label)!.color;
  // Same hue family as the legend entry (shades vary by name).
  const hue = (c: string) => c.split(' ')[0];
  assert.equal(hue(colourOf(ids[0])), hue(legendColour('Python')));
  assert.equal(hue(colourOf(ids[1])), hue(legendColour('native')));
  assert.equal(hue(colourOf(ids[2])), hue(legendColour('GC')));
  assert.equal(hue(colourOf(ids[3])), hue(legendColour('JIT')));
  assert.equal(p.dimmed, p.fills.length - 1);
});

test("JIT code and JIT compiling never share a colour: PyPy's <JIT compiler> frame by kind, and the time classes", () => {
  const { profile, ids } = profileWith([
    ['loop', 'l.py', 'jit'],
    ['<JIT compiler>', '', 'jit'],
  ]);
  const p = makePalette(profile, 'kind', false);
  assert.notEqual(p.fills[p.funcColor[ids[0]]].split(' ')[0], p.fills[p.funcColor[ids[1]]].split(' ')[0]);
  assert.deepEqual(
    p.legend.map((l) => l.label),
    ['Python', 'native', 'JIT', 'GC', 'other', 'JIT compiling'],
  );
  assert.equal(p.dimmed, p.fills.length - 1);
  // the time palette: one colour per class, all different; the legend lists the classes with time only
  for (const dark of [false, true]) {
    const colours = TIME_CLASSES.map((c) => timeClassColor(c, dark));
    assert.equal(new Set(colours).size, TIME_CLASS_COUNT);
  }
  const totals = new Float64Array(TIME_CLASS_COUNT);
  totals[TIME_CLASSES.indexOf('jit')] = 3;
  totals[TIME_CLASSES.indexOf('compiling')] = 1;
  const time = makeTimePalette(false, totals, new Uint8Array([0, 5]));
  assert.deepEqual(
    time.legend.map((l) => l.label),
    ['JIT code', 'JIT compiling'],
  );
  assert.notEqual(time.legend[0].color, time.legend[1].color);
  assert.equal(time.fills[time.funcColor[1]], timeClassColor('compiling'));
});

test('module colouring lists only modules with weight, heaviest first', () => {
  const { profile, ids } = profileWith([
    ['a', 'x/one.py', 'python'],
    ['b', 'x/two.py', 'python'],
    ['c', 'x/three.py', 'python'],
  ]);
  const weight = new Float64Array(profile.funcs.length);
  weight[ids[0]] = 1;
  weight[ids[1]] = 5;
  const p = makePalette(profile, 'module', true, weight);
  assert.deepEqual(
    p.legend.map((l) => l.label),
    ['two.py', 'one.py'],
  );
});

test('numbers are formatted for people', () => {
  assert.equal(formatPercent(1, 3), '33.3%');
  assert.equal(formatPercent(1, 400), '0.25%');
  assert.equal(formatPercent(1, 100000), '<0.1%');
  assert.equal(formatPercent(0, 10), '0.0%');
  assert.equal(formatPercent(1, 0), '0%');
  assert.equal(formatWeight(1, 'samples'), '1 sample');
  assert.equal(formatWeight(1234, 'samples'), '1,234 samples');
  assert.equal(formatWeight(2500, 'ms'), '2.50 s');
  assert.equal(formatMs(0.25), '250 µs');
  assert.equal(formatBytes(10 * 1048576), '10.0 MiB');
});
