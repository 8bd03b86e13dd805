/**
 * `pyrometer serve`: the profile server (vmprof.com's replacement). SQLite in
 * a data directory by default, PostgreSQL with `--db postgres://…`; the real
 * vmprof client uploads to it unchanged.
 */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { defaultDataDir, isPostgresUrl, openStore } from '../server/store/open.js';
import { DEFAULT_RETENTION_MS } from '../server/series/store.js';

/** "512MB", "1G", "300k", "1048576" -> bytes (binary units: 1 MB = 1 MiB, as people mean for limits). */
export function parseSize(value: string, option = '--max-upload'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new CliError(`${option} must be a size like 512MB or 2G, not "${value}"`, 2);
  const scale = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.floor(Number(m[1]) * scale);
  if (bytes < 1024) throw new CliError(`${option} must be at least 1KB`, 2);
  return bytes;
}

/** "30d", "12h", "90m", "2w" -> ms. */
export function parseDuration(value: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$/i.exec(value);
  if (!m) throw new CliError(`${option} must be a duration like 30d, 12h or 2w, not "${value}"`, 2);
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2].toLowerCase() as 'm' | 'h' | 'd' | 'w'];
  if (ms < 3_600_000) throw new CliError(`${option} must be at least 1h`, 2);
  return ms;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, not "${value}"`, 2);
  return n;
}

export interface StoreCliOptions {
  db?: string;
  data?: string;
}

/** The --db/--data pair every store-using command takes. */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--db <file|url>', 'SQLite database file, or a postgres:// URL (default: <data>/pyrometer.db; env PYROMETER_DB)')
    .option('--data <dir>', 'data directory: SQLite database and upload spool (default: ~/.local/share/pyrometer; env PYROMETER_DATA)');
}

export async function openCliStore(options: StoreCliOptions) {
  try {
    return await openStore({ db: options.db, dataDir: options.data });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = options.db && isPostgresUrl(options.db) ? 'PostgreSQL' : 'the database';
    throw new CliError(`cannot open ${where}: ${e.message}`);
  }
}

export const registerServe: RegisterCommand = (program: Command) => {
  addStoreOptions(
    program
      .command('serve')
      .description("run the profile server: a team's profile list and viewer; the vmprof client (--web) uploads to it unchanged")
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port to listen on', parsePort, 8000),
  )
    .addOption(
      new Option('--max-upload <size>', 'largest upload accepted, after decompression (default: 512MB)').argParser((v) => parseSize(v)),
    )
    .option('--require-token', 'uploads and deletes need a token (`pyrometer token create`)')
    .option('--private', 'viewing needs a token too (implies --require-token)')
    .option(
      '--allow-host <name>',
      "also answer requests addressed to this host name (a proxy's or tunnel's); repeatable. On a loopback --host only loopback names are answered, to stop DNS rebinding",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      '--store <file|url>',
      'continuous profiling store: clickhouse://host:8123/db[?cluster=NAME], or an SQLite file (default: the --db SQLite file)',
    )
    .addOption(
      new Option('--retention <duration>', 'keep streamed profiles this long (10 s detail for 1 day, 1 min for 8 days, 1 h after)')
        .argParser((v) => parseDuration(v, '--retention'))
        .default(DEFAULT_RETENTION_MS, '30d'),
    )
    .option('--log', 'log every request')
    .action(
      async (
        opts: StoreCliOptions & {
          host: string;
          port: number;
          maxUpload?: number;
          requireToken?: boolean;
          private?: boolean;
          log?: boolean;
          allowHost: string[];
          store?: string;
          retention: number;
        },
      ) => {
        const dataDir = opts.data ?? defaultDataDir();
        const store = await openCliStore({ db: opts.db, data: dataDir });
        // the continuous store's drivers load with this command only
        const { isClickHouseUrl, openSeriesStore } = await import('../server/series/open.js');
        let seriesStore;
        try {
          seriesStore = await openSeriesStore({
            store: opts.store,
            profileDb: store.kind === 'sqlite' ? store.location : undefined,
            dataDir,
            retentionMs: opts.retention,
          });
        } catch (err) {
          await store.close();
          const where = opts.store && isClickHouseUrl(opts.store) ? 'ClickHouse' : 'the continuous store';
          throw new CliError(
            `cannot open ${where}: ${(err as Error).message}${where === 'ClickHouse' ? ' (is clickhouse-server running? see scripts/clickhouse/)' : ''}`,
          );
        }
        // fastify and the server's routes are loaded by this command only (start-up of every other command)
        const { buildApp } = await import('../server/app.js');
        const app = await buildApp({
          seriesStore,
          store,
          spoolDir: join(dataDir, 'spool'),
          maxUploadBytes: opts.maxUpload,
          requireToken: opts.requireToken,
          privateView: opts.private,
          logger: Boolean(opts.log),
          bindHost: opts.host,
          allowedHosts: opts.allowHost,
        });
        let address: string;
        try {
          address = await app.listen({ host: opts.host, port: opts.port });
        } catch (err) {
          await store.close();
          await seriesStore.close();
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EADDRINUSE') throw new CliError(`port ${opts.port} is already in use on ${opts.host} (pick another with --port)`);
          if (e.code === 'EACCES') throw new CliError(`not allowed to listen on port ${opts.port}`);
          if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
            throw new CliError(`cannot listen on ${opts.host}: no such local address`);
          throw err;
        }
        const url = address.replace('://[::1]', '://localhost');
        const out = process.stdout;
        out.write(`pyrometer: serving profiles at ${url}  (${store.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ${store.location})\n`);
        out.write(`  upload:  pyrometer upload FILE --server ${url}\n`);
        out.write(`  vmprof:  python -m vmprof --web --web-url ${url} app.py\n`);
        out.write(
          `  stream:  pyrometer record --stream ${url} --service NAME -- python3 app.py   (streams kept in ${seriesStore.kind === 'sqlite' ? 'SQLite' : 'ClickHouse'} ${seriesStore.location})\n`,
        );
        const loopback = /^(127\.|::1$|localhost$)/.test(opts.host);
        if (!loopback && !opts.requireToken && !opts.private) {
          process.stderr.write(
            'pyrometer: warning: listening beyond this machine without --require-token: anyone who can reach it can upload and delete\n',
          );
        }
        out.write('Press Ctrl-C to stop.\n');
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void app
              .close()
              .then(() => store.close())
              .then(() => seriesStore.close())
              .then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
};
