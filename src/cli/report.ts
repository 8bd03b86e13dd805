/** `pyrometer report FILE… -o report.html`: a self-contained HTML viewer of the profiles. */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { asCliError, CliError } from './errors.js';
import { loadForCli } from './load.js';

export const registerReport: RegisterCommand = (program: Command) => {
  program
    .command('report')
    .description('write a self-contained HTML report (viewer and data inlined, works offline)')
    .argument('<files...>', 'profile files (any format pyrometer reads)')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('--no-sources', 'do not embed the source files the profile names')
    .action(async (files: string[], opts: { output: string; sources: boolean }) => {
      if (!opts.output.toLowerCase().endsWith('.html') && !opts.output.toLowerCase().endsWith('.htm')) {
        throw new CliError(`the report is HTML: give an output name ending in .html, not "${opts.output}"`, 2);
      }
      const profiles = [];
      for (const file of files) {
        // loadForCli: side files, a progress bar for big files, one-line errors.
        profiles.push({ name: basename(file), profile: await loadForCli(file), sourceDir: dirname(resolve(file)) });
      }
      const { renderReport } = await import('../report/html.js');
      const html = await renderReport(profiles, { sources: opts.sources });
      try {
        await writeFile(opts.output, html);
      } catch (err) {
        throw asCliError(err);
      }
      process.stdout.write(`pyrometer: wrote ${opts.output} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`);
    });
};
