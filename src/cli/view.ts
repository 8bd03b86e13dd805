/**
 * `pyrometer view FILE…`: parses the files here, serves the viewer on
 * 127.0.0.1, prints the URL, opens the browser unless --no-open, and stops
 * cleanly on Ctrl-C.
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { basename, dirname, resolve } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { CliError, usageError } from './errors.js';
import { loadForCli } from './load.js';
import type { ViewServer } from '../view-server/server.js';

/** Opens a URL in the default browser; failures only print a hint (the URL is printed anyway). */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`pyrometer: could not open a browser; open ${url} yourself\n`));
    child.unref();
  } catch {
    process.stderr.write(`pyrometer: could not open a browser; open ${url} yourself\n`);
  }
}

export interface ViewOptions {
  port?: number;
  open?: boolean;
}

/** Loads the files and starts the server (the command waits for a signal; tests close it themselves). */
export async function startView(files: string[], options: ViewOptions = {}): Promise<ViewServer> {
  const profiles = [];
  for (const file of files) {
    // loadForCli: side files, a progress bar for big files, one-line errors.
    profiles.push({ name: basename(file), profile: await loadForCli(file), sourceDir: dirname(resolve(file)) });
  }
  try {
    const { startViewServer } = await import('../view-server/server.js');
    return await startViewServer(profiles, { port: options.port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new CliError(`port ${options.port} is already in use (omit --port to pick a free one)`);
    if (e.code === 'EACCES') throw new CliError(`not allowed to listen on port ${options.port}`);
    throw err;
  }
}

export const registerView: RegisterCommand = (program: Command) => {
  program
    .command('view')
    .description('open profiles in the interactive viewer (a local web page on 127.0.0.1)')
    .argument('<files...>', 'profile files (any format pyrometer reads); several open as a list')
    .option('-p, --port <port>', 'port to listen on (default: a free one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, not "${v}"`, 2);
      return n;
    })
    .option('--no-open', 'do not open a browser, only print the URL')
    .option('--compare', 'open the Compare view: the first file is "before", the second "after" (needs two files)')
    .action(async (files: string[], opts: { port?: number; open: boolean; compare?: boolean }) => {
      if (opts.compare && files.length !== 2) throw usageError(`--compare takes two files (before and after), not ${files.length}`);
      const server = await startView(files, { port: opts.port, open: opts.open });
      // The viewer's state lives in the URL: profile 1 ("after") shown, profile 0 as "before".
      const url = opts.compare ? `${server.url}#v=compare&p=1&cmp=0` : server.url;
      // Stop handlers first: whoever reads "Press Ctrl-C" may send the signal at once.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stdout.write(
        `pyrometer: ${opts.compare ? 'comparing' : 'viewing'} ${files.length === 1 ? files[0] : opts.compare ? `${files[0]} (before) and ${files[1]} (after)` : `${files.length} profiles`} at ${url}\n`,
      );
      process.stdout.write('Press Ctrl-C to stop.\n');
      if (opts.open) openBrowser(url);
      await stopped;
    });
};
