/**
 * The outside sampler: looks at a CPython process (and, with `subprocesses`, its Python
 * children) `rateHz` times a second from this process, and hands weighted stacks to a sink.
 *
 * Each look, per thread: the kernel's facts (state, CPU nanoseconds) first, then the stack only
 * when the thread earned a sample:
 * - CPU mode: a thread earns the CPU it used since the last look (a thread that used none costs
 *   one procfs read and no memory reads); a sample stands for `floor(credit / period)` periods
 *   and is written only when the thread is running at the look, so CPU used before a wait is
 *   not charged to the wait (the bias of "CPU since the last look, at the current stack").
 * - wall mode: every thread earns the elapsed time; it is idle when the kernel says it is not
 *   running at the look: asleep now (stat), or woken but not on a CPU since (schedstat's count
 *   of slices; waitingNow below) — never because of who held the GIL.
 * - `gil`: only the thread holding the GIL earns anything.
 * A torn stack (it changed while being read) is read once more, then dropped with its credit
 * and counted.
 *
 * The loop runs on the event loop with timers (no busy wait): the sampler uses its own core,
 * and a late look weighs what it missed.
 */
import { AttachError } from './errors.js';
import { childProcesses, KernelThread, processAlive, rssKb } from './kernel.js';
import { PythonReader } from './python.js';
import type { PyFrame } from './python.js';
import type { RunTotals, SampleSink } from './sink.js';
import { locatePython } from './target.js';
import { threadNames } from './thread-names.js';

export interface OutsideOptions {
  pid: number;
  mode: 'cpu' | 'wall';
  rateHz: number;
  lines?: boolean;
  memory?: boolean;
  gil?: boolean;
  subprocesses?: boolean;
  sink: SampleSink;
  /** ppid written to META (the program's parent). */
  ppid?: number;
}

interface ThreadState {
  kernel: KernelThread;
  lastCpuNs: number;
  /** Wall mode: the thread was last seen asleep, how many times it had been on a CPU then, and where its stack stood. */
  asleep: boolean;
  asleepSlices: number;
  asleepPlace: string;
  credit: number;
  announced: boolean;
  /** The name came from `threading` (a kernel name is provisional: a new thread registers in
   *  threading._active only after its first Python frames run). */
  named: boolean;
  /** When to look for the `threading` name again, and the current (doubling) delay. */
  nameRetryAt: number;
  nameDelayMs: number;
}

interface ProcessState {
  pid: number;
  reader: PythonReader | null;
  /** When to try finding Python again (before exec, or before the runtime is up). */
  retryAt: number;
  attempts: number;
  /** When the search for Python in it began (a child that stays something else is let go). */
  searchSince: number;
  threads: Map<number, ThreadState>;
  names: Map<number, string>;
  /** The look at which threading's names were last read. */
  namesReadAt: number;
  done: boolean;
  /** Counted in totals.processes (once, also across an exec). */
  counted: boolean;
  /** A first look was taken since Python was found (threads seen later are new). */
  looked: boolean;
}

const CHILD_SCAN_MS = 20;
/** How long a child is searched for Python (it may exec into Python late) before it is let go. */
const CHILD_SEARCH_MS = 30_000;
/** A thread first seen before `threading` registered it is asked for its name again, after
 *  20 ms, then twice as long each time up to every 250 ms (threads started with _thread never
 *  get one; a lookup is a few reads of threading._active). */
const NAME_RETRY_MIN_MS = 20;
const NAME_RETRY_MAX_MS = 250;

/** What the kernel says of a thread at a wall-mode look (see wallState). */
type WallState = 'asleep' | 'woken' | 'ran' | 'busy';

/**
 * Wall mode: the thread's state at this look. The kernel's state now is a sample of its state
 * over time, as the look is a sample of its stack: `asleep` (S, D: time.sleep, select, a lock,
 * I/O, the GIL) waits; `busy` (R, not seen asleep since it last ran) computes, or is preempted on a
 * loaded machine, even with no CPU of late. A thread seen asleep and runnable now is `woken` if it
 * has not been on a CPU since (schedstat's count of slices: still in its time.sleep or select as
 * far as the program knows), `ran` if it has (then its stack tells: see lookAt).
 * The CPU used since the last look decided this before: schedstat's CPU time moves at scheduler
 * ticks, so a thread computing all along could read 0 and was called idle (15-40% of a computing
 * thread's looks on 2 busy cores). Without schedstat (slices NaN) a woken thread counts as `ran`.
 */
