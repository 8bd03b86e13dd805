import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileBuilder } from '../../src/model/builder.js';
import { renderFlat } from '../../src/report/flat.js';
import { renderTree, treeLines, buildTree } from '../../src/report/tree.js';
import { hasLineData, renderLines } from '../../src/report/lines.js';
import { profileFacts, renderInfo } from '../../src/report/info.js';
import { showJson } from '../../src/report/json.js';
import { displayName, select } from '../../src/report/common.js';
import { renderTreeHtml } from '../../src/report/tree-html.js';
import { displayWidth, makeStyle, plainStyle } from '../../src/report/text.js';
import { addStacks, stacksProfile } from './stacks.js';

const APP = '/home/ann/src/shop';
const profile = stacksProfile([
  `main@${APP}/main.py:1;load_catalogue@${APP}/catalogue/load.py:10;parse_row@${APP}/catalogue/csv_rows.py:5 30`,
  `main@${APP}/main.py:1;compute_prices_for_every_customer_segment_and_region@${APP}/pricing/engine/very/deep/package/compute.py:40 50`,
  `main@${APP}/main.py:1;compute_prices_for_every_customer_segment_and_region@${APP}/pricing/engine/very/deep/package/compute.py:40;round@/usr/lib/python3.11/decimal.py:200 15`,
  `main@${APP}/main.py:1 5`,
]);

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

test('flat table: functions by self time with aligned columns', () => {
  const out = renderFlat(profile, {}, plainStyle(100));
  const rows = lines(out);
  assert.match(rows[0], /^test · CPython · 100 samples · .* · 1 thread$/);
  const header = rows.findIndex((l) => /^\s*self\s+total\s+samples\s+function\s+location$/.test(l));
  assert.ok(header > 0, out);
  const body = rows.slice(header + 1);
  assert.deepEqual(
    body.map((l) => l.trim().split(/\s+/).slice(0, 3)),
    [
      ['50.0%', '65.0%', '50'],
      ['30.0%', '30.0%', '30'],
      ['15.0%', '15.0%', '15'],
      ['5.0%', '100%', '5'],
      ['0.0%', '30.0%', '0'],
    ],
  );
  // Every row puts the function name at the same column as the header's "function".
  const nameColumn = rows[header].indexOf('function');
  for (const l of body) assert.notEqual(l[nameColumn], ' ', l);
  assert.match(body[4], /load_catalogue/, 'no self time: listed last');
});

for (const width of [60, 100, 200]) {
  test(`flat table fits ${width} columns`, () => {
    const out = renderFlat(profile, {}, makeStyle({ width, color: false, home: '/home/ann' }));
    for (const l of lines(out)) assert.ok(displayWidth(l) <= width, `${displayWidth(l)} > ${width}: ${l}`);
    if (width === 200) {
      assert.ok(out.includes('compute_prices_for_every_customer_segment_and_region'), 'nothing cut at 200 columns');
      assert.ok(out.includes('pricing/engine/very/deep/package/compute.py:40'));
    } else {
      assert.ok(out.includes('…'), `something cut at ${width} columns`);
    }
    // The file name of a cut location survives.
    if (width === 100) assert.match(out, /…\/[a-z/]*compute\.py:40/);
  });
}

