/**
 * Builds the profile server's fastify app: vmprof's upload API, our /api/v1,
 * and the pages. Bodies are not parsed by fastify: every route gets the raw
 * request stream (a catch-all content-type parser hands it over) and either
 * streams it to the spool or reads a small bounded body. This is what lets the
 * vmprof client's quirks through (an empty body sent as application/json to
 * freeze, a profile with no Content-Type) and keeps uploads out of memory.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadError } from './ingest.js';
import { sendError, type AccessPolicy } from './http.js';
import { DEFAULT_TIMEOUTS, hostAllowed, hostPolicy, httpServerTimeouts, MISDIRECTED_MESSAGE, type ClientTimeouts } from '../net/guards.js';
import { buildModelInProcess, ProfileService } from './service.js';
import { ParsePool, type ParseLimits } from './parse-pool.js';
import type { Store } from './store/store.js';
import type { SeriesStore } from './series/store.js';
import { registerVmprofRoutes } from './routes/vmprof.js';
import { registerApiRoutes } from './routes/api.js';
import { defaultViewerDir, registerPageRoutes } from './routes/pages.js';
import { registerCompareRoutes } from './routes/compare.js';
import { registerStreamRoutes } from './routes/stream.js';
import { registerContinuousRoutes } from './routes/continuous.js';

export const DEFAULT_MAX_UPLOAD_BYTES = 512 << 20;
/** A runtime with no profile this long after `runtime/new` was abandoned by its client. */
export const ABANDONED_RUNTIME_MS = 24 * 3_600_000;
/** On a database other servers may share, a profile-less runtime this old at start-up is abandoned. */
export const RESTART_GRACE_MS = 10 * 60_000;

export interface ServerOptions {
  store: Store;
  /** Where uploads are spooled while they are received and parsed. Emptied at start. */
  spoolDir: string;
  maxUploadBytes?: number;
  /** Uploads and deletes need a token. */
  requireToken?: boolean;
  /** Listing and viewing need a token too (implies requireToken). */
  privateView?: boolean;
  /** The built viewer (web/dist); null shows summary pages; undefined finds it beside the package. */
  viewerDir?: string | null;
  /** Parse uploads in worker threads (default) or on the main thread. */
  parseInWorkers?: boolean;
  /** Time and memory a parse may use, and how many run at once (parse-pool.ts). */
  parseLimits?: Partial<ParseLimits>;
  logger?: boolean;
  /** The address it will listen on: a loopback one answers only loopback Host names (DNS rebinding). Default 127.0.0.1. */
  bindHost?: string;
  /** More Host names to answer to (a tunnel's or proxy's name). */
  allowedHosts?: string[];
  /** How long a client may take (slow clients are cut off and their spool files removed). */
  timeouts?: Partial<ClientTimeouts>;
  /** Continuous profiling: streamed chunks, Pyroscope's /ingest and the query API. Off when absent. */
  seriesStore?: SeriesStore;
}

export async function buildApp(options: ServerOptions): Promise<FastifyInstance> {
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const timeouts: ClientTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const policy: AccessPolicy = {
    requireToken: Boolean(options.requireToken || options.privateView),
    privateView: Boolean(options.privateView),
  };
  await mkdir(options.spoolDir, { recursive: true, mode: 0o700 });
  // Whatever a killed server left half-received is garbage now (nothing in it was ever stored).
  for (const entry of await readdir(options.spoolDir)) await rm(join(options.spoolDir, entry), { recursive: true, force: true });

  const app = Fastify({
    logger: options.logger ? { level: 'info' } : false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    bodyLimit: maxUploadBytes,
    // A profile of a long run takes a while over a slow link, so the whole-request limit is generous;
    // a client that stops sending is cut off much sooner.
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    http: httpServerTimeouts(timeouts),
  });
  const hosts = hostPolicy(options.bindHost ?? '127.0.0.1', options.allowedHosts);
  app.addHook('onRequest', async (request, reply) => {
    // app.inject() (tests, in-process callers) has no network socket and so no port: nothing to rebind
    const port = request.socket.localPort;
    if (port !== undefined && !hostAllowed(hosts, request.headers.host, port)) return sendError(reply, 421, MISDIRECTED_MESSAGE);
  });
  // The idle limit counts only while the client is sending: a long parse is not the client's silence.
  // (app.inject()'s requests have a stand-in socket without timers: nothing to limit there.)
  const idleLimit = (socket: { setTimeout?: unknown }, ms: number) => {
    if (typeof socket.setTimeout === 'function') (socket as import('node:net').Socket).setTimeout(ms);
  };
  app.addHook('onRequest', async (request) => {
    const sendsBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    idleLimit(request.raw.socket, sendsBody ? timeouts.idleMs : 0);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    payload.once('end', () => idleLimit(request.raw.socket, 0));
    done(null, payload);
  });

  const pool = options.parseInWorkers === false ? null : new ParsePool(options.parseLimits);
  if (pool) app.addHook('onClose', async () => pool.close());
  const service = new ProfileService(options.store, options.spoolDir, maxUploadBytes, pool ? pool.build : buildModelInProcess);

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof UploadError) return sendError(reply, err.statusCode, err.message);
    const status = (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, status, (err as Error).message);
    request.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal server error (see the server log)');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`));

  // Runtimes a vmprof client created but never filled: gone after a day, checked at start and hourly.
  const sweep = (before = Date.now() - ABANDONED_RUNTIME_MS) =>
    options.store.deleteAbandonedRuntimes(before).catch((err) => app.log.warn({ err }, 'sweeping abandoned runtimes failed'));
  // At start, a runtime with no profile is an upload a killed server was receiving: its client got
  // no answer and starts over. An SQLite file has one server; a PostgreSQL database may be shared by
  // several, so there only runtimes older than a few minutes (any live upload is newer) go at once.
  await sweep(options.store.kind === 'sqlite' ? Date.now() : Date.now() - RESTART_GRACE_MS);
  const sweeper = setInterval(() => sweep(), 3_600_000);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  registerVmprofRoutes(app, service, policy);
  registerApiRoutes(app, service, policy);
  const viewerDir = options.viewerDir === undefined ? defaultViewerDir() : options.viewerDir;
  registerPageRoutes(app, service, policy, viewerDir);
  registerCompareRoutes(app, service, policy, viewerDir);
  const series = options.seriesStore;
  if (series) {
    registerStreamRoutes(app, service, policy, series);
    registerContinuousRoutes(app, service, policy, series);
    // Rows past their resolution's retention: dropped at start and hourly.
    const expire = () => series.expire(Date.now()).catch((err) => app.log.warn({ err }, 'expiring continuous data failed'));
    await expire();
    const expirer = setInterval(expire, 3_600_000);
    expirer.unref();
    app.addHook('onClose', async () => clearInterval(expirer));
  }
  return app;
}
