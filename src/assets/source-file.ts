/**
 * Reading a source file a profile names, for the view server's source view
 * and the HTML report. A profile is someone else's data: it may name
 * `link.py`, a symbolic link to ~/.ssh/id_rsa, or a relative name meant to
 * be read from wherever the user happens to run pyrometer. So: links are
 * followed only to files that are themselves source files, and relative
 * names are looked up beside the profile file, never in the current directory.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

export type SourceRead = { text: string; size: number } | { unavailable: string };

/**
 * `baseDir`: where relative names are looked up (the profile file's directory); none means they are not read.
 * `isSourceFileName`: the rule for names that may be read (model/source-files.ts; assets/ imports nothing of ours).
 */
export async function readSourceFile(
  file: string,
  baseDir: string | undefined,
  maxBytes: number,
  isSourceFileName: (path: string) => boolean,
): Promise<SourceRead> {
  if (!isSourceFileName(file)) return { unavailable: `${file} is not a source file name` };
  if (!isAbsolute(file) && baseDir === undefined)
    return { unavailable: `${file} is a relative name and the profile's directory is not known` };
  const named = resolve(baseDir ?? '/', file);
  let target: string;
  try {
    target = await realpath(named);
  } catch {
    return { unavailable: `${file} is not readable on this machine (recorded elsewhere, moved or deleted)` };
  }
  if (!isSourceFileName(target)) return { unavailable: `${file} is a link to a file that is not source code` };
  try {
    const info = await stat(target);
    if (!info.isFile()) return { unavailable: `${file} is not a regular file on this machine` };
    if (info.size > maxBytes) return { unavailable: `${file} is too large to show (${info.size} bytes)` };
    return { text: await readFile(target, 'utf8'), size: info.size };
  } catch {
    return { unavailable: `${file} is not readable on this machine (recorded elsewhere, moved or deleted)` };
  }
}
