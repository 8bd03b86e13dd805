/**
 * What the CLI knows about the terminal: whether to colour a stream, how wide
 * it is, and a progress bar for long loads. Reports never look at process.*
 * themselves; they get a Style built here.
 */
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { makeStyle, type Style } from '../report/text.js';

/** cli-progress, loaded when a bar is first shown (most runs show none: small files, no TTY). */
export function cliProgress(): typeof import('cli-progress') {
  return createRequire(import.meta.url)('cli-progress');
}

type Stream = NodeJS.WriteStream | { isTTY?: boolean; columns?: number; rows?: number };

/**
 * Colour only on a terminal, unless the environment says otherwise
 * (NO_COLOR wins, then FORCE_COLOR; see no-color.org and force-color.org).
 * Deliberately not picocolors' own guess, which also turns colour on for any
 * CI=… environment, pipes included.
 */
let colorChoice: boolean | undefined;

/** `--color` / `--no-color` on the command line: beats the environment and the TTY test (undefined = no choice). */
export function setColorChoice(choice: boolean | undefined): void {
  colorChoice = choice;
}

export function colorEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (colorChoice !== undefined && env === process.env) return colorChoice;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return !['0', 'false', 'no'].includes(env.FORCE_COLOR.toLowerCase());
  return !!stream.isTTY && env.TERM !== 'dumb';
}

/** Columns to fit: the terminal's, else $COLUMNS, else 100. */
export function streamWidth(stream: Stream, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return 100;
}

export function terminalStyle(stream: Stream = process.stdout): Style {
  return makeStyle({ width: streamWidth(stream), color: colorEnabled(stream), home: homedir(), cwd: process.cwd() });
}

/** Rows of the terminal when stdout is one (to fit the default --top), else undefined. */
export function terminalRows(stream: Stream = process.stdout): number | undefined {
  return stream.isTTY && stream.rows && stream.rows > 0 ? stream.rows : undefined;
}

/** Files at least this big get a progress bar while loading (on a terminal only). */
export const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal and the file is big; otherwise a no-op. */
export function loadProgress(label: string, size: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || size < PROGRESS_MIN_BYTES) return { update() {}, stop() {} };
  const bar = new (cliProgress().SingleBar)(
    {
      stream,
      format: `${label.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')} [{bar}] {percentage}% {value}/{total} MiB, {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress().Presets.shades_classic,
  );
  const mib = (n: number) => Math.round(n / (1024 * 1024));
  bar.start(mib(size), 0);
  return {
    update(done) {
      bar.update(mib(done));
    },
    stop() {
      bar.stop();
    },
  };
}
