/**
 * The built viewer (web/dist, made by `npm run build:web`): the view server, the HTML report
 * and the profile server all read it from here. A leaf: it imports nothing of ours, so every
 * layer above formats/ may use it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** web/dist: two levels up from src/assets (tsx) and from dist/assets (built). */
export function webDistDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}

export type ViewerAsset = 'index.html' | 'app.js' | 'app.css';

export function readViewerAsset(name: ViewerAsset): string {
  const path = join(webDistDir(), name);
  if (!existsSync(path)) {
    throw new Error(`the viewer is not built (${path} is missing): run \`npm run build:web\``);
  }
  return readFileSync(path, 'utf8');
}
