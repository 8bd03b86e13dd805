/**
 * VMProf's record markers, header flags and PyPy's stack entry tags (the layout is in index.ts),
 * and a record-level walk over files this machine just wrote (8-byte words and addresses,
 * little-endian). The walk is for rewriting files, not reading profiles: `record` strips the
 * agent's frames from PyPy profiles (capture/strip-agent.ts) and merges child processes into
 * one profile (capture/merge.ts); bench:overhead reads the sampler's META from it.
 */
export const MARKER_STACKTRACE = 0x01;
export const MARKER_VIRTUAL_IP = 0x02;
export const MARKER_TRAILER = 0x03;
export const MARKER_INTERP_NAME = 0x04;
export const MARKER_HEADER = 0x05;
export const MARKER_TIME_N_ZONE = 0x06;
export const MARKER_META = 0x07;
export const MARKER_NATIVE_SYMBOLS = 0x08;

export const FLAG_MEMORY = 0x01;
export const FLAG_LINES = 0x02;
export const FLAG_NATIVE = 0x04;
export const FLAG_RPYTHON = 0x08;
export const FLAG_REAL_TIME = 0x10;

export const TAG_CODE = 1;
export const TAG_BLACKHOLE = 2;
export const TAG_JITTED = 3;
export const TAG_JITTING = 4;
export const TAG_GC = 5;
export const TAG_ASSEMBLER = 6;
export const TAG_NATIVE = 7;

/** vmprof-python refuses deeper stacks too; a larger depth word means a corrupt file. */
export const MAX_DEPTH = 1 << 16;

export const utf8 = new TextDecoder('utf-8');

export interface Walk {
  /** Byte ranges of records, in order, with the marker. */
  records: { marker: number; start: number; end: number }[];
  memory: boolean;
  lines: boolean;
  rpython: boolean;
  flags: number;
  version: number;
}

export function walkRecords(bytes: Uint8Array, onName: (uid: bigint, name: string) => void = () => {}): Walk | null {
  if (bytes.length < 40) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getBigInt64(8, true) !== 3n) return null; // not 8-byte words
  const records: Walk['records'] = [];
  let memory = false;
  let rpython = false;
  let lines = false;
  let flagBits = 0;
  let version = 0;
  let pos = 40;
  while (pos < bytes.length) {
    const start = pos;
    const marker = bytes[pos++];
    const need = (n: number) => pos + n <= bytes.length;
    switch (marker) {
      case MARKER_HEADER: {
        if (!need(3)) return finish();
        version = (bytes[pos] << 8) | bytes[pos + 1];
        pos += 2;
        if (version >= 4) {
          const flags = bytes[pos++];
          flagBits = flags;
          memory = (flags & FLAG_MEMORY) !== 0;
          lines = (flags & FLAG_LINES) !== 0;
          rpython = (flags & FLAG_RPYTHON) !== 0;
        } else memory = version === 3;
        const len = bytes[pos++];
        if (!need(len)) return finish();
        const name = utf8.decode(bytes.subarray(pos, pos + len));
        if (name === 'pypy') rpython = true;
        pos += len;
        break;
      }
      case MARKER_TIME_N_ZONE:
      case MARKER_TRAILER:
        if (!need(24)) return finish();
        pos += 24;
        break;
      case MARKER_META: {
        if (!need(8)) return finish();
        const klen = Number(view.getBigInt64(pos, true));
        pos += 8 + klen;
        if (!need(8)) return finish();
        const vlen = Number(view.getBigInt64(pos, true));
        pos += 8 + vlen;
        break;
      }
      case MARKER_VIRTUAL_IP:
      case MARKER_NATIVE_SYMBOLS: {
        if (!need(16)) return finish();
        const uid = view.getBigInt64(pos, true);
        const len = Number(view.getBigInt64(pos + 8, true));
        pos += 16;
        if (len < 0 || !need(len)) return finish();
        if (marker === MARKER_VIRTUAL_IP) onName(uid, utf8.decode(bytes.subarray(pos, pos + len)));
        pos += len;
        break;
      }
      case MARKER_STACKTRACE: {
        if (!need(16)) return finish();
        const depth = Number(view.getBigInt64(pos + 8, true));
        if (depth < 0 || depth > MAX_DEPTH) return null;
        pos += 16 + depth * 8 + (version >= 1 ? 8 : 0) + (memory ? 8 : 0);
        break;
      }
      default:
        return null; // something we do not know: leave the file alone
    }
    if (pos > bytes.length) return finish();
    records.push({ marker, start, end: pos });
    if (marker === MARKER_TRAILER) break;
  }
  return finish();

  function finish(): Walk {
    return { records, memory, lines, rpython, flags: flagBits, version };
  }
}

/** The key and value of the META record at `start`. */
export function readMeta(bytes: Uint8Array, start: number): [string, string] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const klen = Number(view.getBigInt64(start + 1, true));
  const key = utf8.decode(bytes.subarray(start + 9, start + 9 + klen));
  const vlen = Number(view.getBigInt64(start + 9 + klen, true));
  const value = utf8.decode(bytes.subarray(start + 17 + klen, start + 17 + klen + vlen));
  return [key, value];
}

/** Every META record of a walked file, key to value. */
export function metas(bytes: Uint8Array, walk: Walk): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of walk.records)
    if (r.marker === MARKER_META) {
      const [k, v] = readMeta(bytes, r.start);
      out.set(k, v);
    }
  return out;
}
