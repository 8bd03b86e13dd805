/** What identifies a PyPy JIT log, apart from its reader (formats/catalog.ts). */
export function sniffJitlog(head: Uint8Array): boolean {
  if (head.length < 8 || head[0] !== 0x1e) return false;
  const version = head[1] | (head[2] << 8);
  if (version < 1 || version > 64 || head[3] > 1) return false;
  const n = head[4] | (head[5] << 8) | (head[6] << 16) | (head[7] << 24);
  if (n < 0 || n > 64) return false;
  for (let i = 8; i < Math.min(head.length, 8 + n); i++) if (head[i] < 0x20 || head[i] > 0x7e) return false;
  // The op-name table follows the header.
  return head.length <= 8 + n || head[8 + n] === 0x12 || head[8 + n] === 0x1b;
}

export const jitlogSignature = {
  name: 'jitlog',
  description: 'PyPy JIT log (_jitlog / JITLOG=file): traces, operations, merge points, counters',
  extensions: ['jit', 'jitlog'],
  sniff: (head: Uint8Array) => sniffJitlog(head),
};
