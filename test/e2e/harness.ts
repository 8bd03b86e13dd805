/**
 * Shared set-up of the viewer's end-to-end tests: `pyrometer view`'s server on
 * the given files, Debian's headless Chromium, pages that record console
 * errors, page errors and dialogs (an alert from a hostile name would be one),
 * and helpers to wait for paints, hover the canvas and save screenshots to
 * test-output/screenshots/ (the folder CI keeps).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testOutput } from '../helpers.js';
import { startView } from '../../src/cli/view.js';
import type { ViewServer } from '../../src/view-server/server.js';
import { functionTable, stackWeights, totalWeight } from '../../src/model/analysis.js';
import { funcName, type Profile } from '../../src/model/profile.js';

export const screenshots = join(testOutput, 'screenshots');
export const work = join(testOutput, 'viewer');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export class Harness {
  browser!: Browser;
  server!: ViewServer;
  /** Console errors and warnings, page errors and dialogs of every page: a test at the end asserts none. */
  readonly problems: string[] = [];

  async start(files: string[]): Promise<void> {
    mkdirSync(screenshots, { recursive: true });
    mkdirSync(work, { recursive: true });
    this.server = await startView(files, { open: false });
    this.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.close();
  }

  watch(page: Page): Page {
    page.setDefaultTimeout(20000);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      this.problems.push(`dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    return page;
  }

  async openPage(hash: string, base = this.server.url): Promise<Page> {
    const page = this.watch(await this.browser.newPage({ viewport: { width: 1280, height: 720 } }));
    await page.goto(`${base}#${hash}`);
    await waitReady(page);
    return page;
  }
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__pyrometer?.ready === true, null, { timeout: 30000 });
  // Two animation frames: the canvas paints in requestAnimationFrame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** Fraction of canvas pixels that differ from the top-left background pixel. */
export async function paintedShare(page: Page): Promise<number> {
  return page.evaluate(() => {
    // Read a copy: repeated readbacks of the viewer's own canvas make Chromium warn (and slow it down).
    const c = document.querySelector('canvas.flame-canvas') as HTMLCanvasElement;
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) painted++;
    return painted / (d.length / 4);
  });
}

/** The y (CSS px in the canvas) of the middle of the flame graph's root row (a shallow graph sits at the top, a deep one fills the view). */
export async function rootRowY(page: Page): Promise<number> {
  return page.evaluate(() => window.__pyrometer.canvas!.flameNodeRect(window.__pyrometer.canvas!.flame!.tree.roots[0])!.y + 9);
}

/** Hovers the canvas point (x, y in CSS px from its top-left) and returns the tooltip text. */
export async function hoverTooltip(page: Page, x: number, y: number): Promise<string> {
  const box = (await page.locator('canvas.flame-canvas').boundingBox())!;
  await page.mouse.move(box.x + x, box.y + y);
  await page.locator('.tooltip').waitFor({ state: 'visible' });
  return page.locator('.tooltip').innerText();
}

/** The function with the largest total, and its percentage as the viewer prints it. */
export function hottest(profile: Profile): { name: string; percent: string } {
  const w = stackWeights(profile);
  const { total } = functionTable(profile, w);
  let best = 0;
  for (let f = 1; f < total.length; f++) if (total[f] > total[best]) best = f;
  const p = (total[best] / totalWeight(w)) * 100;
  return { name: funcName(profile, best), percent: p >= 10 ? `${p.toFixed(1)}%` : `${p.toFixed(2)}%` };
}
