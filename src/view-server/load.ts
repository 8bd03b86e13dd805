/**
 * Reads the profile files given to `pyrometer view` / `pyrometer report`:
 * the serialized model (src/model/serialize.ts) directly, anything else
 * through the format readers (gzip undone first).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { basename } from 'node:path';
import type { Profile } from '../model/profile.js';
import { deserializeProfile, isSerializedProfile } from '../model/serialize.js';
import { sniffFormat } from '../formats/all.js';
import { UnknownFormatError } from '../formats/errors.js';

export async function readProfileFile(path: string): Promise<Profile> {
  let bytes: Uint8Array = new Uint8Array(await readFile(path));
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(gunzipSync(bytes));
  if (isSerializedProfile(bytes)) return deserializeProfile(bytes);
  const name = basename(path);
  const format = sniffFormat(bytes.subarray(0, 65536), name);
  if (!format || (!format.read && !format.readStream)) throw new UnknownFormatError(path);
  if (format.read) return format.read(bytes, { fileName: name });
  const data = bytes;
  async function* one(): AsyncIterable<Uint8Array> { yield data; }
  return format.readStream!(one(), { fileName: name });
}
