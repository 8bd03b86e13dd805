// Bundles the viewer (web/src) into web/dist with esbuild: one JS file, one CSS
// file and index.html. Runs at `npm run build` (so `npm ci` builds it through
// `prepare`); the CLI's view server and HTML report read web/dist.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  platform: 'browser',
  minify: true,
  sourcemap: false,
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'none',
});
copyFileSync(join(here, 'src/app.css'), join(out, 'app.css'));
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
