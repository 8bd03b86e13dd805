/**
 * The built viewer (web/dist, made by `npm run build:web`). Both the view
 * server and the HTML report read it from here; so can the profile server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** web/dist: two levels up from src/view-server (tsx) and from dist/view-server (built). */
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
