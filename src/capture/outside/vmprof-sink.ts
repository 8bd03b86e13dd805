/**
 * The outside sampler's samples as a VMProf version 6 file, laid out as the in-process agent
 * writes it (src/capture/agent/_pyrometer_agent.py; one reader and `record`'s summary serve
 * both): META `sampler` = `pyrometer`, thread names keyed `thread_name:0x<tid>`, a
 * `ts:<record>` mark at most every 10 ms, the native `<idle>` frame on top of a waiting thread.
 * Each look at a thread is one record of count 1 (vmprof's reader wants 1) whatever time it
 * stands for; its weight in periods goes in a `w:<first record>` META (pyrometer-meta.ts), only
 * when some weight is not 1, so files of one look per period are what they always were.
 * Records go to the file in batches (every 0.25 s or 4096 records, and at the end), each batch
 * after the `w:` META that weighs it, so a killed run leaves a readable file and a follower
 * (`record --stream`) never reads a record before its weight.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { VmprofEncoder } from '../../formats/vmprof/write.js';
import type { CodeInfo } from './python.js';
import type { RunInfo, RunTotals, Sample, SampleSink, ThreadInfo } from './sink.js';

const FLAG_MEMORY = 1;
const FLAG_LINES = 2;
const FLAG_REAL_TIME = 0x10;
const IDLE_UID = 1;
const FLUSH_MS = 250;
const FLUSH_RECORDS = 4096;

interface PendingRecord {
  entries: number[];
  tid: number;
  rssKb: number;
  weight: number;
}

/**
 * `py:name:firstline:file`, ':' in the name replaced as the readers expect. The name is the code
 * object's `co_name`, never 3.11's `co_qualname`: vmprof-python's C sampler, PyPy's `_vmprof` and
 * our in-process agent all write `co_name`, and CPython before 3.11 has nothing else, so the same
 * program gets the same names on every interpreter and from either sampler (first line and file
 * still tell two `run` methods apart).
 */
function codeRecordName(code: CodeInfo): string {
  return `py:${code.name.replace(/:/g, ';')}:${code.firstLine}:${code.file || '-'}`;
}

export class VmprofFileSink implements SampleSink {
  private readonly fd: number;
  private enc!: VmprofEncoder;
  private run!: RunInfo;
  private readonly announced = new Set<number>();
  private readonly threadNames = new Map<number, { name: string; renamed: boolean }>();
  /** Stack records made so far, written or pending. */
  private records = 0;
  private pending: PendingRecord[] = [];
  private lastMarkMs = -Infinity;
  private lastFlushMs = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  begin(run: RunInfo): void {
    this.run = run;
    const periodUsec = Math.max(1, Math.round(1e6 / run.rateHz));
    this.enc = new VmprofEncoder({ wordSize: 8, periodUsec, chunkSize: 1 << 16, onChunk: (chunk) => this.write(chunk) });
    this.enc.staticHeader(periodUsec);
    const flags = (run.memory ? FLAG_MEMORY : 0) | (run.lines ? FLAG_LINES : 0) | (run.mode === 'wall' ? FLAG_REAL_TIME : 0);
    this.enc.header(6, flags, 'cpython');
    this.enc.startTime(run.startMs);
    const meta: [string, string | number][] = [
      ['sampler', 'pyrometer'],
      ['engine', 'outside'],
      ['mode', run.mode],
      ['rate_hz', run.rateHz],
      ['pid', run.pid],
      ['ppid', run.ppid],
      ['implementation', 'cpython'],
      ['python', run.python],
      ['os', 'linux'],
      ['bits', 64],
      ['start_monotonic', (performance.timeOrigin / 1000 + performance.now() / 1000).toFixed(6)],
    ];
    if (run.gil) meta.push(['gil_only', 1]);
    for (const [k, v] of meta) this.enc.meta(k, String(v));
    this.enc.nativeSymbol(IDLE_UID, 'n:<idle>:0:-');
  }

  private write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
  }

  /**
   * A thread's name and process, once: vmprof's reader rejects a repeated META key. A name
   * found later (a thread first seen before `threading` registered it) goes once in
   * `thread_renamed:<tid>`, which our reader prefers (pyrometer-meta.ts).
   */
  thread(thread: ThreadInfo): void {
    const id = `0x${thread.tid.toString(16)}`;
    const written = this.threadNames.get(thread.tid);
    if (written === undefined) {
      this.enc.meta(`thread_name:${id}`, thread.name);
      this.enc.meta(`thread_pid:${id}`, String(thread.pid));
    } else if (written.name !== thread.name && !written.renamed) {
      this.enc.meta(`thread_renamed:${id}`, thread.name);
      written.renamed = true;
    } else return;
    this.threadNames.set(thread.tid, { name: thread.name, renamed: written?.renamed ?? false });
  }

  meta(key: string, value: string): void {
    this.enc.meta(key, value);
  }

  sample(s: Sample): void {
    if (s.timeMs - this.lastMarkMs >= 10) {
      this.enc.meta(`ts:${this.records}`, s.timeMs.toFixed(3));
      this.lastMarkMs = s.timeMs;
    }
    const e: number[] = [];
    const lines = this.run.lines;
    if (s.idle) {
      if (lines) e.push(0);
      e.push(IDLE_UID);
    }
    for (const f of s.frames) {
      const uid = f.code.id * 16;
      if (!this.announced.has(uid)) {
        this.announced.add(uid);
        this.enc.name(uid, codeRecordName(f.code));
      }
      if (lines) e.push(f.line);
      e.push(uid);
    }
    this.pending.push({ entries: e, tid: s.tid, rssKb: s.rssKb, weight: s.count });
    this.records++;
    if (s.timeMs - this.lastFlushMs >= FLUSH_MS || this.pending.length >= FLUSH_RECORDS) {
      this.lastFlushMs = s.timeMs;
      this.flush();
    }
  }

  /** The pending records' weights (when any is not 1), then the records, to the file. */
  private flush(): void {
    const pending = this.pending;
    if (pending.some((r) => r.weight !== 1)) {
      this.enc.meta(`w:${this.records - pending.length}`, pending.map((r) => r.weight).join(','));
    }
    for (const r of pending) this.enc.stack(r.entries, r.tid, r.rssKb, 1);
    this.pending = [];
    this.enc.bytes(); // with onChunk: writes what is buffered
  }

  end(t: RunTotals): void {
    this.flush();
    const clockS = this.run.mode === 'cpu' ? t.cpuS : t.durationS;
    const m: [string, string | number][] = [
      ['samples', t.samples],
      ['records', this.records],
      ['snapshots', t.looks],
      ['duration_s', t.durationS.toFixed(6)],
      ['cpu_s', t.cpuS.toFixed(6)],
      ['rate_hz_actual', (clockS > 0 ? t.looks / t.durationS : 0).toFixed(1)],
      ['sampler_cpu_s', t.samplerCpuS.toFixed(6)],
      ['idle_samples', t.idleSamples],
      ['stack_reads', t.stackReads],
      ['torn_reads', t.tornReads],
      ['torn_stacks', t.tornStacks],
    ];
    if (t.processes > 1) m.push(['subprocesses', t.processes - 1]);
    for (const [k, v] of m) this.enc.meta(k, String(v));
    this.enc.trailer(Date.now());
    this.enc.bytes();
    closeSync(this.fd);
  }
}
