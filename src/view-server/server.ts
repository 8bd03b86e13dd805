/**
 * The local server behind `pyrometer view`: bound to 127.0.0.1, it serves the
 * viewer, the loaded profiles (serialized model) and the source files those
 * profiles name — nothing else. Source paths must match one of the profile's
 * file strings exactly, so no path built by a client (`../../etc/passwd`)
 * ever reaches the file system, and must look like source code (a profile
 * naming a key file as a "file" gets nothing). Requests whose Host is not this loopback
 * address are refused (a defence against DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Profile } from '../model/profile.js';
import { serializeProfile, SERIALIZED_MODEL_MEDIA_TYPE } from '../model/serialize.js';
import { mediaTypeOf, readViewerAsset, VIEWER_ASSETS, type ViewerAsset } from '../assets/viewer.js';
import { isSourceFileName, profileFiles } from '../model/source-files.js';
import { readSourceFile } from '../assets/source-file.js';
import { DEFAULT_TIMEOUTS, hostAllowed, hostPolicy, httpServerTimeouts } from '../net/guards.js';

export interface ViewedProfile {
  name: string;
  profile: Profile;
  /** Where the profile's relative file names are looked up: its file's directory (none: not read). */
  sourceDir?: string;
}

export interface ViewServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Source files larger than this are not served (a profile names source, not data files). */
const MAX_SOURCE_BYTES = 8 << 20;

export async function startViewServer(profiles: ViewedProfile[], options: { port?: number; host?: string } = {}): Promise<ViewServer> {
  const host = options.host ?? '127.0.0.1';
  // Serialized up front: the CLI has parsed the files anyway, and the browser's first request
  // should not wait for it (it is most of a big profile's time to first paint otherwise).
  const models = profiles.map((p) => serializeProfile(p.profile));
  const files = profiles.map((p) => profileFiles(p.profile));
  const assets = new Map<ViewerAsset, string>();
  for (const name of VIEWER_ASSETS) assets.set(name, readViewerAsset(name));
  let port = 0;
  const hosts = hostPolicy(host);

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array): void => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(body);
  };
  const notFound = (res: ServerResponse, what = 'not found'): void => send(res, 404, 'text/plain; charset=utf-8', `${what}\n`);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(hosts, req.headers.host, port)) return send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const path = url.pathname;
    if (path === '/' || path === '/index.html') return send(res, 200, mediaTypeOf('index.html'), assets.get('index.html')!);
    if (path === '/app.js' || path === '/app.css') {
      const name = path.slice(1) as ViewerAsset;
      return send(res, 200, mediaTypeOf(name), assets.get(name)!);
    }
    if (path === '/api/profiles') {
      const list = profiles.map((p, i) => ({ name: p.name, model: `api/profiles/${i}/model`, source: `api/profiles/${i}/source?path=` }));
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(list));
    }
    const m = /^\/api\/profiles\/(\d{1,6})\/(model|source)$/.exec(path);
    if (!m) return notFound(res);
    const index = Number(m[1]);
    if (index >= profiles.length) return notFound(res, 'no such profile');
    if (m[2] === 'model') {
      return send(res, 200, SERIALIZED_MODEL_MEDIA_TYPE, models[index]);
    }
    // Source: JSON {path, text} or {path, unavailable: reason}. A path the profile does not name is a 404.
    const file = url.searchParams.get('path') ?? '';
    if (!files[index].has(file)) return notFound(res, 'this file is not named by the profile');
    const json = (body: object) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ path: file, ...body }));
    const read = await readSourceFile(file, profiles[index].sourceDir, MAX_SOURCE_BYTES, isSourceFileName);
    return 'text' in read ? json({ text: read.text }) : json(read);
  };

  const server: Server = createServer(httpServerTimeouts(DEFAULT_TIMEOUTS), (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.setTimeout(DEFAULT_TIMEOUTS.idleMs);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
