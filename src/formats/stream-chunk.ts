/**
 * The stream chunk: what a running program sends to `pyrometer serve` every
 * `--interval` seconds (record/attach `--stream`), and what the continuous
 * store keeps. Pure (no Node APIs): the sender, the server and tests share it.
 *
 * Layout: gzip of one JSON object (media type `application/vnd.pyrometer.chunk`):
 *
 *   { "pyrometerChunk": 1,
 *     "service": "api", "labels": {"host": "h1", "pid": "123", ...},
 *     "from": 1764700000000, "until": 1764700010000,     ms since the epoch, from < until
 *     "unit": "samples" | "ms" | ..., "kind": "cpu" | "wall" | "",
 *     "sender": "3f0c…", "seq": 17,                         idempotency: a resent chunk is stored once
 *     "frames": ["main (app.py:10)", "work (app.py:3)"],   collapsed labels, each distinct label once
 *     "stacks": [[0, 1], [0]],                              root first, indices into frames
 *     "weights": [12, 3],                                   one per stack, > 0
 *     "markers": [{"name": "gc-minor", "start": 1764700000012.5,   optional: phases (PyPy's GC/JIT
 *                  "end": 1764700000013.1, "category": "gc", "depth": 0}] }   log sections) that ended in
 *                                                        [from, until], ms since the epoch
 *
 * Frames are collapsed (folded) labels, `name (file:line)`, with a category
 * annotation (`_[j]` JIT, `_[gc]`, `_[native]`, ...: see collapsed.ts) when the
 * frame's category is not what the bare label reads back as: the same text
 * Pyroscope's folded ingest carries and our collapsed reader splits back into
 * functions, so a stored stack is one string (labels joined by ';', which a
 * label never contains). gzip of this JSON is within a few percent of a binary
 * layout for real chunks (frame text dominates) and needs no schema to read.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { collapsedStacks } from './collapsed.js';
import { ProfileFormatError } from './errors.js';
import type { Profile } from '../model/profile.js';

export const STREAM_CHUNK_MEDIA_TYPE = 'application/vnd.pyrometer.chunk';
export const STREAM_CHUNK_VERSION = 1;
const FORMAT = 'stream-chunk';

/** Label keys and values: what Pyroscope allows, so series names survive a trip through either API. */
export const LABEL_KEY = /^[a-zA-Z_][a-zA-Z0-9_.]{0,63}$/;
export const MAX_LABEL_VALUE = 256;
export const MAX_LABELS = 32;
export const SERVICE_NAME = /^[a-zA-Z0-9_.\-/:]{1,128}$/;

/** At most this many markers in one chunk (a busy PyPy logs a few thousand GC steps a second). */
export const MAX_CHUNK_MARKERS = 100_000;
export const MARKER_CATEGORIES = ['gc', 'jit', 'other'] as const;
export type MarkerCategory = (typeof MARKER_CATEGORIES)[number];
export const MARKER_NAME = /^[A-Za-z0-9_.:\-]{1,64}$/;

/** A phase of the program (a PyPy GC step, a JIT compilation): ms since the epoch. */
export interface StreamMarker {
  name: string;
  start: number;
  end: number;
  category: MarkerCategory;
  /** Nesting level: 0 top-level, 1 inside one, ... */
  depth: number;
}

export interface StreamChunk {
  service: string;
  labels: Record<string, string>;
  from: number;
  until: number;
  unit: string;
  kind: string;
  sender: string;
  seq: number;
  frames: string[];
  stacks: number[][];
  weights: number[];
  /** Optional; absent in chunks from senders that have none (and in older ones). */
  markers?: StreamMarker[];
}

/** One stack of a chunk as the store keeps it: labels joined by ';', root first. */
export interface WeightedStack {
  stack: string;
  weight: number;
}

