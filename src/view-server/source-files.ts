/**
 * Which file names the source view may read: names of files a profiled program
 * runs from (Python, Cython, C/C++, Rust, JS). A profile is data from someone
 * else; it could name ~/.ssh/id_rsa as a "file", and `pyrometer report` embeds
 * what the source view reads, so only source files qualify. Pure: the viewer
 * uses the same rule to explain why it shows nothing.
 */
const SOURCE_FILE = /\.(py|pyw|pyi|pyx|pxd|pxi|c|h|cc|cpp|cxx|hh|hpp|rs|js|mjs|ts)$/i;

export function isSourceFileName(path: string): boolean {
  return SOURCE_FILE.test(path);
}
