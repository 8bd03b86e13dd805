import { ProfileFormatError, UnknownFormatError } from '../formats/errors.js';

/** An error the CLI prints as one line (no stack trace) with its own exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Turns the errors users cause (bad files, missing files) into CliErrors; rethrows real bugs. */
export function asCliError(err: unknown, what?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ProfileFormatError || err instanceof UnknownFormatError) {
    return new CliError(what ? `${what}: ${err.message}` : err.message);
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.path) {
    const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.code;
    return new CliError(`${e.path}: ${reason}`);
  }
  throw err;
}
