/**
 * What `pyrometer record`'s sampler (src/capture/agent/_pyrometer_agent.py) says in META
 * records of its VMProf version 6 files, applied to the profile the reader built. Only for
 * files with META `sampler` = `pyrometer`; any other VMProf file is left as it is, but for
 * the process ids of a merged `--subprocesses` file (META `subprocesses`, PyPy's _vmprof).
 *
 * META keys used (written by the agent; src/capture/merge.ts rewrites children's keys):
 * - `w:<n>` = `w0,w1,…`: the weights, in sampling periods, of stack records n, n+1, …: each
 *   look writes a stack once, weighted by the CPU or wall time it stands for (vmprof's own
 *   reader, which wants count 1 per record, sees one sample per look). Records no `w:` covers
 *   weigh 1, so files written before (one record per period) read as they always did. Both
 *   samplers (the agent and src/capture/outside/vmprof-sink.ts) write a batch's `w:` just ahead
 *   of the batch's records, so a follower of the growing file has each weight before its record.
 * - `ts:<n>` = milliseconds (from the sampler's start) at which stack record n was written;
 *   n counts the stack records of the whole file, all threads together, from 0. The agent
 *   writes one at most every 10 ms, for the first record of a look at the threads. Merged
 *   children's marks are renumbered to the merged file and shifted to the parent's clock.
 * - `thread_renamed:<tid>` = a better name for the thread than `thread_name:<tid>` (the outside
 *   sampler names a thread when first seen, and once more if `threading` names it later: META
 *   keys must not repeat for vmprof's reader).
 * - `thread_pid:<tid>` = the pid of the process a thread belonged to (merged `--subprocesses`
 *   files); `<tid>` is spelled as the reader prints thread ids, like `thread_name:<tid>`.
 * - `duration_s`, `start_monotonic`, `process:<pid>:duration_s`, `process:<pid>:start_monotonic`:
 *   where each process's run ends on the parent's clock (the last stretch after the last mark).
 *
 * What it changes:
 * - samples get their record's weight (`w:<n>`);
 * - frames of the native function `<idle>` (written as `n:<idle>:0:-` on top of a thread that
 *   waited) get category `idle`, so "hide idle" filters drop them;
 * - threads get their `processId` from `thread_pid:<tid>`;
 * - sample times: version 6 has none, so the reader puts record i at i * period. The record
 *   number is recovered from that (i = time / period); when each record was written is
 *   interpolated between the `ts` marks of its process (records of one process are contiguous
 *   in the file, and the process's stop time closes its last stretch); and since a thread's
 *   run of records from one look stands for the time before that look, each run is spread
 *   back from its write time (details at the loop below). Times stay non-decreasing per thread.
 */
import { CATEGORY_IDLE, KIND_NATIVE, type Profile } from '../../model/profile.js';

/** True when the profile was written by pyrometer's own sampler. */
export function isSamplerProfile(profile: Profile): boolean {
  return profile.meta.format === 'vmprof' && profile.meta.extra.sampler === 'pyrometer';
}

/** Applies the sampler's META facts (idle frames, process ids, sample times) to the profile, in place; returns it. */
export function applySamplerMeta(profile: Profile): Profile {
  if (!isSamplerProfile(profile)) {
    // `record --subprocesses` with PyPy's own _vmprof: merge.ts wrote only the process ids
    if (profile.meta.format === 'vmprof' && profile.meta.extra.subprocesses !== undefined) assignProcesses(profile);
    return profile;
  }
  markIdleFrames(profile);
  assignProcesses(profile);
  applyRenames(profile);
  const weights = applyRecordWeights(profile);
  applyTimeMarks(profile, weights);
  return profile;
}

