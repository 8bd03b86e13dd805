/**
 * Which file names the source view may read: names of files a profiled program
 * runs from (Python, Cython, C/C++, Rust, JS). A profile is data from someone
 * else; it could name ~/.ssh/id_rsa as a "file", and `pyrometer report` embeds
 * what the source view reads, so only source files qualify. Pure: the viewer
 * uses the same rule to explain why it shows nothing.
 */
import type { Profile } from './profile.js';

const SOURCE_FILE = /\.(py|pyw|pyi|pyx|pxd|pxi|c|h|cc|cpp|cxx|hh|hpp|rs|js|mjs|ts)$/i;

export function isSourceFileName(path: string): boolean {
  return SOURCE_FILE.test(path);
}

/** The source files a profile names: the only paths its source view may read. */
export function profileFiles(profile: Profile): Set<string> {
  const files = new Set<string>();
  for (let f = 0; f < profile.funcs.length; f++) {
    const s = profile.funcs.file[f];
    if (s >= 0 && isSourceFileName(profile.strings[s])) files.add(profile.strings[s]);
  }
  return files;
}
