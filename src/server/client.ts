/**
 * The uploading side of pyrometer's own API, for `pyrometer upload` and
 * `pyrometer record --upload`: streams a profile file (never read whole into
 * memory), then its PyPy side files, then freezes the runtime.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';

export interface UploadTarget {
  /** The server's base URL, e.g. http://127.0.0.1:8000 */
  server: string;
  token?: string;
}

export interface UploadedProfile {
  id: string;
  url: string;
  shareUrl: string;
  samples: number;
  format: string;
  sideFiles: string[];
}

/** A server or network problem, already phrased for one line of output. */
export class UploadClientError extends Error {}

/** Side-file kind by name: `x.prof.jit` / `.jitlog` are PyPy jitlogs, `.pypylog` PYPYLOG output. */
export function sideFileKind(path: string): 'jitlog' | 'pypylog' | null {
  const lower = path.toLowerCase().replace(/\.gz$/, '');
  if (lower.endsWith('.jit') || lower.endsWith('.jitlog')) return 'jitlog';
  if (lower.endsWith('.pypylog')) return 'pypylog';
  return null;
}

/** The side files that sit beside a profile: `<file>.jit`, `<file>.jitlog`, `<file>.pypylog`, `<stem>.pypylog`. */
export function findSideFiles(profilePath: string): string[] {
  const stem = profilePath.replace(/\.(prof|vmprof)(\.gz)?$/i, '');
  const candidates = [`${profilePath}.jit`, `${profilePath}.jitlog`, `${profilePath}.pypylog`];
  if (stem !== profilePath) candidates.push(`${stem}.jit`, `${stem}.jitlog`, `${stem}.pypylog`);
  return [...new Set(candidates)].filter((p) => existsSync(p) && statSync(p).isFile());
}

function baseUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(server) ? server : `http://${server}`);
  } catch {
    throw new UploadClientError(`${server}: not a server URL (expected e.g. http://127.0.0.1:8000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UploadClientError(`${server}: only http:// and https:// servers are supported`);
  let text = url.toString();
  while (text.endsWith('/')) text = text.slice(0, -1); // not /\/+$/: quadratic on many slashes
  return text;
}

async function post(url: string, target: UploadTarget, path: string | null, fileName?: string): Promise<any> {
  const headers: Record<string, string> = {};
  if (target.token) headers.Authorization = `Token ${target.token}`;
  if (fileName) headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
  let body: BodyInit | undefined;
  if (path) {
    headers['Content-Length'] = String(statSync(path).size);
    body = Readable.toWeb(createReadStream(path)) as unknown as BodyInit;
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UploadClientError(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (!res.ok) {
    const reason = json && typeof json.error === 'string' ? json.error : text.slice(0, 200) || res.statusText;
    throw new UploadClientError(`the server refused the upload (HTTP ${res.status}): ${reason}`);
  }
  return json;
}

/**
 * A link the server sent, as a normalised http(s) URL (control characters percent-encoded by the
 * URL parser), or our own link to the profile: whatever a server answers, what we print cannot
 * drive the terminal.
 */
function profileLink(value: unknown, base: string, id: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    } catch {
      /* not a URL: our own link below */
    }
  }
  return `${base}/profiles/${encodeURIComponent(String(id))}`;
}

/** Uploads one profile with its side files; the runtime is frozen at the end. */
export async function uploadProfileFile(
  target: UploadTarget,
  file: string,
  options: { name?: string; sideFiles?: string[] } = {},
): Promise<UploadedProfile> {
  const base = baseUrl(target.server);
  const params = new URLSearchParams({ name: options.name ?? basename(file) });
  const profile = await post(`${base}/api/v1/profiles?${params}`, target, file, basename(file));
  const sideFiles: string[] = [];
  for (const side of options.sideFiles ?? []) {
    const kind = sideFileKind(side) ?? 'jitlog';
    await post(`${base}/api/v1/profiles/${encodeURIComponent(profile.id)}/attachments/${kind}`, target, side, basename(side));
    sideFiles.push(side);
  }
  await post(`${base}/api/v1/profiles/${encodeURIComponent(profile.id)}/freeze`, target, null);
  return {
    id: profile.id,
    url: profileLink(profile.url, base, profile.id),
    shareUrl: profileLink(profile.shareUrl, base, profile.id),
    samples: profile.samples,
    format: profile.format,
    sideFiles,
  };
}
