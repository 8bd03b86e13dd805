/**
 * What identifies a VMProf file, apart from the reader: the loader recognises the format
 * `record` writes without loading any reader but this one (start-up of `info run.prof`, issue 18).
 */

/** True when the bytes start with a VMProf static header (words 0, 3, 0, period, 0|1) and a record. */
export function sniffVmprof(head: Uint8Array): boolean {
  let w: number;
  if (head.length >= 5 && head[4] === 3) w = 4;
  else if (head.length >= 9 && head[8] === 3) w = 8;
  else return false;
  if (head.length < 5 * w + 1) return false;
  for (let i = 0; i < 3 * w; i++) if (head[i] !== (i === w ? 3 : 0)) return false;
  const last = head[4 * w];
  for (let i = 1; i < w; i++) if (head[4 * w + i] !== 0) return false;
  if (last !== 0 && last !== 1) return false;
  const marker = head[5 * w];
  return marker >= 1 && marker <= 8;
}

export const vmprofSignature = {
  name: 'vmprof',
  description: 'VMProf profile (vmprof-python on CPython, PyPy _vmprof)',
  extensions: ['prof', 'vmprof'],
  sniff: (head: Uint8Array) => sniffVmprof(head),
};
