import { RecordError } from '../capture/errors.js';
import { ProfileFormatError, UnknownFormatError } from '../formats/errors.js';

/** An error the CLI prints as one line (no stack trace) with its own exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake in the command line itself (bad option value, unknown thread): exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENXIO: 'cannot be opened for reading (a socket?)',
};

/** Turns the errors users cause (bad files, missing files) into CliErrors; rethrows real bugs. */
export function asCliError(err: unknown, what?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof RecordError) return new CliError(err.message, err.exitCode);
  if (err instanceof ProfileFormatError || err instanceof UnknownFormatError) {
    return new CliError(what ? `${what}: ${err.message}` : err.message);
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.path) {
    return new CliError(`${e.path}: ${ERRNO_REASONS[e.code] ?? e.code}`);
  }
  throw err;
}
