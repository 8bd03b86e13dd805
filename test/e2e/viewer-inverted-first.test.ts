/**
 * End-to-end in Chromium: a big profile opened inverted paints first from the top of its
 * bottom-up tree (issue 16: first paint ≤ 1 s on the 100 MB bench profile), then swaps in the
 * whole tree in the same viewport. The two pictures must be the same, pixel for pixel: the first
 * paint is not an approximation. Screenshot: test-output/screenshots/inverted-first-paint.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { serializeProfile } from '../../src/model/serialize.js';
import { callTreeBottomUp, functionTable, stackWeights } from '../../src/model/analysis.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { generateProfile } from '../../bench/viewer.js';
import { Harness, hoverTooltip, rootRowY, shot, work } from './harness.js';

const harness = new Harness();
let profile: Profile;

/** The canvas as a PNG once the next paint is done. */
async function canvasAfterPaint(page: Page, change: string): Promise<Buffer> {
  await page.evaluate(`new Promise((resolve) => {
    const hooks = window.__pyrometer;
    const paints = hooks.paints;
    ${change};
    const check = () => (hooks.paints > paints ? resolve() : requestAnimationFrame(check));
    requestAnimationFrame(check);
  })`);
  return page.locator('canvas.flame-canvas').screenshot();
}

describe('viewer in Chromium: a big profile opened inverted', () => {
  before(async () => {
    const dir = join(work, 'inverted-first');
    mkdirSync(dir, { recursive: true });
    // 20,000 stacks up to 120 deep: a bottom-up tree of several hundred thousand nodes
    profile = generateProfile(300_000, 20_000, 120);
    writeFileSync(join(dir, 'big.pyrmodel'), serializeProfile(profile));
    await harness.start([join(dir, 'big.pyrmodel')]);
  });
  after(() => harness.stop());

  test('the first paint draws the top of the bottom-up tree, the same picture as the whole tree', async () => {
    const whole = callTreeBottomUp(profile, stackWeights(profile));
    const page = await harness.openPage('inv=1');
    await page.waitForFunction(() => window.__pyrometer.timings.wholeInverted != null);
    const sizes = await page.evaluate(() => ({
      first: window.__pyrometer.firstFlameLayout!.tree.length,
      shown: window.__pyrometer.canvas!.flame!.tree.length,
    }));
    assert.equal(sizes.shown, whole.length, 'the whole bottom-up tree is shown once built');
    assert.ok(sizes.first * 10 < whole.length, `the first paint laid out ${sizes.first} of ${whole.length} nodes`);
    // The whole tree's picture, then the first paint's layout drawn again in the same viewport.
    const wholePicture = await canvasAfterPaint(page, 'hooks.canvas.requestDraw()');
    const firstPicture = await canvasAfterPaint(page, 'hooks.canvas.showFlame(hooks.firstFlameLayout, true)');
    assert.ok(firstPicture.equals(wholePicture), 'the first paint and the whole tree draw the same pixels');
    // Roots are the functions with self time, the widest on the left: the same tooltip on either tree.
    const { self } = functionTable(profile, stackWeights(profile));
    let best = 0;
    for (let f = 1; f < self.length; f++) if (self[f] > self[best]) best = f;
    assert.equal((await hoverTooltip(page, 5, await rootRowY(page))).split('\n')[0], funcName(profile, best));
    await shot(page, 'inverted-first-paint');
    await page.close();
  });

  test('no console errors', () => {
    assert.deepEqual(harness.problems, []);
  });
});