function markIdleFrames(profile: Profile): void {
  const { funcs, frames } = profile;
  const idleFunc = new Uint8Array(funcs.length);
  let any = false;
  for (let f = 0; f < funcs.length; f++) {
    if (funcs.kind[f] === KIND_NATIVE && profile.strings[funcs.name[f]] === '<idle>') {
      idleFunc[f] = 1;
      any = true;
    }
  }
  if (!any) return;
  // An <idle> frame is always a wait, wherever it is used: recategorize it in place, unless
  // the idle twin (func, line, idle) already exists; then stacks move to that twin.
  const idleTwin = new Map<number, number>(); // func * 2^31 + line -> idle frame
  for (let fr = 0; fr < frames.length; fr++) {
    if (idleFunc[frames.func[fr]] && frames.category[fr] === CATEGORY_IDLE) idleTwin.set(frames.func[fr] * 2 ** 31 + frames.line[fr], fr);
  }
  let remap: Int32Array | null = null;
  for (let fr = 0; fr < frames.length; fr++) {
    if (!idleFunc[frames.func[fr]] || frames.category[fr] === CATEGORY_IDLE) continue;
    const twin = idleTwin.get(frames.func[fr] * 2 ** 31 + frames.line[fr]);
    if (twin === undefined) {
      frames.category[fr] = CATEGORY_IDLE;
      idleTwin.set(frames.func[fr] * 2 ** 31 + frames.line[fr], fr);
    } else {
      remap ??= Int32Array.from({ length: frames.length }, (_, i) => i);
      remap[fr] = twin;
    }
  }
  if (remap !== null) remapStackFrames(profile, remap);
}

/** Points stacks at other frames, merging stacks that become one (prefix, frame) pair. */
function remapStackFrames(profile: Profile, remap: Int32Array): void {
  const old = profile.stacks;
  const frameCount = profile.frames.length;
  const newIndex = new Int32Array(old.length);
  const seen = new Map<number, number>();
  const frame = new Int32Array(old.length);
  const prefix = new Int32Array(old.length);
  const depth = new Int32Array(old.length);
  let n = 0;
  for (let s = 0; s < old.length; s++) {
    const p = old.prefix[s] < 0 ? -1 : newIndex[old.prefix[s]];
    const fr = remap[old.frame[s]];
    const key = (p + 1) * frameCount + fr;
    let to = seen.get(key);
    if (to === undefined) {
      to = n++;
      seen.set(key, to);
      frame[to] = fr;
      prefix[to] = p;
      depth[to] = p < 0 ? 1 : depth[p] + 1;
    }
    newIndex[s] = to;
  }
  profile.stacks = { length: n, frame: frame.slice(0, n), prefix: prefix.slice(0, n), depth: depth.slice(0, n) };
  for (const t of profile.threads) {
    const stack = t.samples.stack;
    for (let i = 0; i < t.samples.length; i++) if (stack[i] >= 0) stack[i] = newIndex[stack[i]];
  }
}

function assignProcesses(profile: Profile): void {
  const extra = profile.meta.extra;
  for (const thread of profile.threads) {
    const pid = extra[`thread_pid:${thread.id}`];
    if (pid !== undefined && pid !== '') thread.processId = pid;
  }
}

/** The outside sampler's later name for a thread first seen before `threading` named it. */
function applyRenames(profile: Profile): void {
  const extra = profile.meta.extra;
  for (const thread of profile.threads) {
    const name = extra[`thread_renamed:${thread.id}`];
    if (name) thread.name = name;
  }
}

interface Segment {
  processId: string;
  /** Record numbers of this process's samples lie in [first, last]. */
  first: number;
  last: number;
  /** Where the process's sampling started and ended, ms from the parent's start; NaN when unknown. */
  startMs: number;
  endMs: number;
  anchorIndex: number[];
  anchorTime: number[];
}

/** The record number of a sample from the reader's `i * period` time; -1 when the time is off that grid. */
function recordNumber(time: number, period: number): number {
  const i = Math.round(time / period);
  return Math.abs(i * period - time) <= 1e-6 * Math.max(1, time) ? i : -1;
}

/**
 * Gives each sample its record's `w:<n>` weight; returns whether any weight is not 1 (files
 * from before weights, and PyPy's, have none). Run before applyTimeMarks moves the times off
 * the record grid.
 */
function applyRecordWeights(profile: Profile): boolean {
  const { extra, interval: period } = profile.meta;
  if (!(period > 0)) return false;
  const runs: [number, string][] = [];
  for (const key in extra) {
    if (key.charCodeAt(0) !== 119 /* w */ || !key.startsWith('w:')) continue;
    const n = Number(key.slice(2));
    if (Number.isInteger(n) && n >= 0) runs.push([n, extra[key]]);
  }
  if (runs.length === 0) return false;
  let records = 0;
  for (const t of profile.threads) records += t.samples.length;
  const weightOf = new Float64Array(records).fill(1);
  for (const [first, list] of runs) {
    let i = first;
    for (const text of list.split(',')) {
      const w = Number(text);
      if (i < records && Number.isInteger(w) && w >= 1) weightOf[i] = w;
      i++;
    }
  }
  let any = false;
  for (const t of profile.threads) {
    const { time, weight, length } = t.samples;
    for (let k = 0; k < length; k++) {
      const i = recordNumber(time[k], period);
      if (i >= 0 && i < records && weightOf[i] !== 1) {
        weight[k] = weightOf[i];
        any = true;
      }
    }
  }
  return any;
}

