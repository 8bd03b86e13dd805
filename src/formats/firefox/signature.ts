/** What identifies a Firefox Profiler or gecko profile, apart from its reader (formats/catalog.ts). */
export function sniffFirefox(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  if (!/^\s*\{/.test(text)) return false;
  if (/"preprocessedProfileVersion"\s*:/.test(text)) return true;
  // Firefox DevTools' old performance panel: { "label", "duration", "markers", ... "profile": gecko }.
  if (/^\s*\{\s*"label"\s*:\s*"[^"]*"\s*,\s*"duration"\s*:\s*[\d.]+\s*,\s*"markers"\s*:/.test(text)) return true;
  // Gecko: a meta object and thread tables described by schemas.
  return /"meta"\s*:\s*\{/.test(text) && /"schema"\s*:\s*\{/.test(text) && /"(?:stackTable|frameTable|stringTable)"\s*:/.test(text);
}

export const firefoxSignature = {
  name: 'firefox',
  description: 'Firefox Profiler processed profile (open at profiler.firefox.com); reads the gecko format too',
  extensions: ['firefox.json', 'gecko.json'],
  sniff: (head: Uint8Array) => sniffFirefox(head),
};
