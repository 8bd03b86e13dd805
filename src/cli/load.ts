/** Loading a profile file for a command: the format loader plus a progress bar and one-line errors. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Profile } from '../model/profile.js';
import { UnknownFormatError } from '../formats/errors.js';
import { asCliError } from './errors.js';
import { loadProgress } from './terminal.js';

export async function loadForCli(path: string, options: { format?: string } = {}): Promise<Profile> {
  try {
    const size = (await stat(path)).size;
    const progress = loadProgress(`loading ${basename(path)}`, size);
    try {
      // PyPy side files next to the profile (run.prof.jit, run.pypylog) come along. The readers are
      // loaded here, not at start-up: `--help`, `--version` and usage errors need none of them.
      const { loadWithSideFiles } = await import('../formats/sidefiles.js');
      return await loadWithSideFiles(path, { format: options.format, onProgress: (done, total) => progress.update(done, total) });
    } finally {
      progress.stop();
    }
  } catch (err) {
    throw err instanceof UnknownFormatError ? asCliError(err) : asCliError(err, path);
  }
}
