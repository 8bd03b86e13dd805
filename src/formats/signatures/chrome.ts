/** What identifies a Chrome / Node CPU profile, apart from its reader (formats/catalog.ts). */
export function sniffChrome(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 16384));
  if (/"traceEvents"\s*:/.test(text)) return false; // a trace: trace-event.ts
  // Key order varies (Node writes "nodes" first, sorted dumps start with "endTime").
  if (/^\s*\{/.test(text) && /"nodes"\s*:\s*\[/.test(text) && /"callFrame"\s*:/.test(text)) return true;
  // Legacy profiles; a .heapprofile has a head too, but its nodes carry selfSize.
  return /^\s*\{/.test(text) && /"head"\s*:\s*\{/.test(text) && /"functionName"\s*:/.test(text) && !/"selfSize"\s*:/.test(text);
}

export const chromeSignature = {
  name: 'chrome',
  description: 'Chrome / Node CPU profile (.cpuprofile, DevTools Profiler.Profile, legacy head/timestamps)',
  extensions: ['cpuprofile'],
  sniff: (head: Uint8Array) => sniffChrome(head),
};
