/**
 * The last line of defence for the "bad input is one typed error" rule: a
 * reader's own checks raise ProfileFormatError with a position; anything else
 * that escapes (a RangeError from a string too long for the engine, a bug) is
 * turned into a ProfileFormatError naming the format, so callers never see a
 * stack trace.
 */
import { ProfileFormatError } from './errors.js';

export function withFormatErrors<T>(format: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProfileFormatError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new ProfileFormatError(format, `could not read the input (${message.split('\n')[0]})`);
  }
}
