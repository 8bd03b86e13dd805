/** What identifies a pprof protobuf, apart from its reader and protobufjs (formats/catalog.ts). */
export function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i < start + 10; i++) {
    const b = bytes[i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  return null;
}

/** Plausibility check on the first bytes: a protobuf whose first field is a Profile field with a sane wire type. */
export function sniffPprof(head: Uint8Array, fileName?: string): boolean {
  if (head.length < 2) return false;
  const tag = head[0];
  const field = tag >> 3;
  const wire = tag & 7;
  // Fields 1-6 and 11 are length-delimited (2), 7-10 and 12-15 varints (0).
  const lengthDelimited = field === 1 || field === 2 || field === 3 || field === 4 || field === 5 || field === 6 || field === 11;
  const varint = field >= 7 && field <= 15 && field !== 11;
  if (!((lengthDelimited && wire === 2) || (varint && wire === 0))) return false;
  const named = !!fileName && /\.(pb|pprof|prof\.pb)(\.gz)?$|pprof/i.test(fileName);
  if (!named && head.length < 64) return false;
  // Decode a prefix without failing on truncation: every field we meet must be a known Profile field.
  let i = 0;
  let fields = 0;
  while (i < head.length && fields < 64) {
    const t = readVarint(head, i);
    if (!t) break;
    const f = Math.floor(t.value / 8);
    const w = t.value % 8;
    if (!Number.isInteger(f) || f < 1 || f > 15) return false;
    i = t.next;
    if (w === 0) {
      const v = readVarint(head, i);
      if (!v) break;
      i = v.next;
    } else if (w === 2) {
      const len = readVarint(head, i);
      if (!len) break;
      i = len.next + len.value;
    } else return false;
    fields++;
  }
  return fields >= 2 || named;
}

export const pprofSignature = {
  name: 'pprof',
  description: 'pprof protobuf profile (.pb.gz; Go pprof, Pyroscope, ddtrace)',
  extensions: ['pb.gz', 'pprof', 'pb'],
  sniff: (head: Uint8Array, fileName?: string) => sniffPprof(head, fileName),
};
