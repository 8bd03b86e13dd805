/** Loading a profile file for a command: the format loader plus a progress bar and one-line errors. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Profile } from '../model/profile.js';
import { loadProfile } from '../formats/load.js';
import { UnknownFormatError } from '../formats/errors.js';
import { asCliError } from './errors.js';
import { loadProgress } from './terminal.js';

export async function loadForCli(path: string, options: { format?: string } = {}): Promise<Profile> {
  try {
    const size = (await stat(path)).size;
    const progress = loadProgress(`loading ${basename(path)}`, size);
    try {
      return await loadProfile(path, { format: options.format, onProgress: (done, total) => progress.update(done, total) });
    } finally {
      progress.stop();
    }
  } catch (err) {
    throw err instanceof UnknownFormatError ? asCliError(err) : asCliError(err, path);
  }
}
