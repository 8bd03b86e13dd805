/** What identifies cProfile statistics, apart from their reader (formats/catalog.ts). */
/**
 * A marshalled dict ('{', 0x7b, or 0xfb with the reference flag) whose first key
 * is a 3-tuple starting with a string: `{` `)` 3 <string type>, or the long tuple
 * form `{` `(` int32 3 <string type>. An empty stats dict is just `{0`.
 */
export function sniffPstats(head: Uint8Array): boolean {
  if (head.length < 2 || (head[0] !== 0x7b && head[0] !== 0xfb)) return false;
  if (head[1] === 0x30) return head.length === 2;
  const tuple = head[1] & 0x7f;
  let filenameAt: number;
  if (tuple === 0x29 /* ) */) {
    if (head.length > 2 && head[2] !== 3) return false;
    filenameAt = 3;
  } else if (tuple === 0x28 /* ( */) {
    if (head.length >= 6 && (head[2] !== 3 || head[3] !== 0 || head[4] !== 0 || head[5] !== 0)) return false;
    filenameAt = 6;
  } else {
    return false;
  }
  if (head.length <= filenameAt) return true;
  // The filename: any string type (u, a, t, A, z, Z, s), with or without the reference flag.
  return 'uatAzZs'.includes(String.fromCharCode(head[filenameAt] & 0x7f));
}

export const pstatsSignature = {
  name: 'pstats',
  description: 'cProfile / profile statistics (marshal dict, python -m cProfile -o)',
  extensions: ['pstats', 'cprof', 'cprofile'],
  sniff: (head: Uint8Array) => sniffPstats(head),
};
