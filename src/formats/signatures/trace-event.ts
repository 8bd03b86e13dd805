/** What identifies a Chrome trace, apart from its reader (formats/catalog.ts). */
/**
 * Trace files start with `[` or `{"traceEvents"` (or another key, then
 * traceEvents), and their first event has a phase.
 */
export function sniffTraceEvents(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 16384)).replace(/^\uFEFF/, '');
  if (/^\s*\[\s*\{/.test(text)) return /"ph"\s*:\s*"[A-Za-z]"/.test(text);
  if (/^\s*\{/.test(text)) return /"traceEvents"\s*:\s*\[/.test(text);
  return false;
}

export const traceEventSignature = {
  name: 'trace-event',
  description: 'Chrome Trace Event Format (chrome://tracing, Perfetto JSON, VizTracer, DevTools performance traces)',
  extensions: ['trace.json', 'trace'],
  sniff: (head: Uint8Array) => sniffTraceEvents(head),
};
