/**
 * The `--stream` options `record` (and `attach`) share, and the session that
 * runs beside the capture: follow the profile, send a chunk per interval,
 * report what was sent when the program ends.
 */
import { Option, type Command } from 'commander';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';
import { parseTargetCommand, targetStem } from '../capture/command.js';
import { agentPath } from '../capture/recorder.js';
import type { StreamOptions, StreamSession } from '../capture/stream/session.js';
import { defaultDataDir } from '../server/store/open.js';

export interface StreamCliOptions {
  stream?: string;
  service?: string;
  label: string[];
  interval: number;
  streamBuffer: number;
  streamSpool?: string;
  token?: string;
}

/** How long the end of a run waits for the server to take what is buffered. */
const CLOSE_WAIT_MS = 10_000;

export function addStreamOptions(command: Command): Command {
  return command
    .option('--stream <url>', 'continuous profiling: send what was sampled every --interval to a `pyrometer serve` at URL')
    .option('--service <name>', 'with --stream: the service name (default: the script or module name)')
    .option(
      '--label <key=value>',
      'with --stream: a label of this run, e.g. version=1.3 (repeatable; host and pid are added)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .addOption(new Option('--interval <seconds>', 'with --stream: seconds per chunk').argParser(intervalOption).default(10_000, '10'))
    .addOption(
      new Option('--stream-buffer <chunks>', 'with --stream: chunks kept on disk while the server is away; older ones are dropped')
        .argParser(bufferOption)
        .default(360),
    )
    .option('--stream-spool <dir>', 'with --stream: where unsent chunks wait (default: a directory per run under the data directory)');
}

function intervalOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new CliError(`--interval must be a number of seconds from 1 to 3600, not "${value}"`, 2);
  return Math.round(n * 1000);
}

function bufferOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new CliError(`--stream-buffer must be a whole number of chunks from 1 to 1000000, not "${value}"`, 2);
  return n;
}

/** The default --service of `record` (the script or module name) and of `attach` (the process name). */
export function defaultServiceOf(target: { argv: string[] } | { pid: number }): string {
  if ('argv' in target) return targetStem(parseTargetCommand(target.argv));
  try {
    return (
      readFileSync(`/proc/${target.pid}/comm`, 'utf8')
        .trim()
        .replace(/[^\w.-]/g, '_') || `pid-${target.pid}`
    );
  } catch {
    return `pid-${target.pid}`;
  }
}

export async function streamOptionsFrom(
  opts: StreamCliOptions,
  target: { argv: string[] } | { pid: number },
  kind: string,
): Promise<StreamOptions> {
  // the chunk format (with fflate) loads only when --stream is given
  const { checkLabels, checkService } = await import('../formats/stream-chunk.js');
  const url = opts.stream!;
  if (!/^https?:\/\/[^/]+/i.test(url)) throw new CliError(`--stream must be the server's http:// or https:// URL, not "${url}"`, 2);
  const fail = (what: string): never => {
    throw new CliError(`--service/--label: ${what}`, 2);
  };
  const service = checkService(opts.service ?? defaultServiceOf(target), fail);
  const labels: Record<string, string> = {};
  for (const item of opts.label) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`--label must be key=value, not "${item}"`, 2);
    labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  checkLabels(labels, fail);
  const spoolDir = opts.streamSpool ?? join(defaultDataDir(), 'streams', `${service}-${process.pid}-${Date.now()}`);
  return {
    url,
    token: opts.token,
    service,
    labels,
    intervalMs: opts.interval,
    kind,
    spoolDir,
    maxBuffered: opts.streamBuffer,
    agentDir: dirname(agentPath()),
  };
}

export interface RunningStream {
  session: StreamSession;
  /** Ends the stream, prints one report line; false when chunks were lost or left unsent. Idempotent. */
  stop(): Promise<boolean>;
}

export async function startStream(
  options: StreamOptions,
  userSpool: boolean,
  out: NodeJS.WritableStream = process.stderr,
): Promise<RunningStream> {
  // the follower and sender (and the VMProf reader they use) load only when --stream is given
  const { StreamSession } = await import('../capture/stream/session.js');
  const session = new StreamSession(options);
  let stopped: Promise<boolean> | null = null;
  return {
    session,
    stop() {
      stopped ??= (async () => {
        const counts = await session.close(CLOSE_WAIT_MS);
        const problems: string[] = [];
        if (counts.buffered > 0)
          problems.push(`${counts.buffered} not delivered, kept in ${options.spoolDir} (${counts.lastError || 'server away'})`);
        if (counts.droppedFull > 0) problems.push(`${counts.droppedFull} dropped: the buffer was full (--stream-buffer)`);
        if (counts.rejected > 0) problems.push(`${counts.rejected} refused by the server (${counts.lastError})`);
        if (session.error) problems.push(`reading the profile failed: ${session.error}`);
        // PyPy's phases are extra: missing ones are said, not a failure of the stream.
        const said = [...problems, ...session.pypylogNotes];
        out.write(
          `pyrometer: streamed ${counts.sent} chunk${counts.sent === 1 ? '' : 's'} of ${options.service} to ${options.url}${counts.retries ? ` (${counts.retries} retries)` : ''}${said.length ? `; ${said.join('; ')}` : ''}\n`,
        );
        if (counts.buffered === 0) {
          // An empty buffer is not worth keeping (a --stream-spool directory keeps its sender id).
          try {
            if (!userSpool && readdirSync(options.spoolDir).every((n) => n === 'sender-id'))
              rmSync(options.spoolDir, { recursive: true, force: true });
          } catch {
            /* already gone */
          }
        }
        return problems.length === 0;
      })();
      return stopped;
    },
  };
}
