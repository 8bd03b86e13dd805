/** Seeded mutations of real profile files, for the fuzz tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { projectRoot } from '../helpers.js';

/** Largest part of a fixture that is mutated: the rest is cut off (itself a mutation readers must survive). */
const MAX_BYTES = 96 * 1024;

/** Every profile file under test/fixtures and test/data (not programs or notes), gunzipped, at most MAX_BYTES. */
export function fuzzCorpus(): { name: string; bytes: Uint8Array }[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(py|md|sh|c|txt\.expected)$/.test(name) && statSync(path).size > 0) files.push(path);
    }
  };
  walk(join(projectRoot, 'test/fixtures'));
  walk(join(projectRoot, 'test/data'));
  return files.map((path) => {
    let bytes = readFileSync(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        /* keep it compressed */
      }
    }
    return { name: relative(projectRoot, path), bytes: new Uint8Array(bytes.subarray(0, MAX_BYTES)) };
  });
}

const INTERESTING = [0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x20, 0x3a, 0x3b, 0x28, 0x29, 0x5b, 0x7b, 0x22, 0x30, 0x39];

/** One to four random edits: bit flips, interesting bytes, cuts, duplicated or deleted chunks, inserted junk, blank runs. */
export function mutate(input: Uint8Array, random: () => number): Uint8Array {
  let bytes = Buffer.from(input);
  const at = () => Math.floor(random() * Math.max(1, bytes.length));
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const kind = Math.floor(random() * 8);
    if (bytes.length === 0) bytes = Buffer.from([INTERESTING[Math.floor(random() * INTERESTING.length)]]);
    if (kind === 0) {
      const i = at();
      bytes[i] ^= 1 << Math.floor(random() * 8);
    } else if (kind === 1) {
      bytes[at()] = INTERESTING[Math.floor(random() * INTERESTING.length)];
    } else if (kind === 2) {
      bytes = bytes.subarray(0, at());
    } else if (kind === 3) {
      const start = at();
      const chunk = bytes.subarray(start, start + 1 + Math.floor(random() * 256));
      const where = at();
      bytes = Buffer.concat([bytes.subarray(0, where), chunk, chunk, bytes.subarray(where)]);
    } else if (kind === 4) {
      const start = at();
      bytes = Buffer.concat([bytes.subarray(0, start), bytes.subarray(start + 1 + Math.floor(random() * 512))]);
    } else if (kind === 5) {
      const junk = Buffer.alloc(1 + Math.floor(random() * 64));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
      const where = at();
      bytes = Buffer.concat([bytes.subarray(0, where), junk, bytes.subarray(where)]);
    } else if (kind === 6) {
      const where = at();
      bytes = Buffer.concat([
        bytes.subarray(0, where),
        Buffer.alloc(1 + Math.floor(random() * 4096), random() < 0.5 ? 0x20 : 0x09),
        bytes.subarray(where),
      ]);
    } else {
      // Overwrite a little-endian word: lengths and counts in binary formats.
      const i = at();
      if (i + 4 <= bytes.length) bytes.writeUInt32LE(Math.floor(random() * 0xffffffff), i);
    }
  }
  return new Uint8Array(bytes);
}