test('flat table: paths relative to the common directory, ~ for home', () => {
  const out = renderFlat(profile, {}, makeStyle({ width: 200, home: '/home/ann' }));
  // /usr/lib and /home/ann/src/shop share only the root: no common directory, home abbreviated.
  assert.ok(out.includes('~/src/shop/catalogue/csv_rows.py:5'), out);
  assert.ok(out.includes('/usr/lib/python3.11/decimal.py:200'));
  const appOnly = stacksProfile([`a@${APP}/x/a.py:1 2`, `b@${APP}/y/b.py:3 1`]);
  const out2 = renderFlat(appOnly, {}, makeStyle({ width: 100, home: '/home/ann' }));
  assert.match(out2, /paths relative to ~\/src\/shop\//);
  assert.match(out2, /\bx\/a\.py:1\b/);
  assert.doesNotMatch(out2, /\/home\/ann/);
});

test('flat table: --top, sort by total, and the "more" line', () => {
  const out = renderFlat(profile, { top: 2, sort: 'total' }, plainStyle(120));
  const body = lines(out).filter((l) => /%/.test(l));
  assert.equal(body.length, 2);
  assert.match(body[0], /100%.*\bmain\b/);
  assert.match(out, /… 3 more functions \(--top N to list more\)/);
});

test('colour: hot percentages red on a colour terminal, nothing when colour is off', () => {
  const plain = renderFlat(profile, {}, makeStyle({ width: 100, color: false }));
  assert.doesNotMatch(plain, /\u001b/);
  const coloured = renderFlat(profile, {}, makeStyle({ width: 100, color: true }));
  assert.match(coloured, /\u001b\[31m/, 'red for the 50% row');
  assert.match(coloured, /\u001b\[33m/, 'yellow for the 15% row');
  // Colour codes take no room: the visible width still fits.
  for (const l of lines(coloured)) assert.ok(displayWidth(l) <= 100);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain, 'the same text under the colours');
});

test('hostile names and paths are printed as visible text, never as terminal commands', () => {
  const b = new ProfileBuilder('test', { interpreter: 'cpython', interval: 1 });
  const t = b.thread('1', 'evil\u001b]0;owned\u0007thread');
  const f = b.func('pwn\u001b[2J\u001b[31mred', '/tmp/x\u001b[1Ay.py', 3);
  const g = b.func('rtl\u202Eexe.py', '/tmp/\u009b31mz.py', 1);
  b.addSample(t, b.stackOf([b.frame(f)]), 0);
  b.addSample(t, b.stackOf([b.frame(g)]), 1);
  b.warn('bad\u001b[5mwarning');
  const hostile = b.build();
  const style = plainStyle(120);
  const outputs = [
    renderFlat(hostile, {}, style),
    renderTree(hostile, {}, style),
    renderInfo(hostile, style),
    renderFlat(hostile, { threads: [0] }, style),
  ];
  for (const out of outputs) {
    assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, out);
  }
  assert.ok(outputs[0].includes('pwn\\x1b[2J\\x1b[31mred'));
  assert.ok(outputs[0].includes('rtl\\u202eexe.py'));
  assert.ok(outputs[0].includes('x\\x1b[1Ay.py:3'));
  assert.ok(outputs[2].includes('evil\\x1b]0;owned\\x07thread'));
  assert.ok(outputs[2].includes('bad\\x1b[5mwarning'));
});

test('tree: guides, percentages, pruning below --min-percent', () => {
  const out = renderTree(profile, { minPercent: 10 }, plainStyle(120));
  const body = lines(out).slice(lines(out).findIndex((l) => /total\s+self/.test(l)) + 1);
  assert.deepEqual(
    body.map((l) => l.replace(/\s+\S+\.py:\d+$/, '').replace(/\s+$/, '')),
    [
      '  100%    5.0%  main',
      ' 65.0%   50.0%  ├─ compute_prices_for_every_customer_segment_and_region',
      ' 15.0%   15.0%  │  └─ round',
      ' 30.0%    0.0%  └─ load_catalogue',
      ' 30.0%   30.0%     └─ parse_row',
    ],
  );
  const pruned = lines(renderTree(profile, { minPercent: 20 }, plainStyle(120)));
  assert.ok(
    pruned.some((l) => /15\.0%\s+│  └─ … 1 more below 20%/.test(l)),
    pruned.join('\n'),
  );
  assert.ok(!pruned.some((l) => /\bround\b/.test(l)));
});

test('tree: --depth cuts levels and marks the cut nodes', () => {
  const out = renderTree(profile, { depth: 2 }, plainStyle(120));
  assert.match(out, /└─ load_catalogue …/);
  assert.doesNotMatch(out, /parse_row/);
  assert.doesNotMatch(out, /\bround\b/);
});

test('tree --inverted: roots are where time was spent, children their callers', () => {
  const out = renderTree(profile, { inverted: true, minPercent: 0 }, plainStyle(120));
  const body = lines(out)
    .filter((l) => /%/.test(l))
    .map((l) => l.replace(/\s+\S+\.py:\d+$/, ''));
  assert.equal(body[0], ' 50.0%   50.0%  compute_prices_for_every_customer_segment_and_region');
  assert.equal(body[1], ' 50.0%          └─ main');
  assert.ok(body.includes(' 15.0%   15.0%  round'));
  assert.ok(body.includes(' 15.0%          └─ compute_prices_for_every_customer_segment_and_region'));
});

test('tree of a 10,000-deep recursion: no stack overflow, lines stay within the width', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  const t = b.thread('1');
  const f = b.func('recurse', '/src/deep.py', 1);
  const frame = b.frame(f, 2);
  let stack = b.stack(-1, b.frame(b.func('<module>', '/src/deep.py', 0)));
  for (let i = 0; i < 10_000; i++) stack = b.stack(stack, frame);
  b.addSample(t, stack, 0, 3);
  b.addSample(t, b.stack(stack, b.frame(b.func('leaf', '/src/deep.py', 9))), 1, 1);
  const deep = b.build();
  const style = plainStyle(100);
  const tree = buildTree(deep, select(deep), false);
  assert.equal(tree.length, 10_002);
  const visible = treeLines(tree, {});
  assert.equal(visible.length, 10_002);
  const out = renderTree(deep, {}, style);
  const rows = lines(out);
  for (const l of rows) assert.ok(displayWidth(l) <= 100, l);
  const last = rows[rows.length - 1];
  // Indentation stopped growing; the hidden levels are counted on the left.
  assert.match(last, /\+\d+ .*└─ leaf/);
  assert.match(last, /^\s+25\.0%\s+25\.0%/);
  const limited = renderTree(deep, { depth: 5 }, style);
  assert.equal(lines(limited).filter((l) => /%/.test(l)).length, 5);
});

