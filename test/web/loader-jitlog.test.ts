/**
 * The viewer's `?profile=URL&jitlog=URL` (what `serve` hands it for an uploaded PyPy jitlog):
 * the jitlog is fetched beside the profile, gzip undone, and attached; a jitlog that cannot be
 * fetched or read leaves the profile open with a warning naming the problem.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { fixtureBytes } from '../helpers.js';
import { querySources } from '../../web/src/loader.js';
import { jitlogOf } from '../../src/formats/jitlog/traces.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function serve(files: Record<string, Uint8Array>): void {
  globalThis.fetch = (async (url: string) => {
    const body = files[url];
    return body ? new Response(body) : new Response('no', { status: 404 });
  }) as typeof fetch;
}

const profile = fixtureBytes('vmprof/pypy-wordcount.prof');
const jit = fixtureBytes('pypy/pypy-wordcount.prof.jit');

test('loader: a gzipped jitlog beside the profile is attached (as the vmprof client uploads it)', async () => {
  serve({ '/p': profile, '/j': gzipSync(jit) });
  const [source] = querySources('?profile=/p&jitlog=/j')!;
  const p = await source.load();
  assert.equal(jitlogOf(p.attachments)!.traces.length, 10);
  assert.deepEqual(p.meta.warnings, []);
});

test('loader: a jitlog that is garbage or missing leaves the profile open, with a warning', async () => {
  serve({ '/p': profile, '/bad': new Uint8Array([0x1e, 4, 0, 0, 1, 0, 0, 0, 0x78, 0x99, 0x99]) });
  for (const [url, reason] of [
    ['/bad', /the JIT log was not attached \(.*unknown record marker 0x99/],
    ['/gone', /the JIT log was not attached \(\/gone: HTTP 404\)/],
  ] as const) {
    const [source] = querySources(`?profile=/p&jitlog=${url}`)!;
    const p = await source.load();
    assert.equal(jitlogOf(p.attachments), null);
    assert.equal(p.threads[0].samples.length, 70);
    assert.equal(p.meta.warnings.length, 1);
    assert.match(p.meta.warnings[0], reason);
  }
});
