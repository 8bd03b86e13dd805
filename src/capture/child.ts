/**
 * What both ways of recording share (the in-process agent in recorder.ts, the outside sampler in
 * outside/record-outside.ts): the result they return, the follower `--stream` hands them, and how
 * they run the program's process (output names, signal forwarding, clean-up).
 */
import { readFileSync, unlinkSync } from 'node:fs';
import type { TargetCommand } from './command.js';

/** Something that reads the profile file as the program writes it. */
export interface ProfileFollower {
  /** The program runs and writes `path` (a VMProf file; `engine` is vmprof or sampler). */
  started(path: string, pid: number, engine: string): void;
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
export function inTerminalForeground(): boolean {
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

export const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