test('lines: per-line costs with source text when the file is readable', () => {
  const p = stacksProfile([
    'main@/src/app.py:1:8;work@/src/app.py:3:4 6',
    'main@/src/app.py:1:8;work@/src/app.py:3:5 2',
    'main@/src/app.py:1:9 2',
  ]);
  assert.ok(hasLineData(p));
  const source = [
    'def main():',
    '    pass',
    'def work():',
    '    x = sum(range(1000))',
    '    return x \u001b[31m',
    '',
    '',
    '    work()',
    '    work()',
  ];
  const out = renderLines(p, { readSource: (file) => (file === '/src/app.py' ? source : null) }, plainStyle(100));
  assert.match(out, /work\s+app\.py:3\s+self 80\.0%\s+total 80\.0%/);
  assert.match(out, /^\s+4\s+60\.0%\s+60\.0%\s+x = sum\(range\(1000\)\)$/m);
  assert.match(out, /^\s+5\s+20\.0%\s+20\.0%\s+return x \\x1b\[31m$/m, 'source text is sanitized too');
  assert.match(out, /^\s+8\s+0\.0%\s+80\.0%\s+work\(\)$/m);
  assert.match(out, /^\s+9\s+20\.0%\s+20\.0%\s+work\(\)$/m);
  // Without the file, the numbers alone.
  const noSource = renderLines(p, {}, plainStyle(100));
  assert.match(noSource, /^\s+4\s+60\.0%\s+60\.0%$/m);
});

test('lines: a profile without line numbers says so and how to record one', () => {
  const out = renderLines(profile, {}, plainStyle(100));
  assert.ok(!hasLineData(profile));
  assert.match(out, /no line numbers/);
  assert.match(out, /pyrometer record --lines/);
});

test('thread selection and idle hiding change the totals', () => {
  const b = new ProfileBuilder('test', { interval: 1 });
  addStacks(b, ['main;work 4'], '11', 'MainThread');
  addStacks(b, ['worker;crunch 6'], '12', 'Worker');
  const t = b.thread('12');
  const idleFrame = b.frame(b.func('sleep', '', 0, 'native'), 0, 'idle');
  b.addSample(t, b.stackOf([b.frame(b.func('worker', '', 0)), idleFrame]), 100);
  const p = b.build();
  const all = showJson(p, {});
  assert.equal(all.totals.weight, 11);
  const worker = showJson(p, { threads: [1], hideIdle: true });
  assert.equal(worker.totals.weight, 6);
  assert.deepEqual(
    worker.functions.map((f) => f.name),
    ['crunch', 'worker'],
  );
  assert.deepEqual(
    worker.threads.map((t) => t.selected),
    [false, true],
  );
  const text = renderFlat(p, { threads: [1] }, plainStyle(100));
  assert.match(text, /2 threads \(showing Worker \(12\)\)/);
});

test('info: facts of a profile with threads, memory and markers', () => {
  const b = new ProfileBuilder('vmprof', {
    interpreter: 'pypy',
    interval: 0.5,
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5),
    endTime: Date.UTC(2024, 0, 2, 3, 4, 7),
    flags: ['memory', 'lines'],
    formatVersion: 4,
  });
  const main = b.thread('100', 'MainThread');
  const other = b.thread('200');
  const s = b.stackOf([b.frame(b.func('f', '/a.py', 1))]);
  b.addSample(main, s, 0, 1, 2048);
  b.addSample(main, s, 1, 1, 4096);
  b.addSample(other, s, 1, 1, 1024);
  b.addMarker(main, 'gc-minor', 0.5, 0.7, 'gc');
  b.warn('file ends in the middle of a sample');
  const p = b.build();
  const facts = profileFacts(p);
  assert.equal(facts.frequencyHz, 2000);
  assert.equal(facts.startTime, '2024-01-02T03:04:05.000Z');
  assert.equal(facts.endTime, '2024-01-02T03:04:07.000Z');
  assert.equal(facts.durationMs, 2000);
  assert.deepEqual(facts.memory, { minKiB: 1024, maxKiB: 4096 });
  assert.equal(facts.markers, 1);
  assert.deepEqual(
    facts.threads.map((t) => [t.id, t.name, t.samples]),
    [
      ['100', 'MainThread', 2],
      ['200', '', 1],
    ],
  );
  const out = renderInfo(p, plainStyle(100));
  assert.match(out, /^format\s+vmprof \(version 4\)$/m);
  assert.match(out, /^interpreter\s+PyPy$/m);
  assert.match(out, /^flags\s+memory, lines$/m);
  assert.match(out, /^period\s+0\.5 ms \(2,000 Hz\)$/m);
  assert.match(out, /^start\s+2024-01-02T03:04:05\.000Z$/m);
  assert.match(out, /^duration\s+2\.00 s$/m);
  assert.match(out, /^samples\s+3$/m);
  assert.match(out, /^memory\s+1\.0 MiB – 4\.0 MiB RSS$/m);
  assert.match(out, /^markers\s+1$/m);
  assert.match(out, /^\s+100\s+2\s+MainThread$/m);
  assert.match(out, /^\s+200\s+1\s+\(unnamed\)$/m);
  assert.match(out, /warnings \(1\)\n\s+file ends in the middle of a sample/);
});