function wallState(st: ThreadState, state: string, slices: number): WallState {
  if (state !== 'R') {
    st.asleep = true;
    st.asleepSlices = slices;
    return 'asleep';
  }
  if (!st.asleep) return 'busy';
  return Number.isFinite(slices) && slices === st.asleepSlices ? 'woken' : 'ran';
}

/** Where a stack stands: its innermost code, line and depth. */
function stackPlace(frames: PyFrame[]): string {
  return frames.length === 0 ? '' : `${frames[0].code.id}:${frames[0].line}:${frames.length}`;
}

export class OutsideSampler {
  private readonly processes = new Map<number, ProcessState>();
  private readonly periodMs: number;
  private readonly startPerf = performance.now();
  private readonly startCpu = process.cpuUsage();
  private lastLook = performance.now();
  private lastChildScan = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;
  readonly totals: RunTotals = {
    samples: 0,
    idleSamples: 0,
    looks: 0,
    stackReads: 0,
    tornReads: 0,
    tornStacks: 0,
    durationS: 0,
    cpuS: 0,
    samplerCpuS: 0,
    processes: 0,
  };
  /** The first reason Python could not be read in the main process (null once it was). */
  lastProblem: AttachError | null = null;
  python = '';

  constructor(private readonly options: OutsideOptions) {
    this.periodMs = 1000 / options.rateHz;
    this.addProcess(options.pid);
  }

  private addProcess(pid: number): ProcessState {
    const p: ProcessState = {
      pid,
      reader: null,
      retryAt: 0,
      attempts: 0,
      searchSince: performance.now(),
      threads: new Map(),
      names: new Map(),
      namesReadAt: -1,
      done: false,
      counted: false,
      looked: false,
    };
    this.processes.set(pid, p);
    return p;
  }

  /** Finds Python in the process now (attach, dump): throws the AttachError when it cannot. */
  attachNow(): void {
    const p = this.processes.get(this.options.pid)!;
    this.open(p, true);
  }

  private open(p: ProcessState, strict: boolean): boolean {
    try {
      const target = locatePython(p.pid);
      const reader = new PythonReader(target);
      p.reader = reader;
      if (p.pid === this.options.pid) {
        this.python = target.version;
        this.lastProblem = null;
        this.begin();
      }
      if (!p.counted) this.totals.processes++;
      p.counted = true;
      return true;
    } catch (err) {
      if (strict || !(err instanceof AttachError)) throw err;
      if (p.pid === this.options.pid) this.lastProblem = err;
      // the process may not have exec'd Python yet, or it is gone or is not Python
      p.attempts++;
      // while a process execs, its files and memory can be refused or half there for a moment:
      // only a final answer, or many failed attempts, ends the search
      const final = err.problem === 'pypy' || err.problem === 'unsupported-version';
      // the program itself is waited for as long as it lives, a child for CHILD_SEARCH_MS: a loaded
      // machine can take seconds to exec a child and bring its runtime up (20 tries in 0.4 s missed
      // a multiprocessing worker at load 27); a child's tries thin out to one every 250 ms
      const now = performance.now();
      if (final || !processAlive(p.pid) || (p.pid !== this.options.pid && now - p.searchSince > CHILD_SEARCH_MS)) p.done = true;
      p.retryAt = now + Math.min(p.pid === this.options.pid ? 50 : 250, 2 * p.attempts);
      return false;
    }
  }

  private begun = false;

  private begin(): void {
    if (this.begun) return;
    this.begun = true;
    const o = this.options;
    this.options.sink.begin({
      pid: o.pid,
      ppid: o.ppid ?? process.pid,
      python: this.python,
      mode: o.mode,
      rateHz: o.rateHz,
      lines: !!o.lines,
      memory: !!o.memory,
      gil: !!o.gil,
      startMs: Date.now() - (performance.now() - this.startPerf),
    });
  }

  /** True while the main process lives. */
  get running(): boolean {
    return !this.processes.get(this.options.pid)!.done;
  }