export function encodeChunk(chunk: StreamChunk): Uint8Array {
  const json = JSON.stringify({ pyrometerChunk: STREAM_CHUNK_VERSION, ...chunk });
  return gzipSync(new TextEncoder().encode(json), { level: 6 });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and checks a chunk; every problem is one ProfileFormatError naming what is wrong.
 * Gzip bytes are inflated here with no bound (fflate has none): a server inflates an untrusted
 * body itself first, under its limit (routes/stream.ts), and passes the JSON.
 */
export function decodeChunk(bytes: Uint8Array): StreamChunk {
  let text: string;
  try {
    text = utf8.decode(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
  } catch (err) {
    throw new ProfileFormatError(FORMAT, `not a gzip-compressed UTF-8 chunk (${(err as Error).message})`, 0);
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProfileFormatError(FORMAT, `the chunk is not valid JSON (${(err as Error).message})`, 0);
  }
  if (!value || typeof value !== 'object' || value.pyrometerChunk !== STREAM_CHUNK_VERSION) {
    throw new ProfileFormatError(
      FORMAT,
      `not a version ${STREAM_CHUNK_VERSION} pyrometer chunk (no "pyrometerChunk": ${STREAM_CHUNK_VERSION})`,
      0,
    );
  }
  const fail = (what: string): never => {
    throw new ProfileFormatError(FORMAT, what, 0);
  };
  const service = typeof value.service === 'string' ? value.service : fail('"service" must be a string');
  const labels = checkLabels(value.labels ?? {}, fail);
  const from = Number(value.from);
  const until = Number(value.until);
  if (!Number.isFinite(from) || !Number.isFinite(until) || from <= 0 || until < from)
    fail('"from" and "until" must be ms since the epoch with from <= until');
  // Plain loops: a server checks hundreds of frames and stacks per chunk, many chunks a second.
  if (!Array.isArray(value.frames)) fail('"frames" must be an array of strings');
  const frames = value.frames as unknown[];
  const cleanFrames = new Array<string>(frames.length);
  for (let f = 0; f < frames.length; f++) {
    const frame = frames[f];
    if (typeof frame !== 'string') fail('"frames" must be an array of strings');
    cleanFrames[f] = cleanFrame(frame as string);
  }
  const stacks = Array.isArray(value.stacks) ? (value.stacks as unknown[]) : fail('"stacks" must be an array');
  const weights = Array.isArray(value.weights) ? (value.weights as unknown[]) : fail('"weights" must be an array');
  if (stacks.length !== weights.length) fail('"stacks" and "weights" must have the same length');
  for (let i = 0; i < stacks.length; i++) {
    const s = stacks[i];
    if (!Array.isArray(s) || s.length === 0) fail(`stack ${i} must be a non-empty array of frame indices`);
    for (let j = 0; j < (s as unknown[]).length; j++) {
      const f = (s as unknown[])[j];
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || f >= frames.length)
        fail(`stack ${i} must be a non-empty array of frame indices`);
    }
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) fail(`weight ${i} must be a number >= 0`);
  }
  checkService(service, fail);
  const seq = value.seq === undefined ? 0 : Number(value.seq);
  if (!Number.isSafeInteger(seq) || seq < 0) fail('"seq" must be a whole number >= 0');
  const sender = value.sender === undefined ? '' : String(value.sender);
  if (sender.length > 64) fail('"sender" is longer than 64 characters');
  const markers = value.markers === undefined ? undefined : checkMarkers(value.markers, fail);
  return {
    service,
    labels,
    from,
    until,
    unit: typeof value.unit === 'string' ? value.unit : 'samples',
    kind: typeof value.kind === 'string' ? value.kind : '',
    sender,
    seq,
    frames: cleanFrames,
    stacks: stacks as number[][],
    weights: weights as number[],
    ...(markers ? { markers } : {}),
  };
}