test('json: totals match the samples, the tree is a flat node list', () => {
  const json = showJson(profile, { top: 3, tree: { minPercent: 0 } });
  assert.equal(json.totals.samples, 100);
  assert.equal(json.totals.weight, 100);
  assert.equal(json.functions.length, 3);
  assert.equal(json.moreFunctions, 2);
  assert.deepEqual(json.functions[0], {
    name: 'compute_prices_for_every_customer_segment_and_region',
    file: `${APP}/pricing/engine/very/deep/package/compute.py`,
    line: 40,
    kind: 'python',
    self: 50,
    total: 65,
    selfPercent: 50,
    totalPercent: 65,
    // where its time went (model/time-split.ts): all Python frames, so all interpreted
    split: { interpreted: 65 },
  });
  const nodes = json.tree!.nodes;
  assert.equal(nodes.length, 5);
  assert.deepEqual(
    nodes.map((n) => [n.name, n.parent, n.total]),
    [
      ['main', -1, 100],
      ['compute_prices_for_every_customer_segment_and_region', 0, 65],
      ['round', 1, 15],
      ['load_catalogue', 0, 30],
      ['parse_row', 3, 30],
    ],
  );
  // A round trip through JSON text keeps it all.
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
});

test('weights in ns or µs are shown in ms; profiles without timestamps show their summed time', () => {
  const b = new ProfileBuilder('pprof', { weightUnit: 'ns' });
  addStacks(b, ['main;alpha 1'], '1');
  const p = b.build();
  // addStacks gives each sample weight 1; make them 2.5 ms in ns.
  p.threads[0].samples.weight.fill(2_500_000);
  const out = renderFlat(p, {}, plainStyle(100));
  assert.match(out, /^pprof · 2\.5 ms in total · 1 thread$/m);
  assert.match(out, /^\s*self\s+total\s+ms\s+function$/m);
  assert.match(out, /^\s*100%\s+100%\s+2\.5\s+alpha$/m);
});

