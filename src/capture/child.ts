/**
 * What both ways of recording share (the in-process agent in recorder.ts, the outside sampler in
 * outside/record-outside.ts): the result they return, the follower `--stream` hands them, and how
 * they run the program's process (output names, signal forwarding, clean-up).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { TargetCommand } from './command.js';

/** Something that reads the profile file as the program writes it. */
export interface ProfileFollower {
  /** The program runs and writes `path` (a VMProf file; `engine` is vmprof or sampler). */
  started(path: string, pid: number, engine: string): void;
  /** PyPy with --pypylog: also follow its log (`logPath`), placed on the wall clock by the agent's tick pairs (`clockPath`). */
  followPypyLog?(logPath: string, clockPath: string): void;
  /**
   * How often PyPy's _vmprof should be made to write the code names it holds back (ms), so that
   * streamed samples are named while the program runs (the agent's --flush-names).
   */
  readonly nameFlushMs?: number;
  /** The program has exited and written its last records; the file is rewritten and renamed after this resolves. */
  finish(): Promise<void>;
}

export interface InterpreterInfo {
  path: string;
  implementation: string; // "cpython", "pypy"
  version: string; // "3.11.7"
  hasVmprof: boolean;
}

export interface RecordResult {
  command: TargetCommand;
  interpreter: InterpreterInfo;
  engine: string;
  /** The program's exit code; 128 + signal number when a signal ended it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  profilePath: string;
  jitlogPath: string | null;
  pypylogPath: string | null;
  /** `--alloc`: the allocation samples beside the profile (OUT.alloc), when the program wrote any. */
  allocPath?: string | null;
  wallMs: number;
  /** Child processes merged into the profile (--subprocesses). */
  subprocesses: number;
  /** Things the user should know (children that could not be merged). */
  notes: string[];
}

export function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** True when this process is in the terminal's foreground process group: then a Ctrl-C reached the child too. */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Waits for the program to end (`exit`, or `close` when its pipes must drain too), passing on the
 * signals pyrometer receives meanwhile; rejects when it could not be run.
 */
export async function awaitChildForwardingSignals(child: ChildProcess, event: 'exit' | 'close'): Promise<ChildExit> {
  const forward = (signal: NodeJS.Signals) => {
    // a Ctrl-C at the terminal reaches the whole foreground process group, the child included
    if (signal === 'SIGINT' && inTerminalForeground()) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<ChildExit>((resolveExit, reject) => {
      child.once('error', reject);
      child.once(event, (code: number | null, signal: NodeJS.Signals | null) => resolveExit({ code, signal }));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

/** The exit code a shell would report: the program's own, or 128 + the number of the signal that ended it. */
export function shellExitCode(exit: ChildExit): number {
  if (!exit.signal) return exit.code ?? 1;
  return 128 + ((osConstants.signals as Record<string, number>)[exit.signal] ?? 0);
}
