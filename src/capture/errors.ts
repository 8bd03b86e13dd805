/**
 * A mistake `record` can name in one line (no interpreter, a bad option, an output that
 * exists): the CLI prints the message without a stack trace and exits with `exitCode`
 * (2 for a wrong command line). Lives here, not in cli/, because capture/ raises it.
 */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}