test('empty results say why: no samples in the file, or none left by the selection', () => {
  const b = new ProfileBuilder('pypylog', { interpreter: 'pypy' });
  const t = b.thread('1');
  b.addMarker(t, 'gc-minor', 0, 1, 'gc');
  const markersOnly = b.build();
  for (const out of [
    renderFlat(markersOnly, {}, plainStyle()),
    renderTree(markersOnly, {}, plainStyle()),
    renderLines(markersOnly, {}, plainStyle()),
  ]) {
    assert.match(out, /This profile has no samples, only 1 timeline marker \(/);
  }
  const idle = new ProfileBuilder('test', { interval: 1 });
  const it = idle.thread('1');
  idle.addSample(it, idle.stackOf([idle.frame(idle.func('sleep', '', 0, 'native'), 0, 'idle')]), 0);
  assert.match(renderFlat(idle.build(), { hideIdle: true }, plainStyle()), /every selected sample was idle \(try without --hide-idle\)/);
});

test('tree --indent: columns per level for the guides, 3 by default', () => {
  const guidesOf = (indent?: number) =>
    lines(renderTree(profile, { minPercent: 10, indent }, plainStyle(120)))
      .filter((l) => /%\s+\S+%\s+[│├└ ]/.test(l) && /[├└]/.test(l))
      .map((l) => /([│├└─ ]*[├└]─* ?)\S/.exec(l.slice(16))?.[1] ?? '');
  assert.deepEqual(guidesOf(), ['├─ ', '│  └─ ', '└─ ', '   └─ ']);
  assert.deepEqual(guidesOf(3), guidesOf());
  assert.deepEqual(guidesOf(5), ['├─── ', '│    └─── ', '└─── ', '     └─── ']);
  assert.deepEqual(guidesOf(2), ['├ ', '│ └ ', '└ ', '  └ ']);
  assert.deepEqual(guidesOf(1), ['├', '│└', '└', ' └']);
});

test('tree --html: nested <details> in the text tree’s order and depths, names escaped', () => {
  const b = new ProfileBuilder('test', { interpreter: 'cpython', interval: 1 });
  addStacks(
    b,
    ['<module>@/a.py:1;main@/a.py:3;a&b<x>@/a.py:9 6', '<module>@/a.py:1;main@/a.py:3;small@/a.py:20 1', '<module>@/a.py:1 3'],
    '1',
  );
  const p = b.build();
  for (const options of [{ minPercent: 0 }, { minPercent: 15 }, { depth: 2 }, { inverted: true, minPercent: 0 }]) {
    const html = renderTreeHtml(p, options);
    const tree = buildTree(p, select(p, options), options.inverted);
    const expected = treeLines(tree, options).map((l) => ({
      depth: l.depth,
      name: l.node < 0 ? `… ${l.hiddenCount} more` : displayName(p, tree.func[l.node]) + (l.truncated ? ' …' : ''),
    }));
    // walk the tags: depth of each summary from the <details> open around it
    const seen: { depth: number; name: string }[] = [];
    let depth = -1;
    for (const m of html.matchAll(/<details[^>]*>|<\/details>|<summary>(.*?)<\/summary>/g)) {
      if (m[0].startsWith('<details')) depth++;
      else if (m[0] === '</details>') depth--;
      else {
        const bold = /<b>(.*?)<\/b>/.exec(m[1]);
        const text = (
          bold
            ? bold[1]
            : m[1]
                .replace(/<span[^>]*>[^<]*<\/span>/g, '')
                .trim()
                .replace(/ below.*$/, '')
        )
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&');
        seen.push({ depth, name: text });
      }
    }
    assert.equal(depth, -1, 'every <details> closed');
    assert.deepEqual(seen, expected, JSON.stringify(options));
    assert.ok(!/<b>[^<]*[<>&][^<]*<\/b>/.test(html.replace(/&(lt|gt|amp|quot);/g, '')), 'names escaped');
    assert.ok(html.startsWith('<!doctype html>'));
  }
});

test('lines --filter: only functions whose name or file contains the text', () => {
  const p = stacksProfile(['main@/app/run.py:1:2;parse@/app/parse.py:10:12 4', 'main@/app/run.py:1:3;compute@/app/calc.py:5:7 6']);
  const names = (filter?: string) =>
    lines(renderLines(p, { filter, top: 10 }, plainStyle(120)))
      .filter((l) => /self .*total/.test(l) && !/line/.test(l))
      .map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(names(), ['compute', 'parse', 'main']);
  assert.deepEqual(names('pars'), ['parse']);
  assert.deepEqual(names('calc.py'), ['compute']);
  assert.deepEqual(names('/app/'), ['compute', 'parse', 'main']);
  assert.match(renderLines(p, { filter: 'nothing' }, plainStyle(120)), /No function with line numbers has "nothing" in its name or file/);
  const json = showJson(p, { lines: true, filter: 'pars' });
  assert.deepEqual(
    json.lines?.map((f) => f.name),
    ['parse'],
  );
});