  start(onEnd: () => void): void {
    let next = performance.now();
    const tick = () => {
      if (this.stopped) return;
      this.look();
      if (!this.running) {
        onEnd();
        return;
      }
      next += this.periodMs;
      const now = performance.now();
      if (next < now - this.periodMs) {
        // fell more than a period behind (looks slower than the rate, or a starved sampler): do
        // not rush to catch up, wait a period
        next = now + this.periodMs;
        this.timer = setTimeout(tick, this.periodMs);
      } else if (next <= now) {
        // Node's timers wait at least 1 ms: a look due now runs on the next turn of the event
        // loop instead, so 1000 Hz is kept (a 1 ms timer after every look gave ~770 looks/s)
        this.immediate = setImmediate(tick);
      } else this.timer = setTimeout(tick, next - now);
    };
    tick();
  }

  /** One look at every sampled process. */
  look(): void {
    const now = performance.now();
    const elapsed = now - this.lastLook;
    this.lastLook = now;
    if (this.options.subprocesses && now - this.lastChildScan >= CHILD_SCAN_MS) {
      this.lastChildScan = now;
      this.scanChildren();
    }
    let looked = false;
    for (const p of this.processes.values()) {
      if (p.done) continue;
      if (!p.reader) {
        if (now < p.retryAt || !this.open(p, false)) {
          if (!processAlive(p.pid)) p.done = true;
          continue;
        }
      }
      try {
        this.lookAt(p, elapsed, now);
        looked = true;
      } catch {
        // reads fail: the process is exiting or gone, or it exec'd (a new image: find Python again)
        if (!processAlive(p.pid)) this.finishProcess(p);
        else this.reopen(p);
      }
    }
    if (looked) this.totals.looks++;
  }

  private scanChildren(): void {
    const seen = new Set(this.processes.keys());
    const queue = [...this.processes.values()].filter((p) => !p.done).map((p) => p.pid);
    while (queue.length > 0) {
      const pid = queue.shift()!;
      for (const child of childProcesses(pid)) {
        if (seen.has(child)) continue;
        seen.add(child);
        // born since the last scan: all its CPU is new, nothing to set a baseline against
        this.addProcess(child).looked = true;
        queue.push(child);
      }
    }
  }

  private finishProcess(p: ProcessState): void {
    p.done = true;
    for (const t of p.threads.values()) t.kernel.close();
    p.threads.clear();
    p.reader?.close();
    p.reader = null;
  }

  private reopen(p: ProcessState): void {
    for (const t of p.threads.values()) t.kernel.close();
    p.threads.clear();
    p.names.clear();
    p.namesReadAt = -1;
    p.reader?.close();
    p.reader = null;
    p.attempts = 0;
    p.retryAt = 0;
    p.searchSince = performance.now();
    p.looked = false;
  }

