/** What identifies line_profiler's .lprof, apart from its reader (formats/catalog.ts). */
/** The `pickletools`-style check that bytes start like a pickle: PROTO 2..5, or a protocol-0/1 opening opcode. */
export function looksLikePickle(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

export function sniffLprof(head: Uint8Array): boolean {
  if (!looksLikePickle(head)) return false;
  // The class name is near the start: "line_profiler" then "LineStats".
  const text = new TextDecoder('latin1').decode(head.subarray(0, 256));
  return text.includes('line_profiler') && text.includes('LineStats');
}

export const lprofSignature = {
  name: 'lprof',
  description: "line_profiler's .lprof (a pickle of per-line hits and times; read safely, nothing is run)",
  extensions: ['lprof'],
  sniff: (head: Uint8Array) => sniffLprof(head),
};
