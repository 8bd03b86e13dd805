/** What identifies a pyinstrument session, apart from its reader (formats/catalog.ts). */
export function sniffPyinstrument(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  if (/^\s*\{/.test(text)) {
    if (/"frame_records"\s*:/.test(text) && /"start_call_stack"\s*:/.test(text)) return true;
    return /"root_frame"\s*:/.test(text) && /"sample_count"\s*:/.test(text);
  }
  return /^\s*<(?:!DOCTYPE|html)/i.test(text) && text.includes('pyinstrument');
}

export const pyinstrumentSignature = {
  name: 'pyinstrument',
  description: 'pyinstrument session (.pyisession), JSON output and HTML output (the embedded session)',
  extensions: ['pyisession', 'pyinstrument.json', 'pyinstrument.html'],
  sniff: (head: Uint8Array) => sniffPyinstrument(head),
};
