// Bundles the viewer (web/src) into web/dist with esbuild: one JS file, one CSS
// file and index.html. Runs at `npm run build` (so `npm ci` builds it through
// `prepare`); the CLI's view server and HTML report read web/dist.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
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
  plugins: [skipMissingFormats()],
});
copyFileSync(join(here, 'src/app.css'), join(out, 'app.css'));
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));

/**
 * Format modules are written by several people at once; while one listed in
 * src/formats/all.ts is not in the tree yet, bundle the others instead of
 * failing the whole viewer build (a warning names what was left out).
 */
function skipMissingFormats() {
  return {
    name: 'skip-missing-formats',
    setup(b) {
      b.onLoad({ filter: /src[\\/]formats[\\/]all\.ts$/ }, (args) => {
        const dir = dirname(args.path);
        const lines = readFileSync(args.path, 'utf8').split('\n');
        const missing = new Set();
        for (const line of lines) {
          const m = /^import \{ (\w+) \} from '(\.\/[^']+)\.js';/.exec(line);
          if (m && !existsSync(join(dir, `${m[2]}.ts`))) missing.add(m[1]);
        }
        if (missing.size === 0) return undefined;
        const kept = lines.filter((line) => ![...missing].some((name) => line.includes(`{ ${name} }`) || line.includes(`(${name})`)));
        return { contents: kept.join('\n'), loader: 'ts', warnings: [{ text: `viewer built without missing format modules: ${[...missing].join(', ')}` }] };
      });
    },
  };
}
