import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderReport } from '../../src/report/html.js';
import { deserializeProfile } from '../../src/model/serialize.js';
import { BUSY_PY, busyProfile, hostileProfile } from '../web/synthetic.js';

/** The markup with every script element's body removed: what the HTML parser sees as elements. */
function markupOnly(html: string): string {
  return html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
}

function dataOf(html: string): { profiles: { name: string; model: string; sources: Record<string, string> }[] } {
  const m = /<script id="pyrometer-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the data element is present');
  return JSON.parse(m[1]);
}

test('the report inlines the viewer, the model and the named sources, with no external references', async () => {
  const html = await renderReport([{ name: 'busy.prof', profile: busyProfile() }]);
  const markup = markupOnly(html);
  assert.doesNotMatch(markup, /<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  // Inline script bodies cannot end early: the only closing tags are the elements' own.
  assert.equal(html.match(/<\/script/gi)!.length, 2);
  const data = dataOf(html);
  assert.equal(data.profiles.length, 1);
  const p = deserializeProfile(new Uint8Array(Buffer.from(data.profiles[0].model, 'base64')));
  assert.equal(p.threads[0].samples.length, 900);
  assert.equal(data.profiles[0].sources[BUSY_PY], readFileSync(BUSY_PY, 'utf8'));
  const without = dataOf(await renderReport([{ name: 'busy.prof', profile: busyProfile() }], { sources: false }));
  assert.deepEqual(without.profiles[0].sources, {});
});

test('hostile names never appear as markup in the report', async () => {
  const html = await renderReport([{ name: '<script>alert(1)</script>.prof', profile: hostileProfile() }]);
  // The only <script> elements are the report's own two, and no name became an element.
  const markup = markupOnly(html);
  assert.equal(markup.match(/<script/g)!.length, 2);
  assert.equal(html.match(/<\/script/gi)!.length, 2);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(html, /<title>&lt;script&gt;alert\(1\)&lt;\/script&gt;.prof — pyrometer<\/title>/);
  assert.equal(dataOf(html).profiles[0].name, '<script>alert(1)</script>.prof');
});

test('the report embeds only source files, whatever else the profile names', async () => {
  const { ProfileBuilder } = await import('../../src/model/builder.js');
  const b = new ProfileBuilder('test');
  b.addSampleFrames(b.thread('1'), [b.frame(b.func('main', BUSY_PY, 1)), b.frame(b.func('f', '/etc/passwd', 1)), b.frame(b.func('g', '/etc/hostname', 1))], 0);
  const data = dataOf(await renderReport([{ name: 'x', profile: b.build() }]));
  assert.deepEqual(Object.keys(data.profiles[0].sources), [BUSY_PY]);
});
