/** Byte helpers shared by the loader and the streaming readers (browser-safe: no Node APIs). */

/** Concatenates chunks into one fresh Uint8Array (offset 0, its own buffer: readers may make DataViews of it). */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