function applyTimeMarks(profile: Profile, weighted: boolean): void {
  const { meta } = profile;
  const period = meta.interval;
  if (!(period > 0) || meta.formatVersion === null || meta.formatVersion >= 7) return;
  const marks: [number, number][] = [];
  const extra = meta.extra;
  for (const key in extra) {
    if (key.charCodeAt(0) !== 116 /* t */ || !key.startsWith('ts:')) continue;
    const n = Number(key.slice(3));
    const ms = Number(extra[key]);
    if (Number.isInteger(n) && n >= 0 && Number.isFinite(ms) && ms >= 0) marks.push([n, ms]);
  }
  if (marks.length === 0) return;

  // The record number of every sample, from the reader's i * period times; anything else
  // (times the reader did not put on that grid) leaves the times alone.
  const recordOf = (time: number): number => recordNumber(time, period);
  const records = profile.threads.map((t) => new Float64Array(t.samples.length));
  const byProcess = new Map<string, Segment>();
  for (let ti = 0; ti < profile.threads.length; ti++) {
    const { samples, processId } = profile.threads[ti];
    let previous = -1;
    for (let k = 0; k < samples.length; k++) {
      const i = recordOf(samples.time[k]);
      if (i < 0 || i <= previous) return;
      records[ti][k] = previous = i;
    }
    if (samples.length === 0) continue;
    let seg = byProcess.get(processId);
    if (seg === undefined) {
      seg = { processId, first: Infinity, last: -Infinity, startMs: 0, endMs: NaN, anchorIndex: [], anchorTime: [] };
      byProcess.set(processId, seg);
    }
    seg.first = Math.min(seg.first, records[ti][0]);
    seg.last = Math.max(seg.last, previous);
  }
  let segments = [...byProcess.values()].sort((a, b) => a.first - b.first);
  if (segments.length === 0) return;
  const overlapping = segments.some((s, i) => i > 0 && s.first <= segments[i - 1].last);
  if (overlapping) {
    // processes interleaved in the file (not how merge.ts writes them): one time line
    segments = [
      {
        processId: '',
        first: segments[0].first,
        last: Math.max(...segments.map((s) => s.last)),
        startMs: 0,
        endMs: NaN,
        anchorIndex: [],
        anchorTime: [],
      },
    ];
  }
  const segmentOf = (record: number): Segment => {
    let at = segments[0];
    for (const s of segments) if (s.first <= record) at = s;
    return at;
  };

  // already in order as the agent and merge.ts write them (META keys keep file order)
  if (marks.some((m, i) => i > 0 && m[0] < marks[i - 1][0])) marks.sort((a, b) => a[0] - b[0]);
  for (const [n, ms] of marks) {
    const seg = segmentOf(n);
    const last = seg.anchorTime.length > 0 ? seg.anchorTime[seg.anchorTime.length - 1] : -Infinity;
    seg.anchorIndex.push(n);
    seg.anchorTime.push(Math.max(ms, last));
  }
  const parentStart = Number(extra.start_monotonic);
  for (const seg of segments) {
    if (overlapping || seg.processId === '' || seg.processId === extra.pid) {
      seg.endMs = Number(extra.duration_s) * 1000;
    } else {
      const shift = (Number(extra[`process:${seg.processId}:start_monotonic`]) - parentStart) * 1000;
      seg.endMs = Number(extra[`process:${seg.processId}:duration_s`]) * 1000 + shift;
      if (Number.isFinite(shift)) seg.startMs = shift;
    }
    const count = seg.anchorIndex.length;
    // the records after the last mark were written before the process stopped sampling
    if (count > 0 && Number.isFinite(seg.endMs) && seg.endMs >= seg.anchorTime[count - 1] && seg.last >= seg.anchorIndex[count - 1]) {
      seg.anchorIndex.push(seg.last + 1);
      seg.anchorTime.push(seg.endMs);
    }
  }

  /** When a record was written, from the marks of its process; `from` is a hint (an anchor at or before it). */
  const writeTime = (record: number, seg: Segment, from = 0): number => {
    const idx = seg.anchorIndex;
    const ms = seg.anchorTime;
    const n = idx.length;
    if (n === 0) return record * period; // no mark for this process: the reader's estimate
    const rate = n > 1 && idx[n - 1] > idx[0] ? (ms[n - 1] - ms[0]) / (idx[n - 1] - idx[0]) : period;
    if (record <= idx[0]) return Math.max(0, ms[0] - (idx[0] - record) * rate);
    if (record >= idx[n - 1]) return ms[n - 1] + (record - idx[n - 1]) * rate;
    let lo = from;
    while (idx[lo + 1] <= record) lo++; // idx[lo] <= record < idx[lo + 1]
    return ms[lo] + ((record - idx[lo]) * (ms[lo + 1] - ms[lo])) / (idx[lo + 1] - idx[lo]);
  };
  /** The last anchor at or before the record, searching forward from `from`. */
  const anchorBefore = (record: number, seg: Segment, from: number): number => {
    const idx = seg.anchorIndex;
    let a = from;
    while (a + 1 < idx.length && idx[a + 1] <= record) a++;
    return a;
  };

  // A look at the threads writes, for each thread, its stack once weighted by the periods of
  // time (wall or CPU) the thread was credited since the previous look (older files: one record
  // per period): a run of consecutive records of one thread stands for the time just before it
  // was written, not after. So each run of a thread's records (split where a mark starts a new
  // look) is spread back from the time its last record was written, by up to one period per
  // unit of weight, never before the thread's previous run ends. With frequent looks a sample
  // sits its weight in periods before its look; when the sampler was starved (one late look
  // standing for a long time), the records still cover the run.
  let maxRecord = -1;
  for (const r of records) if (r.length > 0) maxRecord = Math.max(maxRecord, r[r.length - 1]);
  const recordTime = new Float64Array(maxRecord + 1).fill(NaN);
  profile.threads.forEach((thread, ti) => {
    const { samples } = thread;
    const rec = records[ti];
    if (samples.length === 0) return;
    const weight = samples.weight;
    const seg = segmentOf(rec[0]);
    const idx = seg.anchorIndex;
    let previousEnd = Math.max(0, seg.startMs);
    let anchor = 0; // cursor into idx: records only grow
    for (let k = 0; k < samples.length; ) {
      anchor = anchorBefore(rec[k], seg, anchor);
      const startTime = writeTime(rec[k], seg, anchor);
      // the run ends where the records stop being consecutive or a mark starts a new look
      const nextMark = anchor + 1 < idx.length ? idx[anchor + 1] : Infinity;
      let end = k + 1;
      let runWeight = weighted ? weight[k] : 1;
      while (end < samples.length && rec[end] === rec[end - 1] + 1 && rec[end] !== nextMark) {
        runWeight += weighted ? weight[end] : 1;
        end++;
      }
      const written = Math.max(previousEnd, writeTime(rec[end - 1], seg, anchor));
      const from = Math.min(written, Math.max(previousEnd, Math.min(startTime, written - runWeight * period)));
      const step = (written - from) / runWeight;
      let before = 0; // weight of the run's records before this one
      for (let j = k; j < end; j++) {
        samples.time[j] = from + before * step;
        before += weighted ? weight[j] : 1;
        recordTime[rec[j]] = samples.time[j];
      }
      previousEnd = written;
      k = end;
    }
  });
  for (const counter of profile.counters) {
    const n = counter.time.length;
    let sorted = true;
    for (let k = 0; k < n; k++) {
      const record = recordOf(counter.time[k]);
      if (record < 0) continue;
      const time = record <= maxRecord ? recordTime[record] : NaN;
      counter.time[k] = Number.isNaN(time) ? writeTime(record, segmentOf(record)) : time;
      if (k > 0 && counter.time[k] < counter.time[k - 1]) sorted = false;
    }
    if (!sorted) {
      const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => counter.time[a] - counter.time[b] || a - b);
      const time = counter.time.slice();
      const value = counter.value.slice();
      for (let k = 0; k < n; k++) {
        counter.time[k] = time[order[k]];
        counter.value[k] = value[order[k]];
      }
    }
  }
  meta.sampleTimes = 'recorded';
}
