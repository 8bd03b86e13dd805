/**
 * What the kernel knows about a process's threads: the CPU each has used and how many times it
 * was put on a CPU (schedstat: nanoseconds on CPU, ~8 µs a read; stat's utime+stime in clock
 * ticks where schedstat is missing), its state (stat, also ~8 µs: R running or runnable) and its
 * name (comm). schedstat's CPU time moves at scheduler ticks (4 ms here) for a thread that keeps
 * running, so over one short look it can read 0 for a thread that computed all along. Files are kept open and re-read
 * at offset 0, which makes procfs produce fresh content.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

const buf = Buffer.allocUnsafe(1024);
const TICK_NS = 1e9 / 100; // USER_HZ is 100 on Linux

function preadText(fd: number): string | null {
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('latin1', 0, n);
  } catch {
    return null; // the thread has gone
  }
}

export interface ThreadFacts {
  /** One-letter state from stat when it was read ('' when schedstat answered alone). */
  state: string;
  /** CPU time used so far, nanoseconds. */
  cpuNs: number;
  /** How many times the thread was put on a CPU so far (schedstat's third field); NaN without schedstat. */
  slices: number;
}

/** Splits /proc/…/stat after the `(comm)` field (comm may hold spaces and parentheses). */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

export class KernelThread {
  private statFd = -1;
  private schedFd = -1;

  constructor(
    readonly pid: number,
    readonly tid: number,
  ) {
    try {
      this.statFd = openSync(`/proc/${pid}/task/${tid}/stat`, 'r');
    } catch {
      // gone already: facts() answers null
    }
    try {
      this.schedFd = openSync(`/proc/${pid}/task/${tid}/schedstat`, 'r');
    } catch {
      // kernels without CONFIG_SCHEDSTATS: stat's ticks instead
    }
  }

  /** CPU time from schedstat (one cheap read); stat (several times dearer) only without schedstat. */
  facts(): ThreadFacts | null {
    if (this.schedFd >= 0) {
      const sched = preadText(this.schedFd);
      const fields = sched ? sched.split(' ') : [];
      const ns = Number(fields[0]);
      if (Number.isFinite(ns)) return { state: '', cpuNs: ns, slices: Number(fields[2]) };
    }
    if (this.statFd < 0) return null;
    const stat = preadText(this.statFd);
    if (stat === null || stat.length === 0) return null;
    const fields = statFields(stat);
    return { state: fields[0], cpuNs: (Number(fields[11]) + Number(fields[12])) * TICK_NS, slices: NaN };
  }

  /** The one-letter state from stat (R running or runnable, S sleeping, D disk wait, …); '' when gone. */
  state(): string {
    if (this.statFd < 0) return '';
    const stat = preadText(this.statFd);
    return stat ? statFields(stat)[0] : '';
  }

  comm(): string {
    try {
      return readFileSync(`/proc/${this.pid}/task/${this.tid}/comm`, 'utf8').replace(/\n$/, '');
    } catch {
      return '';
    }
  }

  close(): void {
    if (this.statFd >= 0) closeSync(this.statFd);
    if (this.schedFd >= 0) closeSync(this.schedFd);
    this.statFd = this.schedFd = -1;
  }
}

export function taskIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Direct children of a process (every thread's children file: a thread may have forked them). */
export function childProcesses(pid: number): number[] {
  const out = new Set<number>();
  for (const tid of taskIds(pid)) {
    try {
      for (const w of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (w) out.add(Number(w));
    } catch {
      // thread gone, or a kernel without CONFIG_PROC_CHILDREN
    }
  }
  return [...out];
}

/** Resident set size in KiB (statm's second field, in pages). */
export function rssKb(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return Number(statm[1]) * 4;
  } catch {
    return 0;
  }
}

export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return statFields(stat)[0] !== 'Z';
  } catch {
    return false;
  }
}
