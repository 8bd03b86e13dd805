import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  b.addSampleFrames(
    b.thread('1'),
    [b.frame(b.func('main', BUSY_PY, 1)), b.frame(b.func('f', '/etc/passwd', 1)), b.frame(b.func('g', '/etc/hostname', 1))],
    0,
  );
  const data = dataOf(await renderReport([{ name: 'x', profile: b.build() }]));
  assert.deepEqual(Object.keys(data.profiles[0].sources), [BUSY_PY]);
});

test('the report embeds a linked file only when the link leads to source, and relative names only from beside the profile', async () => {
  const { ProfileBuilder } = await import('../../src/model/builder.js');
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-report-links-'));
  try {
    writeFileSync(join(dir, 'secret.key'), 'SECRET-KEY-MATERIAL');
    writeFileSync(join(dir, 'app.py'), 'print("hello")\n');
    symlinkSync(join(dir, 'secret.key'), join(dir, 'link.py'));
    symlinkSync(join(dir, 'app.py'), join(dir, 'alias.py'));
    const b = new ProfileBuilder('test');
    b.addSampleFrames(
      b.thread('1'),
      [join(dir, 'link.py'), join(dir, 'alias.py'), 'app.py'].map((f, i) => b.frame(b.func(`f${i}`, f, 1))),
      0,
    );
    const profile = b.build();
    const html = await renderReport([{ name: 'x', profile, sourceDir: dir }]);
    assert.doesNotMatch(html, /SECRET-KEY-MATERIAL/);
    assert.deepEqual(Object.keys(dataOf(html).profiles[0].sources).sort(), ['app.py', join(dir, 'alias.py')].sort());
    // No directory given: the relative name is not read from the current directory.
    assert.deepEqual(Object.keys(dataOf(await renderReport([{ name: 'x', profile }])).profiles[0].sources), [join(dir, 'alias.py')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
