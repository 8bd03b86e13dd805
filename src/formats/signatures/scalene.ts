/** What identifies Scalene's JSON profile, apart from its reader (formats/catalog.ts). */
export function sniffScalene(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  return (
    /^\s*\{/.test(text) && /"elapsed_time_sec"\s*:/.test(text) && /"(?:max_footprint_mb|growth_rate|n_cpu_percent_python)"\s*:/.test(text)
  );
}

export const scaleneSignature = {
  name: 'scalene',
  description: "Scalene's JSON profile: per-line CPU (Python, native, system) and memory",
  extensions: ['scalene.json'],
  sniff: (head: Uint8Array) => sniffScalene(head),
};
