/**
 * `pyrometer convert IN -o OUT [--to FORMAT]`: reads any profile format
 * pyrometer reads and writes any it writes. The output format comes from
 * --to, else from the output name (`out.firefox.json`, `out.dot`, `out.svg`,
 * `out.pb.gz`, ...); a trailing `.gz` also gzips the output. PyPy side files
 * next to the input (`run.prof.jit`, `run.pypylog`) are attached first.
 *
 * Big outputs stream: formats with `writeChunks` go to the file piece by piece
 * (a Firefox JSON of a 300 MB VMProf file never becomes one string). The file
 * is written under a temporary name and renamed at the end, so a failed
 * conversion never leaves half a file behind.
 */
import { once } from 'node:events';
import { createWriteStream, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import type { Format, WriteOptions } from '../formats/all.js';
import { UnknownFormatError } from '../formats/errors.js';
import type { Profile } from '../model/profile.js';
import { sanitize } from '../report/text.js';
import type { RegisterCommand } from './commands.js';
import { asCliError, CliError, usageError } from './errors.js';
import { collectList, percentage, resolveThreads } from './options.js';
import { cliProgress, loadProgress } from './terminal.js';

interface ConvertOptions {
  output?: string;
  to?: string;
  from?: string;
  thread?: string[];
  nodeThres?: number;
  edgeThres?: number;
  minWidth?: number;
  title?: string;
  sideFiles: boolean;
  listFormats?: boolean;
}

const EXAMPLES = `
Examples:
  $ pyrometer convert run.prof -o run.firefox.json     open in https://profiler.firefox.com
  $ pyrometer convert run.prof -o run.speedscope.json  open in https://www.speedscope.app
  $ pyrometer convert run.prof -o run.svg              interactive flame graph, one file
  $ pyrometer convert run.prof -o calls.dot --node-thres 1 && dot -Tsvg calls.dot -o calls.svg
  $ pyrometer convert run.prof -o run.callgrind        for KCacheGrind / QCacheGrind
  $ pyrometer convert prog.pstats -o prog.pb.gz --to pprof
  $ pyrometer convert --list-formats
`;

/** The readers and writers, loaded when a conversion runs (not at every command's start-up). */
let formats: typeof import('../formats/all.js');
let sideFiles: typeof import('../formats/sidefiles.js');
async function loadFormats(): Promise<void> {
  formats ??= await import('../formats/all.js');
  sideFiles ??= await import('../formats/sidefiles.js');
}

/** The formats table for --list-formats. */
export function formatsTable(list: readonly Format[] = formats.allFormats()): string {
  const rows = [['FORMAT', 'READ', 'WRITE', 'FILE NAMES', 'DESCRIPTION']];
  for (const f of list) {
    rows.push([
      f.name,
      f.read || f.readStream ? 'yes' : '-',
      f.write ? 'yes' : '-',
      f.extensions.map((e) => `*.${e}`).join(' '),
      f.description,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === 4 ? cell : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** The writer for an output name (without its `.gz`), or --to. */
export async function pickWriter(output: string, to: string | undefined): Promise<Format> {
  // Loads the writers itself: `query -o` called it without them and crashed on every use.
  await loadFormats();
  const writable = formats
    .allFormats()
    .filter((f) => f.write)
    .map((f) => f.name)
    .join(', ');
  if (to) {
    const format = formats.formatByName(to);
    if (!format) throw usageError(`--to: no format called "${sanitize(to)}"; pyrometer writes: ${writable}`);
    if (!format.write) throw usageError(`${format.name} can only be read; pyrometer writes: ${writable}`);
    return format;
  }
  const name = output.replace(/\.gz$/i, '');
  const format =
    formats.formatForOutputName(name) ?? (output.toLowerCase().endsWith('.pb.gz') ? formats.formatForOutputName(output) : undefined);
  if (!format) {
    throw usageError(
      `cannot tell the output format from the name "${sanitize(basename(output))}"; add --to <format> (one of: ${writable})`,
    );
  }
  return format;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** Outputs past this size show a "MiB written" counter on a terminal (the total is not known ahead). */
const WRITE_PROGRESS_BYTES = 16 * 1024 * 1024;

async function writeAll(stream: Writable, pieces: Iterable<Uint8Array | string>, label: string): Promise<number> {
  let bytes = 0;
  let bar: SingleBar | null = null;
  try {
    for (const piece of pieces) {
      bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
      if (!stream.write(piece)) await once(stream, 'drain');
      if (bar) bar.update(Math.round(bytes / (1024 * 1024)));
      else if (bytes >= WRITE_PROGRESS_BYTES && process.stderr.isTTY && stream !== process.stdout) {
        bar = new (cliProgress().SingleBar)({
          stream: process.stderr,
          format: `writing ${label} {value} MiB`,
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(0, Math.round(bytes / (1024 * 1024)));
      }
    }
  } finally {
    bar?.stop();
  }
  return bytes;
}

/** Writes the profile to `output` ('-' = stdout), gzipping when the name ends in .gz (and the format is not already gzip). */
export async function writeOutput(profile: Profile, format: Format, output: string, options: WriteOptions): Promise<number> {
  const pieces: Iterable<Uint8Array | string> = format.writeChunks
    ? format.writeChunks(profile, options)
    : [format.write!(profile, options)];
  if (output === '-') {
    return writeAll(process.stdout, pieces, 'standard output');
  }
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  const file = createWriteStream(temporary);
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => {});
  try {
    let bytes: number;
    // pprof writers produce gzip already; only gzip what is not gzip yet.
    const gzip = /\.gz$/i.test(output) && !format.extensions.some((e) => e.endsWith('.gz') && output.toLowerCase().endsWith(`.${e}`));
    if (gzip) {
      const zip = createGzip();
      zip.pipe(file);
      bytes = await Promise.race([writeAll(zip, pieces, sanitize(basename(output))), failed]);
      zip.end();
    } else {
      bytes = await Promise.race([writeAll(file, pieces, sanitize(basename(output))), failed]);
      file.end();
    }
    await Promise.race([once(file, 'close'), failed]);
    renameSync(temporary, output);
    return bytes;
  } catch (err) {
    file.destroy();
    rmSync(temporary, { force: true });
    throw err;
  }
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export async function runConvert(input: string | undefined, opts: ConvertOptions): Promise<void> {
  await loadFormats();
  if (opts.listFormats) {
    process.stdout.write(formatsTable());
    return;
  }
  if (!input) throw usageError('convert needs an input file (or --list-formats)');
  if (!opts.output) throw usageError('convert needs an output file: -o <file> (or -o - for standard output)');
  const format = await pickWriter(opts.output, opts.to);
  if (opts.output !== '-' && sameFile(input, opts.output)) {
    throw usageError(`the output ${sanitize(opts.output)} is the input file; choose another name`);
  }
  if (opts.output !== '-') {
    try {
      if (statSync(dirname(resolve(opts.output))).isDirectory() === false) throw new Error();
    } catch {
      throw new CliError(`${sanitize(opts.output)}: the directory ${sanitize(dirname(opts.output))} does not exist`);
    }
  }

  let profile: Profile;
  const attached: string[] = [];
  try {
    const size = (await stat(input)).size;
    const progress = loadProgress(`reading ${basename(input)}`, size);
    try {
      profile = await sideFiles.loadWithSideFiles(input, {
        format: opts.from,
        sideFiles: opts.sideFiles,
        onProgress: (done, total) => progress.update(done, total),
        onSideFile: (f) => attached.push(basename(f.path)),
      });
    } finally {
      progress.stop();
    }
  } catch (err) {
    throw err instanceof UnknownFormatError ? asCliError(err) : asCliError(err, input);
  }

  const options: WriteOptions = {};
  const threads = resolveThreads(profile, opts.thread);
  if (threads) options.threads = threads;
  if (opts.nodeThres !== undefined) options.nodeThres = opts.nodeThres;
  if (opts.edgeThres !== undefined) options.edgeThres = opts.edgeThres;
  if (opts.minWidth !== undefined) options.minWidth = opts.minWidth;
  if (opts.title !== undefined) options.title = opts.title;

  options.warn = (message: string) => process.stderr.write(`pyrometer: warning: ${sanitize(message)}\n`);
  let bytes: number;
  try {
    bytes = await writeOutput(profile, format, opts.output, options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string') {
      const reason =
        e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'ENOSPC'
            ? 'no space left on the device'
            : e.code === 'EISDIR'
              ? 'is a directory'
              : e.code;
      throw new CliError(`${sanitize(opts.output)}: cannot write (${reason})`);
    }
    throw err;
  }
  if (opts.output !== '-') {
    const side = attached.length > 0 ? `, with ${attached.map(sanitize).join(' and ')}` : '';
    process.stderr.write(`pyrometer: wrote ${sanitize(opts.output)} (${format.name}, ${humanBytes(bytes)}${side})\n`);
  }
  for (const warning of profile.meta.warnings) process.stderr.write(`pyrometer: warning: ${sanitize(warning)}\n`);
}

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw usageError(`${name} takes a number of pixels, not "${sanitize(value)}"`);
    return n;
  };
}

export const registerConvert: RegisterCommand = (program: Command) => {
  program
    .command('convert')
    .description('convert a profile to another format (Firefox Profiler, speedscope, pprof, callgrind, DOT, SVG flame graph, ...)')
    .argument('[input]', 'profile file to read (any format pyrometer reads; .gz is fine)')
    .option('-o, --output <file>', 'file to write ("-" for standard output; a .gz ending compresses it)')
    .option('--to <format>', 'output format (default: from the output file name; see --list-formats)')
    .option('--from <format>', 'read the input as this format instead of detecting it')
    .option('-t, --thread <id|name>', 'only these threads (repeat or comma-separate; default: all)', collectList)
    .option('--node-thres <percent>', 'dot: leave out functions under this share of the total (default 0.5)', percentage('--node-thres'))
    .option('--edge-thres <percent>', 'dot: leave out calls under this share of the total (default 0.1)', percentage('--edge-thres'))
    .option('--min-width <pixels>', 'svg: leave out frames narrower than this (default 0.1)', nonNegative('--min-width'))
    .option('--title <text>', 'svg: the title above the flame graph')
    .option('--no-side-files', 'do not attach PyPy side files (<input>.jit, <input>.pypylog) found next to the input')
    .option('--list-formats', 'list every format with whether pyrometer reads and writes it')
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, opts: ConvertOptions) => {
      await runConvert(input, opts);
    });
};