  private lookAt(p: ProcessState, elapsed: number, now: number): void {
    const reader = p.reader!;
    const o = this.options;
    reader.newLook();
    const pythreads = reader.threads();
    if (pythreads.length === 0) {
      if (!processAlive(p.pid)) this.finishProcess(p);
      return;
    }
    const gilHolder = o.gil ? reader.gilHolder() : 0;
    const live = new Set<number>();
    let rss = -1;
    for (const t of pythreads) {
      if (t.tid === 0) continue;
      live.add(t.tid);
      let st = p.threads.get(t.tid);
      if (!st) {
        const kernel = new KernelThread(p.pid, t.tid);
        // on the first look at a process its threads' CPU so far was before we watched; a thread
        // that appears later was born since the last look: all its CPU is new
        st = {
          kernel,
          lastCpuNs: 0,
          asleep: false,
          asleepSlices: NaN,
          asleepPlace: '',
          credit: 0,
          announced: false,
          named: false,
          nameRetryAt: 0,
          nameDelayMs: 0,
        };
        p.threads.set(t.tid, st);
        if (!p.looked) {
          st.lastCpuNs = kernel.facts()?.cpuNs ?? 0;
          continue;
        }
      }
      if (st.announced && !st.named && now >= st.nameRetryAt) {
        // asked on looks that take no sample too: a deep or busy thread's stack reads may fail for a while
        const name = this.threadingName(p, t.threadId, now);
        if (name !== undefined) {
          st.named = true;
          o.sink.thread({ pid: p.pid, tid: t.tid, name });
        }
        st.nameDelayMs = Math.min(2 * st.nameDelayMs, NAME_RETRY_MAX_MS);
        st.nameRetryAt = now + st.nameDelayMs;
      }
      const facts = st.kernel.facts();
      if (!facts) continue;
      const cpuMs = Math.max(0, (facts.cpuNs - st.lastCpuNs) / 1e6);
      st.lastCpuNs = facts.cpuNs;
      this.totals.cpuS += cpuMs / 1000;
      if (o.gil && t.tstate !== gilHolder) continue;
      // CPU mode, "running" per the kernel: on CPU for most of the interval, or (asked only when
      // unsure) in state R now and on CPU for a part of it (a thread just woken and still waiting
      // for a CPU on a loaded machine has not run yet: it was waiting).
      const running = o.mode === 'cpu' && (cpuMs >= 0.5 * elapsed || (cpuMs >= 1e-3 && (facts.state || st.kernel.state()) === 'R'));
      const wall = o.mode === 'wall' ? wallState(st, facts.state || st.kernel.state(), facts.slices) : 'busy';
      st.credit += o.mode === 'wall' ? elapsed : cpuMs;
      // CPU mode: the CPU a thread used is written where it is running; a thread caught waiting
      // (e.g. for the GIL after a system call) keeps its credit for its next running look
      if (o.mode === 'cpu' && !running) continue;
      const count = Math.floor(st.credit / this.periodMs);
      if (count <= 0) continue;
      st.credit -= count * this.periodMs;
      // a stack that changed while being read is read once more, then dropped
      const frames = reader.stackWithRetries(t.tstate, 2, () => this.totals.tornReads++);
      if (frames === null) {
        this.totals.tornStacks++;
        continue;
      }
      this.totals.stackReads++;
      if (frames.length === 0) continue; // no Python code on this thread right now
      // asleep, or woken without a CPU since: waiting. Woken and on a CPU since, still at the
      // stack it slept at and with little CPU: its wait has not returned to Python yet (waiting
      // for the GIL or a CPU after its system call), still waiting; anywhere else, or computing
      // in the same C call, it moved on: busy from now.
      const place = o.mode === 'wall' ? stackPlace(frames) : '';
      if (wall === 'asleep') st.asleepPlace = place;
      const idle = wall === 'asleep' || wall === 'woken' || (wall === 'ran' && place === st.asleepPlace && cpuMs < 0.5 * elapsed);
      if (wall === 'ran' && !idle) st.asleep = false;
      if (!st.announced) {
        const name = this.threadingName(p, t.threadId, now);
        st.named = name !== undefined;
        // until threading names it: the kernel's name (a later threading name is announced again)
        o.sink.thread({ pid: p.pid, tid: t.tid, name: name ?? (t.tid === p.pid ? 'MainThread' : st.kernel.comm() || `thread-${t.tid}`) });
        st.announced = true;
        st.nameDelayMs = NAME_RETRY_MIN_MS;
        st.nameRetryAt = now + st.nameDelayMs;
      }
      if (o.memory && rss < 0) rss = rssKb(p.pid);
      o.sink.sample({ pid: p.pid, tid: t.tid, frames, count, idle, rssKb: rss < 0 ? 0 : rss, timeMs: now - this.startPerf });
      this.totals.samples += count;
      if (idle) this.totals.idleSamples += count;
    }
    p.looked = true;
    for (const [tid, st] of p.threads) {
      if (!live.has(tid)) {
        st.kernel.close();
        p.threads.delete(tid);
      }
    }
  }

  /** The thread's `threading` name, if threading has registered it; threading's names are read
   *  at most once per look of a process (several threads may be waiting for theirs). */
  private threadingName(p: ProcessState, threadId: number, now: number): string | undefined {
    if (!p.names.has(threadId) && p.reader && p.namesReadAt !== now) {
      p.namesReadAt = now;
      try {
        for (const [id, name] of threadNames(p.reader)) p.names.set(id, name);
      } catch {
        // threading's objects were changing or are not readable: asked again later
      }
    }
    return p.names.get(threadId);
  }

  /** Stops looking; the sink gets its totals. */
  stop(): RunTotals {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      const cpu = process.cpuUsage(this.startCpu);
      this.totals.durationS = (performance.now() - this.startPerf) / 1000;
      this.totals.samplerCpuS = (cpu.user + cpu.system) / 1e6;
      this.begin(); // a program that ended before Python was found still gets a (sample-less) file
      this.options.sink.end(this.totals);
      for (const p of this.processes.values()) this.finishProcess(p);
    }
    return this.totals;
  }
}
