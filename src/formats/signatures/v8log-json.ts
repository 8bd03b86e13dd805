/** What identifies preprocessed V8 ticks, apart from their reader (formats/catalog.ts). */
export function sniffV8LogJson(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 16384));
  return /^\s*\{\s*"code"\s*:\s*\[/.test(text) && /"type"\s*:\s*"(?:SHARED_LIB|CPP|CODE|JS)"/.test(text);
}

export const v8LogJsonSignature = {
  name: 'v8log-json',
  description: 'node --prof-process --preprocess output (.v8log.json): resolved V8 ticks, as speedscope imports them',
  extensions: ['v8log.json'],
  sniff: (head: Uint8Array) => sniffV8LogJson(head),
};
