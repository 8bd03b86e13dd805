/**
 * VMProf profiles (`.prof`), written by vmprof-python on CPython and by PyPy's `_vmprof`.
 *
 * Layout (little-endian; a *word* is a C long: 8 bytes on 64-bit Unix, 4 on 32-bit and
 * on 64-bit Windows; an *addr* is a pointer, 8 bytes on Win64 even with 4-byte words):
 *
 *   static header   5 words: 0, 3, 0, period_usec, win64flag   (byte 4 == 3 -> 4-byte words,
 *                   else byte 8 == 3 -> 8-byte words; 4-byte words + win64flag 1 -> 8-byte addrs)
 *   then records, each a marker byte and a payload:
 *   0x05 HEADER      u8 0, u8 version, [u8 flags when version >= 4], u8 len, interpreter name
 *   0x04 INTERP_NAME legacy (pre-2016) stand-in for HEADER: u8 len, name; raw text may follow the trailer
 *   0x06 TIME_N_ZONE i64 seconds, i64 microseconds, 8 bytes zone            (start time)
 *   0x07 META        word klen, key, word vlen, value                       (-> meta.extra)
 *   0x01 STACKTRACE  word count (version 7: f64 sample time in s), word depth, addr[depth]
 *                    innermost first, [addr thread id when version >= 1], [addr RSS KiB when memory]
 *   0x02 VIRTUAL_IP  addr uid, word len, `py:func:firstline:file`
 *   0x08 NATIVE_SYM  addr, word len, `n:symbol:line:file` (also written for Python uids: 0x02 wins)
 *   0x03 TRAILER     [i64 s, i64 us, 8 bytes zone when version >= 5]         (stop time)
 *
 * Flags: MEMORY 1, LINES 2 (entries are (line, uid) pairs), NATIVE 4 (native frames are
 * `address | 1`), RPYTHON 8 or interpreter `pypy` (entries are (kind, value) pairs: CODE 1,
 * BLACKHOLE 2, JITTED 3, JITTING 4, GC 5, ASSEMBLER 6, NATIVE 7), REAL_TIME 16. Before version 4
 * the memory word exists iff version == 3.
 *
 * What the reader makes of it (parser.ts does the work, incrementally):
 * - `py:` names -> python functions (name, file, first line); `n:` -> native functions; an
 *   address nobody named -> `<unknown 0x...>`. Lines mode: the frame's line is the pair's line.
 * - PyPy: JITTED entries are frames of category `jit` of their Python function; the ASSEMBLER
 *   entry after them only says "machine code" and adds no frame (alone, it becomes a
 *   `<JIT code 0x...>` jit function). A CODE entry directly followed by a JITTED entry of the
 *   same code object is one call (the interpreter frame that entered the JIT loop), so they
 *   become one jit frame. GC -> `<GC>` (kind gc); BLACKHOLE and JITTING -> `<blackhole
 *   interpreter>` and `<JIT compiler>` (kind jit).
 * - Sample times: version 7 files carry them; otherwise sample i (counting all threads, in
 *   file order) is at i * period from the start, then spread evenly over the recorded
 *   duration when the file has start and stop times (sample-times.ts, meta.sampleTimes).
 *   The count word is the sample's weight (always 1 in real files).
 * - Memory mode: samples.rss (KiB) and a process-wide counter `RSS` (KiB).
 * - A file cut short (no trailer, half a record) keeps every complete record and says so
 *   in meta.warnings; anything else wrong is one ProfileFormatError with its byte offset.
 * - Files from pyrometer's own sampler (META sampler=pyrometer): pyrometer-meta.ts applies
 *   their META facts afterwards (idle frames, sample times from `ts:<n>`, process ids).
 *
 * Gzip: this module is pure (browser-safe) and reads uncompressed bytes; given gzip bytes it
 * says so. Compressed files and uploads are inflated by the Node loader (src/formats/load.ts:
 * loadProfile streams through zlib, loadProfileBytes inflates in memory) before they get here.
 */
import type { Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import type { Format } from '../registry.js';
import { VmprofParser } from './parser.js';
import { applySamplerMeta } from './pyrometer-meta.js';
import { spreadUntimedSamples } from './sample-times.js';
import { writeVmprof } from './write.js';
import { vmprofSignature } from './signature.js';

export { VmprofParser } from './parser.js';
export { parseCodeName } from './names.js';
export { sniffVmprof } from './signature.js';

/** Reads a whole (uncompressed) VMProf file. */
export function readVmprof(bytes: Uint8Array): Profile {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new ProfileFormatError('vmprof', 'uncompressed VMProf bytes (this is gzip: inflate it first)', 0);
  }
  const parser = new VmprofParser();
  parser.push(bytes);
  return spreadUntimedSamples(applySamplerMeta(parser.finish()));
}

/** Reads a VMProf file from chunks of any size; memory grows with distinct stacks, not with the file. */
export async function readVmprofStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Profile> {
  const parser = new VmprofParser();
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk[0] === 0x1f && chunk.length > 1 && chunk[1] === 0x8b) {
        throw new ProfileFormatError('vmprof', 'uncompressed VMProf bytes (this is gzip: inflate it first)', 0);
      }
      first = false;
    }
    parser.push(chunk);
  }
  return spreadUntimedSamples(applySamplerMeta(parser.finish()));
}

export const vmprofFormat: Format = {
  ...vmprofSignature,
  read: (bytes) => readVmprof(bytes),
  readStream: (chunks) => readVmprofStream(chunks),
  write: (profile, options) => writeVmprof(profile, options),
};
