/**
 * The list of formats pyrometer reads and writes, and content sniffing.
 *
 * Each format module exports a `Format`; this file only lists them. Readers
 * here are pure (bytes in, Profile out) so the browser can use them too; the
 * Node-side loader (load.ts) adds files, gzip and streaming.
 */
import type { Profile } from '../model/profile.js';
import type { NativeSymbolSource } from './native-symbols.js';

export interface ReadOptions {
  /** The file name, when known: a hint for sniffing, never the only evidence. */
  fileName?: string;
  /**
   * Function symbols of native libraries named in the profile, read on this machine (the Node-side
   * loader passes one; the browser none): lets a V8 log name native frames by function.
   */
  nativeSymbols?: NativeSymbolSource;
}

export interface WriteOptions {
  /** Restrict to these threads (indices); all when absent. */
  threads?: number[];
  /** Told what the output could not hold (a writer's limits); the CLI prints it as a warning. */
  warn?: (message: string) => void;
  /** Format-specific knobs, e.g. DOT's node threshold. */
  [key: string]: unknown;
}

/** What names and recognises a format, without its reader (formats/catalog.ts loads readers from these). */
export interface FormatSignature {
  /** Short id used by `--to` and in messages, e.g. "vmprof", "pstats". */
  name: string;
  /** Human description for `--list-formats`. */
  description: string;
  /** File name endings, without the dot, most typical first. */
  extensions: string[];
  /** True when the first bytes (at most 64 KiB, already decompressed) look like this format. */
  sniff?(head: Uint8Array, fileName?: string): boolean;
}

export interface Format extends FormatSignature {
  read?(bytes: Uint8Array, options?: ReadOptions): Profile;
  /**
   * Streaming reader for formats whose files get huge (VMProf): consumes chunks
   * and keeps memory proportional to distinct stacks, not to input size.
   */
  readStream?(chunks: AsyncIterable<Uint8Array>, options?: ReadOptions): Promise<Profile>;
  write?(profile: Profile, options?: WriteOptions): Uint8Array | string;
  /**
   * The same output as `write`, in pieces, for outputs too big to hold as one
   * string (a Firefox JSON of a 300 MB VMProf file): `convert` writes each
   * piece to the file as it comes.
   */
  writeChunks?(profile: Profile, options?: WriteOptions): Iterable<Uint8Array | string>;
  /** The reader names native frames from ReadOptions.nativeSymbols: loaders fetch a source only for these. */
  readsNativeSymbols?: boolean;
}

const formats: Format[] = [];

/** Called by format modules' index (formats/all.ts) at import time. */
export function registerFormat(format: Format): void {
  if (formats.some((f) => f.name === format.name)) throw new Error(`format ${format.name} registered twice`);
  formats.push(format);
}

export function allFormats(): readonly Format[] {
  return formats;
}

export function formatByName(name: string): Format | undefined {
  return byName(formats, name);
}

/** The entry called `name` (or with that extension) in a list of formats or signatures. */
export function byName<T extends { name: string; extensions: string[] }>(list: readonly T[], name: string): T | undefined {
  const lower = name.toLowerCase();
  return list.find((f) => f.name === lower || f.extensions.includes(lower));
}

/** Picks the reader for some bytes: content first, then the file name as a tie-breaker. */
export function sniffFormat(head: Uint8Array, fileName?: string): Format | undefined {
  return pickBySniff(
    formats.filter((f) => f.read),
    head,
    fileName,
  );
}

/** The first of `list` whose sniff accepts the bytes; among several, the one the file name's extension names. */
export function pickBySniff<T extends FormatSignature>(list: readonly T[], head: Uint8Array, fileName?: string): T | undefined {
  const candidates = list.filter((f) => f.sniff && f.sniff(head, fileName));
  if (candidates.length <= 1 || !fileName) return candidates[0];
  const lower = fileName.toLowerCase().replace(/\.gz$/, '');
  return candidates.find((f) => f.extensions.some((e) => lower.endsWith(`.${e}`))) ?? candidates[0];
}

/** Picks the writer for an output file name (`out.speedscope.json`, `out.pb.gz`, ...). */
export function formatForOutputName(fileName: string): Format | undefined {
  const lower = fileName.toLowerCase();
  let best: Format | undefined;
  let bestLength = 0;
  for (const f of formats) {
    if (!f.write) continue;
    for (const e of f.extensions) {
      if (lower.endsWith(`.${e}`) && e.length > bestLength) {
        best = f;
        bestLength = e.length;
      }
    }
  }
  return best;
}
