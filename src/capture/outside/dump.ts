/**
 * One look at every thread of a CPython process, for `pyrometer dump` and `top`: its Python
 * stack (innermost first), kernel state and name. A torn read is retried a few times.
 */
import { KernelThread } from './kernel.js';
import { type PyFrame, PythonReader } from './python.js';
import { locatePython } from './target.js';
import { threadNames } from './thread-names.js';

export interface DumpedThread {
  tid: number;
  threadId: number;
  name: string;
  /** Kernel state letter (R, S, D, …) and its word. */
  state: string;
  stateText: string;
  holdsGil: boolean;
  /** Innermost first; null when every read was torn. */
  frames: { name: string; qualname: string; file: string; line: number; firstLine: number }[] | null;
}

export interface Dump {
  pid: number;
  python: string;
  binary: string;
  threads: DumpedThread[];
}

const STATE_TEXT: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk wait',
  T: 'stopped',
  t: 'traced',
  Z: 'zombie',
  X: 'dead',
  I: 'idle',
};

export function framesOut(frames: PyFrame[]): NonNullable<DumpedThread['frames']> {
  return frames.map((f) => ({
    name: f.code.name,
    qualname: f.code.qualname,
    file: f.code.file,
    line: f.line,
    firstLine: f.code.firstLine,
  }));
}

/** Opens the process (throws AttachError), looks once, closes. */
export function dumpProcess(pid: number): Dump {
  const reader = new PythonReader(locatePython(pid));
  try {
    return dumpWith(reader);
  } finally {
    reader.close();
  }
}

export function dumpWith(reader: PythonReader, names?: Map<number, string>): Dump {
  const pid = reader.target.pid;
  reader.newLook();
  const gil = reader.gilHolder();
  let known = names;
  if (!known) {
    try {
      known = threadNames(reader);
    } catch {
      known = new Map();
    }
  }
  const threads: DumpedThread[] = [];
  for (const t of reader.threads()) {
    const frames = reader.stackWithRetries(t.tstate, 5);
    const kernel = new KernelThread(pid, t.tid);
    const state = t.tid ? kernel.state() : '';
    const comm = t.tid ? kernel.comm() : '';
    kernel.close();
    threads.push({
      tid: t.tid,
      threadId: t.threadId,
      name: known.get(t.threadId) ?? (t.tid === pid ? 'MainThread' : comm || `thread-${t.tid}`),
      state,
      stateText: STATE_TEXT[state] ?? (state || 'unknown'),
      holdsGil: gil !== 0 && gil === t.tstate,
      frames: frames === null ? null : framesOut(frames),
    });
  }
  // the main thread first, then by kernel id, as py-spy prints them
  threads.sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid));
  return { pid, python: reader.target.version, binary: reader.target.binary, threads };
}
