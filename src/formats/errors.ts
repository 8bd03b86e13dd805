/** The format layer's errors: ProfileFormatError (defined in the model, which raises it too) and UnknownFormatError. */
export { ProfileFormatError } from '../model/errors.js';

/** Raised when no reader recognises the input. */
export class UnknownFormatError extends Error {
  constructor(readonly source: string) {
    super(`${source}: not a profile format pyrometer can read (see \`pyrometer convert --list-formats\`)`);
    this.name = 'UnknownFormatError';
  }
}
