import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dotFormat, dotString, temperatureColor, writeDot } from '../../src/formats/dot/index.js';
import { pstatsFormat } from '../../src/formats/pstats/index.js';
import { callgrindFormat } from '../../src/formats/callgrind/index.js';
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';
import { fixture } from '../helpers.js';
import { HOSTILE_NAMES, syntheticProfile } from './writer-profiles.js';

/** Runs Graphviz's dot on our output; returns the SVG (fails the test on any complaint). */
function renderSvg(dotText: string): string {
  const result = spawnSync('dot', ['-Tsvg'], { input: dotText, encoding: 'utf8' });
  assert.equal(result.error, undefined, 'graphviz `dot` must be installed (scripts/install-test-deps.sh)');
  assert.equal(result.stderr, '', 'dot printed no warnings');
  assert.equal(result.status, 0);
  return result.stdout;
}

/** The text lines dot drew, XML entities decoded. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]
      .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

function nodeLabels(dotText: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const m of dotText.matchAll(/^\t(f\d+) \[.*label="((?:[^"\\]|\\.)*)"\];$/gm)) labels.set(m[1], m[2]);
  return labels;
}

test('dot string escaping: quotes, backslashes, control characters', () => {
  assert.equal(dotString('plain'), '"plain"');
  assert.equal(dotString('say "hi"'), '"say \\"hi\\""');
  assert.equal(dotString('a\\lb\\N'), '"a\\\\lb\\\\N"');
  assert.equal(dotString('tab\there\nnl'), '"tab\\\\x09here\\\\x0anl"');
  assert.equal(dotString('<b>&</b> 名前'), '"<b>&</b> 名前"');
});

test('temperature colours run blue -> green -> yellow -> red', () => {
  const hue = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return { r, g, b };
  };
  const cold = hue(temperatureColor(0));
  assert.ok(cold.b > cold.r && cold.b > cold.g, 'cold is blue');
  const warm = hue(temperatureColor(1 / 2));
  assert.ok(warm.g > warm.r && warm.g > warm.b, 'half is green');
  const hot = hue(temperatureColor(1));
  assert.ok(hot.r > 200 && hot.g < 30 && hot.b < 30, 'hot is red');
  const yellowish = hue(temperatureColor(0.75));
  assert.ok(yellowish.r > 150 && yellowish.g > 150 && yellowish.b < 60, 'three quarters is yellow');
});

test('synthetic profile with hostile names: dot accepts it and draws every name verbatim', () => {
  const profile = syntheticProfile();
  const text = dotFormat.write!(profile, { nodeThres: 0, edgeThres: 0 }) as string;
  const texts = svgTexts(renderSvg(text));
  for (const name of HOSTILE_NAMES) {
    // Control characters are drawn as \xNN text; everything else exactly.
    const shown = name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    assert.ok(texts.includes(shown), `drawn: ${JSON.stringify(shown)}`);
  }
});

test('labels carry file:line, total and self percentages; edges carry the call share', () => {
  const profile = syntheticProfile();
  const text = writeDot(profile, { nodeThres: 0, edgeThres: 0 });
  const labels = [...nodeLabels(text).values()];
  // 158 samples with a stack: main is on 138 of them, leaf is innermost on 115.
  assert.ok(labels.includes('main\\napp/main.py:1\\n87.34%\\n(3.16%)\\n138 samples'), labels.join('|'));
  assert.ok(labels.includes('leaf\\napp/work.py:30\\n72.78%\\n(72.78%)\\n115 samples'));
  // main -> work: 40 + 20 + 15 + 6 samples of 158 (the recursive work -> work edge is separate).
  const main = text.match(/\t(f\d+) \[.*label="main\\n/)![1];
  const work = text.match(/\t(f\d+) \[.*label="work\\n/)![1];
  assert.match(text, new RegExp(`\\t${main} -> ${work} \\[.*label="51\\.27%"`));
  assert.match(text, new RegExp(`\\t${work} -> ${work} \\[.*label="3\\.80%"`));
});

test('thresholds prune small nodes and edges', () => {
  const profile = syntheticProfile();
  const all = nodeLabels(writeDot(profile, { nodeThres: 0, edgeThres: 0 }));
  const pruned = writeDot(profile, { nodeThres: 5, edgeThres: 5 });
  const kept = nodeLabels(pruned);
  assert.ok(kept.size < all.size);
  for (const label of kept.values()) {
    const total = Number(label.match(/\\n([\d.]+)%\\n\(/)![1]);
    assert.ok(total >= 5, label);
  }
  for (const m of pruned.matchAll(/ -> .*label="([\d.]+)%/g)) assert.ok(Number(m[1]) >= 5);
  // Defaults: 0.5% for nodes, 0.1% for edges.
  const b = new ProfileBuilder('synthetic');
  const t = b.thread('1');
  const big = b.frame(b.func('big', 'a.py', 1));
  const tiny = b.frame(b.func('tiny', 'a.py', 9));
  for (let i = 0; i < 999; i++) b.addSampleFrames(t, [big], i);
  b.addSampleFrames(t, [big, tiny], 999);
  const defaults = writeDot(b.build());
  assert.match(defaults, /label="big\\n/);
  assert.doesNotMatch(defaults, /tiny/);
  assert.throws(() => dotFormat.write!(syntheticProfile(), { nodeThres: 'lots' }), /--node-thres/);
});

test('real fixtures: cProfile and callgrind call graphs render with their call counts', () => {
  const cases: [Profile, string][] = [
    [pstatsFormat.read!(new Uint8Array(readFileSync(fixture('cprofile/cprofile-python3-wordcount.pstats')))), 'pstats'],
    [callgrindFormat.read!(new Uint8Array(readFileSync(fixture('callgrind/callgrind.python3-tiny.out')))), 'callgrind'],
  ];
  for (const [profile, name] of cases) {
    const text = dotFormat.write!(profile) as string;
    const svg = renderSvg(text);
    assert.ok(nodeLabels(text).size > 3, `${name}: a real graph`);
    assert.match(svg, /<svg/);
    assert.match(text, /label="[\d.]+%\\n\d+×"/, `${name}: call counts on edges`);
    assert.match(text, /\\n\(\d+\.\d\d%\)\\n\d+×"\]/, `${name}: call counts on nodes`);
  }
});
