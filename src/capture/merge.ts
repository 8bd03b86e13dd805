/**
 * `record --subprocesses`: one VMProf file for the program and every Python child it started.
 *
 * Each child writes its own file (agent `start_child_profiler`); when the program has exited
 * they are appended to the parent's file, before its trailer, so the result stays one ordinary
 * VMProf file that vmprof-python's reader and ours read:
 * - a child's code and native uids get its number in bits 48..62 (`uid | k << 48`; user-space
 *   addresses stay below 2^47 and odd/even is kept, so native frames stay native), so equal
 *   addresses in two processes never name each other's functions;
 * - thread ids are kernel thread ids, unique across the processes that ran together (PyPy's
 *   thread id 0 becomes the child's pid); META `thread_pid:<tid>` (0x-hex on CPython, decimal on
 *   PyPy: as readers print thread ids) says which process each thread belonged to;
 * - a child's other META keys become `process:<pid>:<key>`; its `ts:<n>` time marks are
 *   renumbered to the merged sample numbering and shifted to the parent's clock (via
 *   `start_monotonic`), its `w:<n>` record weights renumbered the same way;
 * - its header, start time and trailer are dropped. A child whose header flags differ from the
 *   parent's (another interpreter, another engine) cannot share the file and is reported.
 */
import {
  MARKER_META,
  MARKER_NATIVE_SYMBOLS,
  MARKER_STACKTRACE,
  MARKER_TRAILER,
  MARKER_VIRTUAL_IP,
  TAG_CODE,
  TAG_JITTED,
  metas,
  readMeta,
  walkRecords,
  type Walk,
} from '../formats/vmprof/records.js';
import { concatBytes } from '../formats/bytes.js';

export interface ChildProfile {
  pid: string;
  bytes: Uint8Array;
}

export interface MergeResult {
  bytes: Uint8Array;
  merged: string[];
  skipped: { pid: string; reason: string }[];
}

const encoder = new TextEncoder();

function metaRecord(key: string, value: string): Uint8Array {
  const k = encoder.encode(key);
  const v = encoder.encode(value);
  const out = new Uint8Array(1 + 8 + k.length + 8 + v.length);
  const view = new DataView(out.buffer);
  out[0] = MARKER_META;
  view.setBigInt64(1, BigInt(k.length), true);
  out.set(k, 9);
  view.setBigInt64(9 + k.length, BigInt(v.length), true);
  out.set(v, 17 + k.length);
  return out;
}

/** Thread ids of the stack records (the addr after the entries). */
function stackThreadIds(bytes: Uint8Array, walk: Walk): Set<bigint> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tids = new Set<bigint>();
  for (const r of walk.records) {
    if (r.marker !== MARKER_STACKTRACE || walk.version < 1) continue;
    const depth = Number(view.getBigInt64(r.start + 9, true));
    tids.add(view.getBigInt64(r.start + 17 + depth * 8, true));
  }
  return tids;
}

