/**
 * Takes pyrometer's own frames out of a profile written by PyPy's `_vmprof`.
 *
 * `_vmprof` samples the whole stack, so every sample of the main thread starts with PyPy's
 * start-up frames and the agent's (`pyrometer_agent.py <module>` → `main` → `_run_user_code`)
 * before the program's `<module>`. The program's stacks must look as if it ran alone, the way
 * our CPython sampler writes them: every entry from the root up to `_run_user_code` (or
 * runpy's `_run_code`, for directories and zip files) is dropped, and samples taken while
 * only agent code ran (start-up, shutdown) are dropped whole. Other threads' stacks never
 * contain agent frames and are copied as they are.
 *
 * Works at the record level (the layout is in ../formats/vmprof/index.ts) on the files this
 * machine's PyPy just wrote: 8-byte words and addresses. Anything else is left untouched
 * (returns null).
 */
import { parseCodeName } from '../formats/vmprof/names.js';
import { MARKER_STACKTRACE, TAG_CODE, TAG_JITTED, walkRecords } from '../formats/vmprof/records.js';
import { concatBytes } from '../formats/bytes.js';

/** The stripped file, or null when there was nothing to strip or the file is not one we know. */
export function stripAgentFrames(bytes: Uint8Array, agentDir: string): Uint8Array | null {
  const boundary = new Set<bigint>();
  const agent = new Set<bigint>();
  const walk = walkRecords(bytes, (uid, name) => {
    const { kind, name: func, file } = parseCodeName(name);
    if (kind !== 'python') return;
    const inAgent = file.startsWith(agentDir);
    if (inAgent) agent.add(uid);
    if ((inAgent && func === '_run_user_code') || (func === '_run_code' && /runpy\.py$/.test(file))) boundary.add(uid);
  });
  if (walk === null || !walk.rpython || boundary.size === 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [bytes.subarray(0, 40)];
  let changed = false;
  for (const r of walk.records) {
    if (r.marker !== MARKER_STACKTRACE) {
      parts.push(bytes.subarray(r.start, r.end));
      continue;
    }
    const depth = Number(view.getBigInt64(r.start + 9, true));
    const entries = r.start + 17;
    // entries are (kind, value) pairs, innermost first: find the outermost boundary frame
    let cut = -1;
    let hasAgent = false;
    for (let i = 0; i + 1 < depth; i += 2) {
      const kind = view.getBigInt64(entries + i * 8, true);
      if (kind !== BigInt(TAG_CODE) && kind !== BigInt(TAG_JITTED)) continue;
      const value = view.getBigInt64(entries + (i + 1) * 8, true);
      if (boundary.has(value)) cut = i;
      if (agent.has(value)) hasAgent = true;
    }
    if (cut < 0) {
      if (hasAgent)
        changed = true; // only the agent ran: not the program's time
      else parts.push(bytes.subarray(r.start, r.end));
      continue;
    }
    if (cut === 0) {
      changed = true; // the program had not started its first frame yet
      continue;
    }
    const out = new Uint8Array(17 + cut * 8 + (r.end - (entries + depth * 8)));
    const outView = new DataView(out.buffer);
    out.set(bytes.subarray(r.start, r.start + 9), 0); // marker + count
    outView.setBigInt64(9, BigInt(cut), true);
    out.set(bytes.subarray(entries, entries + cut * 8), 17);
    out.set(bytes.subarray(entries + depth * 8, r.end), 17 + cut * 8); // thread id, memory
    parts.push(out);
    changed = true;
  }
  if (!changed) return null;
  const last = walk.records.length > 0 ? walk.records[walk.records.length - 1].end : 40;
  if (last < bytes.length) parts.push(bytes.subarray(last)); // a cut-short tail stays as it was
  return concatBytes(parts);
}
