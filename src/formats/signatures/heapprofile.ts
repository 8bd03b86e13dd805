/** What identifies a V8 sampling heap profile, apart from its reader (formats/catalog.ts). */
export function sniffHeapProfile(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 16384));
  return /^\s*\{\s*"head"\s*:\s*\{/.test(text) && /"selfSize"\s*:/.test(text) && /"callFrame"\s*:/.test(text);
}

export const heapProfileSignature = {
  name: 'heapprofile',
  description: 'V8 sampling heap profile (.heapprofile from Chrome DevTools or node --heap-prof): allocated bytes per call path',
  extensions: ['heapprofile'],
  sniff: (head: Uint8Array) => sniffHeapProfile(head),
};