export function mergeChildProfiles(parent: Uint8Array, children: ChildProfile[]): MergeResult {
  const parentWalk = walkRecords(parent);
  if (parentWalk === null) throw new Error('the profile is not a 64-bit VMProf file');
  const parentMeta = metas(parent, parentWalk);
  const parentStart = Number(parentMeta.get('start_monotonic'));
  const seenKeys = new Set(parentMeta.keys());
  const records = parentWalk.records;
  const trailer = records.length > 0 && records[records.length - 1].marker === MARKER_TRAILER ? records[records.length - 1] : null;
  const bodyEnd = trailer ? trailer.start : records.length > 0 ? records[records.length - 1].end : 40;
  const parts: Uint8Array[] = [parent.subarray(0, bodyEnd)];
  let sampleCount = 0;
  for (const r of records) if (r.marker === MARKER_STACKTRACE) sampleCount++;
  const addMeta = (key: string, value: string) => {
    if (seenKeys.has(key)) return;
    seenKeys.add(key);
    parts.push(metaRecord(key, value));
  };
  const parentPid = parentMeta.get('pid') ?? '';
  const tidKey = (tid: bigint, rpython: boolean) => (rpython ? tid.toString() : `0x${tid.toString(16)}`);
  for (const tid of stackThreadIds(parent, parentWalk)) addMeta(`thread_pid:${tidKey(tid, parentWalk.rpython)}`, parentPid);

  const result: MergeResult = { bytes: parent, merged: [], skipped: [] };
  children.forEach((child, index) => {
    const walk = walkRecords(child.bytes);
    if (child.bytes.length === 0) {
      result.skipped.push({ pid: child.pid, reason: 'it had written nothing yet when the program ended (still running?)' });
      return;
    }
    if (walk === null) {
      result.skipped.push({ pid: child.pid, reason: 'not a VMProf file this machine wrote' });
      return;
    }
    if (walk.flags !== parentWalk.flags || walk.rpython !== parentWalk.rpython || walk.version !== parentWalk.version) {
      result.skipped.push({ pid: child.pid, reason: 'recorded by another interpreter or engine than the program' });
      return;
    }
    const tag = BigInt(index + 1) << 48n;
    const view = new DataView(child.bytes.buffer, child.bytes.byteOffset, child.bytes.byteLength);
    const childMeta = metas(child.bytes, walk);
    const shiftMs =
      Number.isFinite(parentStart) && Number.isFinite(Number(childMeta.get('start_monotonic')))
        ? (Number(childMeta.get('start_monotonic')) - parentStart) * 1000
        : 0;
    const pid = childMeta.get('pid') ?? child.pid;
    const firstSample = sampleCount;
    for (const r of walk.records) {
      const rec = child.bytes.subarray(r.start, r.end);
      switch (r.marker) {
        case MARKER_META: {
          const [key, value] = readMeta(child.bytes, r.start);
          if (key.startsWith('thread_name:')) addMeta(key, value);
          else if (key.startsWith('ts:')) addMeta(`ts:${Number(key.slice(3)) + firstSample}`, (Number(value) + shiftMs).toFixed(3));
          else if (key.startsWith('w:'))
            addMeta(`w:${Number(key.slice(2)) + firstSample}`, value); // weights of records from n on
          else addMeta(`process:${pid}:${key}`, value);
          break;
        }
        case MARKER_VIRTUAL_IP:
        case MARKER_NATIVE_SYMBOLS: {
          const out = Uint8Array.from(rec);
          const v = new DataView(out.buffer);
          v.setBigInt64(1, v.getBigInt64(1, true) | tag, true);
          parts.push(out);
          break;
        }
        case MARKER_STACKTRACE: {
          const out = Uint8Array.from(rec);
          const v = new DataView(out.buffer);
          const depth = Number(view.getBigInt64(r.start + 9, true));
          const retag = (i: number) => {
            const value = v.getBigInt64(17 + i * 8, true);
            if (value > 0n) v.setBigInt64(17 + i * 8, value | tag, true);
          };
          if (walk.rpython) {
            for (let i = 0; i + 1 < depth; i += 2) {
              const kind = v.getBigInt64(17 + i * 8, true);
              if (kind === BigInt(TAG_CODE) || kind === BigInt(TAG_JITTED)) retag(i + 1);
            }
          } else if (walk.lines) {
            for (let i = 1; i < depth; i += 2) retag(i); // (line, uid) pairs
          } else {
            for (let i = 0; i < depth; i++) retag(i);
          }
          if (walk.rpython && walk.version >= 1) {
            // PyPy writes thread id 0 everywhere: a child's threads become its pid
            const tidAt = 17 + depth * 8;
            if (v.getBigInt64(tidAt, true) === 0n && /^\d+$/.test(pid)) v.setBigInt64(tidAt, BigInt(pid), true);
          }
          parts.push(out);
          sampleCount++;
          break;
        }
        default:
          break; // header, start time, trailer: the parent's stand for all
      }
    }
    for (const tid of stackThreadIds(child.bytes, walk))
      addMeta(`thread_pid:${tidKey(tid === 0n && walk.rpython ? BigInt(pid) : tid, walk.rpython)}`, pid);
    result.merged.push(pid);
  });
  addMeta('subprocesses', String(result.merged.length));
  if (trailer) parts.push(parent.subarray(trailer.start, trailer.end));
  result.bytes = concatBytes(parts);
  return result;
}
