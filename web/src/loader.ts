/**
 * Where profiles come from, in order of precedence:
 *  1. an HTML report: a <script id="pyrometer-data" type="application/json"> element holding
 *     {profiles: [{name, model (base64 of the serialized model), sources: {path: text}}]};
 *  2. the page's query: `?profile=URL` (repeatable; optional `&name=` and `&jitlog=URL` per
 *     profile, in order — the server's uploaded PyPy jitlog —, and `&source=URL-prefix`): the seam the
 *     profile server uses (`?profile=/api/v1/profiles/<id>/model`); the body may be the serialized
 *     model or any format pyrometer reads;
 *  3. the local view server: `api/profiles` lists the files given to `pyrometer view`;
 *  4. a file the user drops or picks, parsed here by the same pure format readers as the CLI.
 */
import type { Profile } from '../../src/model/profile.js';
import { deserializeProfile, isSerializedProfile } from '../../src/model/serialize.js';
import { parseJitlog } from '../../src/formats/jitlog/index.js';
import { gunzip, parseProfileBytes } from './parse.js';

export interface ProfileSource {
  name: string;
  load(): Promise<Profile>;
  /** Reads a source file the profile names; rejects with a reason a person can read. */
  readSource(path: string): Promise<string>;
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function decode(bytes: Uint8Array, name: string): Promise<Profile> {
  if (isSerializedProfile(bytes)) return deserializeProfile(bytes);
  return parseProfileBytes(bytes, name);
}

async function fetchSource(prefix: string | null, path: string): Promise<string> {
  if (!prefix) throw new Error('this page has no source server: open the profile with `pyrometer view` to see sources');
  const res = await fetch(prefix + encodeURIComponent(path));
  if (res.status === 404) throw new Error(`${path} is not a file this profile names`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  const body = (await res.json()) as { text?: string; unavailable?: string };
  if (typeof body.text === 'string') return body.text;
  throw new Error(body.unavailable ?? `${path} could not be read`);
}

export function reportSources(): ProfileSource[] | null {
  const el = document.getElementById('pyrometer-data');
  if (!el || !el.textContent) return null;
  const data = JSON.parse(el.textContent) as { profiles: { name: string; model: string; sources?: Record<string, string> }[] };
  return data.profiles.map((p) => ({
    name: p.name,
    load: async () => deserializeProfile(base64ToBytes(p.model)),
    readSource: async (path: string) => {
      const text = p.sources?.[path];
      if (text === undefined) throw new Error(`${path} was not included in this report (it was not readable when the report was made)`);
      return text;
    },
  }));
}

export function querySources(search: string): ProfileSource[] | null {
  const params = new URLSearchParams(search);
  const urls = params.getAll('profile');
  if (urls.length === 0) return null;
  const sourcePrefix = params.get('source');
  const names = params.getAll('name');
  const jitlogs = params.getAll('jitlog');
  return urls.map((url, i) => ({
    name: names[i] || url.split('?')[0].split('/').filter(Boolean).slice(-2).join('/') || url,
    load: async () => {
      const [profile, jitlog] = await Promise.all([decode(await fetchBytes(url), url), jitlogs[i] ? attachableJitlog(jitlogs[i]) : null]);
      if (!jitlog) return profile;
      return 'warning' in jitlog
        ? { ...profile, meta: { ...profile.meta, warnings: [...profile.meta.warnings, jitlog.warning] } }
        : { ...profile, attachments: { ...profile.attachments, jitlog: jitlog.log } };
    },
    readSource: (path: string) => fetchSource(sourcePrefix, path),
  }));
}

/** The jitlog at a URL (gzip or not), or why it could not be attached: the profile opens either way. */
async function attachableJitlog(url: string): Promise<{ log: ReturnType<typeof parseJitlog> } | { warning: string }> {
  try {
    let bytes = await fetchBytes(url);
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
    return { log: parseJitlog(bytes) };
  } catch (err) {
    return { warning: `the JIT log was not attached (${(err as Error).message})` };
  }
}

export async function serverSources(): Promise<ProfileSource[] | null> {
  let res: Response;
  try {
    res = await fetch('api/profiles');
  } catch {
    return null;
  }
  if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
  const list = (await res.json()) as { name: string; model: string; source: string }[];
  return list.map((p) => ({
    name: p.name,
    load: async () => decode(await fetchBytes(p.model), p.name),
    readSource: (path: string) => fetchSource(p.source, path),
  }));
}

export function fileSource(file: File): ProfileSource {
  return {
    name: file.name,
    load: async () => parseProfileBytes(new Uint8Array(await file.arrayBuffer()), file.name),
    readSource: async () => {
      throw new Error('source is not available for a file opened in the browser (open it with `pyrometer view` instead)');
    },
  };
}
