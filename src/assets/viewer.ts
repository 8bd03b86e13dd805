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
export const VIEWER_ASSETS: readonly ViewerAsset[] = ['index.html', 'app.js', 'app.css'];

/** Media types of the files the viewer's hosts serve, by file name ending: the one table. */
const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The media type to serve a file as: from its name's ending, `application/octet-stream` when unknown. */
export function mediaTypeOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return (dot >= 0 && MEDIA_TYPES[fileName.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

export function readViewerAsset(name: ViewerAsset): string {
  const path = join(webDistDir(), name);
  if (!existsSync(path)) {
    throw new Error(`the viewer is not built (${path} is missing): run \`npm run build:web\``);
  }
  return readFileSync(path, 'utf8');
}
