/** Byte helpers the readers and `record`'s file rewriting share. */

/** The parts one after another in one fresh Uint8Array (offset 0, its own buffer: readers may make DataViews of it). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
