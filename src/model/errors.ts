/**
 * The one error every reader raises for bad input. It names the format, the
 * byte offset (or line) where reading stopped, and what was expected there, so
 * the CLI can print it as one line and the server can return it as a 4xx body.
 * It lives in model/ because the model's own reader (serialize.ts) raises it too.
 */
export class ProfileFormatError extends Error {
  constructor(
    readonly format: string,
    readonly detail: string,
    /** Byte offset in the (decompressed) input, or -1 when a position makes no sense. */
    readonly offset = -1,
    /** 1-based line for text formats, or 0. */
    readonly lineNumber = 0,
  ) {
    super(`${format}: ${detail}` + (lineNumber > 0 ? ` (line ${lineNumber})` : offset >= 0 ? ` (at byte ${offset})` : ''));
    this.name = 'ProfileFormatError';
  }
}