function checkMarkers(value: unknown, fail: (what: string) => never): StreamMarker[] {
  if (!Array.isArray(value)) fail('"markers" must be an array');
  const list = value as unknown[];
  if (list.length > MAX_CHUNK_MARKERS) fail(`at most ${MAX_CHUNK_MARKERS} markers in a chunk, found ${list.length}`);
  return list.map((m, i) => {
    const o = (m && typeof m === 'object' ? m : fail(`marker ${i} must be an object`)) as Record<string, unknown>;
    const name =
      typeof o.name === 'string' && MARKER_NAME.test(o.name) ? o.name : fail(`marker ${i}: "name" must be 1-64 letters, digits or _ . : -`);
    const { start, end } = o;
    if (
      typeof start !== 'number' ||
      typeof end !== 'number' ||
      !Number.isFinite(start) ||
      !Number.isFinite(end) ||
      start <= 0 ||
      end < start
    )
      fail(`marker ${i}: "start" and "end" must be ms since the epoch with start <= end`);
    const category = MARKER_CATEGORIES.includes(o.category as MarkerCategory)
      ? (o.category as MarkerCategory)
      : fail(`marker ${i}: "category" must be one of ${MARKER_CATEGORIES.join(', ')}`);
    const depth = o.depth === undefined ? 0 : o.depth;
    if (!Number.isInteger(depth) || (depth as number) < 0 || (depth as number) > 1000)
      fail(`marker ${i}: "depth" must be a whole number from 0 to 1000`);
    return { name, start: start as number, end: end as number, category, depth: depth as number };
  });
}

export function checkService(service: string, fail: (what: string) => never): string {
  if (!SERVICE_NAME.test(service))
    fail(`the service name ${JSON.stringify(service.slice(0, 80))} must be 1-128 letters, digits or _ . - / :`);
  return service;
}

export function checkLabels(labels: unknown, fail: (what: string) => never): Record<string, string> {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) fail('"labels" must be an object of strings');
  const out: Record<string, string> = {};
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > MAX_LABELS) fail(`at most ${MAX_LABELS} labels`);
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k))
      fail(`label key ${JSON.stringify(k.slice(0, 80))} must be a letter or _ then letters, digits, _ or . (at most 64)`);
    if (typeof v !== 'string' || v.length > MAX_LABEL_VALUE) fail(`label ${k} must be a string of at most ${MAX_LABEL_VALUE} characters`);
    out[k] = v as string;
  }
  return out;
}

/** A frame label as stored: ';' separates frames and line breaks separate stacks, so neither may be inside one. */
export function cleanFrame(label: string): string {
  if (label === '') return '[unknown]';
  return FRAME_SEPARATORS.test(label) ? label.replace(/[;\r\n]/g, ' ') : label;
}
const FRAME_SEPARATORS = /[;\r\n]/;

/** The chunk's stacks as stored: `a;b;c` text and weight, identical stacks summed, zero weights dropped. */
export function chunkStacks(chunk: StreamChunk): WeightedStack[] {
  const sums = new Map<string, number>();
  for (let i = 0; i < chunk.stacks.length; i++) {
    const w = chunk.weights[i];
    if (!(w > 0)) continue;
    const text = chunk.stacks[i].map((f) => chunk.frames[f]).join(';');
    sums.set(text, (sums.get(text) ?? 0) + w);
  }
  return [...sums].map(([stack, weight]) => ({ stack, weight }));
}

/** Builds a chunk's frames/stacks/weights from weighted `a;b;c` stacks. */
export function chunkBody(stacks: Iterable<WeightedStack>): Pick<StreamChunk, 'frames' | 'stacks' | 'weights'> {
  const frames: string[] = [];
  const frameIndex = new Map<string, number>();
  const out: number[][] = [];
  const weights: number[] = [];
  for (const { stack, weight } of stacks) {
    if (!(weight > 0)) continue;
    out.push(
      stack.split(';').map((label) => {
        let i = frameIndex.get(label);
        if (i === undefined) {
          i = frames.length;
          frames.push(label);
          frameIndex.set(label, i);
        }
        return i;
      }),
    );
    weights.push(weight);
  }
  return { frames, stacks: out, weights };
}

/** Every stack of a profile with its summed weight (all threads), as stored: frame categories kept as label annotations. */
export function profileStacks(profile: Profile): WeightedStack[] {
  return collapsedStacks(profile, undefined, { categories: true });
}
