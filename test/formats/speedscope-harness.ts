/**
 * speedscope's own importer, run in headless Chromium: the oracle the interop
 * tests and the corpus script (scripts/corpus-speedscope.ts) compare with.
 *
 * speedscope ships only a browser bundle (node_modules/speedscope/dist/release),
 * so the page is opened the way speedscope's own CLI opens it
 * (`#localProfilePath=...`, which defines `window.speedscope.loadFileFromBase64`),
 * a file goes through its importer (its console says which one it picked),
 * and its "Export" button saves what it understood as a speedscope JSON
 * download, which our speedscope reader reads back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { projectRoot } from '../helpers.js';
import { readSpeedscope } from '../../src/formats/speedscope.js';
import { CATEGORY_IDLE, type Profile } from '../../src/model/profile.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const speedscopeIndex = join(projectRoot, 'node_modules/speedscope/dist/release/index.html');

export interface SpeedscopeImport {
  /** The importer speedscope chose ("Importing as ..." on its console), or '' when none ran. */
  importer: string;
  /** What speedscope exported, read back; null when it imported nothing. */
  exported: Profile | null;
  /** Page errors and the message speedscope showed when it could not import. */
  errors: string[];
}

export class SpeedscopeImporter {
  private browser: Browser | null = null;

  async start(): Promise<void> {
    this.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
  }

  /** Loads a file into speedscope; waits for its Export button, or for it to give up. */
  async import(fileName: string, content: string | Uint8Array, timeoutMs = 20000): Promise<SpeedscopeImport> {
    // A small viewport: speedscope renders with WebGL in software here, and pixels cost time.
    const page = await this.browser!.newPage({ acceptDownloads: true, viewport: { width: 480, height: 320 } });
    try {
      const importers: string[] = [];
      const errors: string[] = [];
      page.on('console', (m) => {
        const text = m.text();
        if (text.startsWith('Importing as ')) importers.push(text.slice('Importing as '.length));
        // The loader script the page asks for does not exist (see below): that 404 is expected.
        if (m.type() === 'error' && !text.startsWith('Failed to load resource')) errors.push(text.split('\n')[0]);
      });
      page.on('pageerror', (e) => errors.push(e.message.split('\n')[0]));
      page.on('dialog', (d) => {
        errors.push(d.message());
        void d.dismiss();
      });
      // speedscope then tries to load that script (its CLI writes one); we call the loader directly instead.
      await page.goto(`${pathToFileURL(speedscopeIndex).href}#localProfilePath=nonexistent-profile.js`);
      await page.waitForFunction(() => (window as unknown as { speedscope?: unknown }).speedscope !== undefined);
      const base64 = Buffer.from(content).toString('base64');
      await page.evaluate(
        ([name, data]) => {
          (window as unknown as { speedscope: { loadFileFromBase64(n: string, d: string): void } }).speedscope.loadFileFromBase64(
            name,
            data,
          );
        },
        [fileName, base64] as const,
      );
      const exportButton = page.getByText(/^\W*Export$/); // the toolbar tab: an emoji, then "Export"
      const failed = page.getByText(/Something went wrong|Unrecognized format/i);
      const outcome = await Promise.race([
        exportButton.waitFor({ timeout: timeoutMs }).then(() => 'loaded' as const),
        failed
          .first()
          .waitFor({ timeout: timeoutMs })
          .then(() => 'failed' as const),
      ]).catch(() => 'timeout' as const);
      if (outcome !== 'loaded') {
        if (outcome === 'failed') errors.push(((await failed.first().textContent()) ?? 'failed').trim());
        else errors.push(`no profile shown after ${timeoutMs} ms`);
        return { importer: importers[0] ?? '', exported: null, errors };
      }
      const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
      const saved = await download.path();
      return { importer: importers[0] ?? '', exported: readSpeedscope(new Uint8Array(readFileSync(saved))), errors };
    } finally {
      await page.close();
    }
  }
}

/**
 * The total a profile viewer shows: the weight of every sample that has a
 * stack, leaving out idle frames (speedscope drops Chrome's `(idle)` and empty
 * samples), in ms for time units.
 */
export function viewerTotal(p: Profile): number {
  const scale = p.meta.weightUnit === 'us' ? 1e-3 : p.meta.weightUnit === 'ns' ? 1e-6 : 1;
  let total = 0;
  for (const t of p.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s < 0) continue;
      if (p.frames.category[p.stacks.frame[s]] === CATEGORY_IDLE) continue;
      total += t.samples.weight[i] * scale;
    }
  }
  return total;
}
