/** What identifies a speedscope file, apart from its reader (formats/catalog.ts). */
export function sniffSpeedscope(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  return /^\s*\{/.test(text) && text.includes('speedscope.app/file-format-schema.json');
}

export const speedscopeSignature = {
  name: 'speedscope',
  description: 'speedscope JSON (evented and sampled profiles; every thread a profile)',
  extensions: ['speedscope.json', 'speedscope'],
  sniff: (head: Uint8Array) => sniffSpeedscope(head),
};
