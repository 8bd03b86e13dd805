/** What identifies callgrind output, apart from its reader (formats/catalog.ts). */
export function sniffCallgrind(head: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(head.subarray(0, 8192));
  if (/^\s*# callgrind format/.test(text)) return true;
  // Without the magic comment: a header with events: and the name lines of the body.
  return /^events:[ \t]*\S/m.test(text) && /^(fl|fn|ob)=/m.test(text) && !/^\s*[{[]/.test(text);
}

export const callgrindSignature = {
  name: 'callgrind',
  description: 'valgrind callgrind / cachegrind output (callgrind.out.<pid>), also xdebug profiles',
  extensions: ['callgrind', 'out', 'cachegrind'],
  sniff: (head: Uint8Array) => sniffCallgrind(head),
};
