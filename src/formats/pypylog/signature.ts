/** What identifies a PyPy debug log, apart from its reader (formats/catalog.ts). */
export function sniffPypyLog(head: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(head.subarray(0, 1024));
  return /^\[[0-9a-fA-F]+\] \{[^\s{}]+\r?\n/.test(text);
}

export const pypylogSignature = {
  name: 'pypylog',
  description: 'PyPy debug log (PYPYLOG=...:file): GC and JIT sections as markers',
  extensions: ['pypylog', 'log'],
  sniff: (head: Uint8Array) => sniffPypyLog(head),
};
