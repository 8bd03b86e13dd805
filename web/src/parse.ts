/**
 * Parses a profile file in the browser with the same pure readers the CLI
 * uses (src/formats/all.ts); gzip is undone with DecompressionStream.
 */
import type { Profile } from '../../src/model/profile.js';
import { sniffFormat } from '../../src/formats/all.js';
import { utf16ToUtf8 } from '../../src/formats/text-encoding.js';

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function parseProfileBytes(bytes: Uint8Array, name: string): Promise<Profile> {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  bytes = utf16ToUtf8(bytes);
  const format = sniffFormat(bytes.subarray(0, 65536), name);
  if (!format) throw new Error(`${name}: not a profile format pyrometer reads`);
  if (format.read) return format.read(bytes, { fileName: name });
  if (format.readStream) {
    const data = bytes;
    async function* one(): AsyncIterable<Uint8Array> {
      yield data;
    }
    return format.readStream(one(), { fileName: name });
  }
  throw new Error(`${name}: ${format.name} files cannot be read here`);
}
