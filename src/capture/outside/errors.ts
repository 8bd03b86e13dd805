/** Why the outside sampler cannot read a process: each becomes one line for the user. */
export type AttachProblem = 'no-such-process' | 'not-python' | 'pypy' | 'unsupported-version' | 'not-permitted' | 'not-ready';

export class AttachError extends Error {
  constructor(
    readonly problem: AttachProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The "not permitted" line: what the kernel refused and what to do about it. */
export function notPermittedMessage(pid: number): string {
  return (
    `not permitted to read the memory of process ${pid}: the kernel's ptrace rules refuse it ` +
    '(run pyrometer as the same user as the program with ptrace allowed, e.g. /proc/sys/kernel/yama/ptrace_scope 0, ' +
    'or as root / with CAP_SYS_PTRACE: sudo pyrometer …)'
  );
}
