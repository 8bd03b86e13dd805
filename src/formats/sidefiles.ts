/**
 * PyPy side files: a VMProf profile recorded on PyPy often has company from
 * the same run — the JIT log (`<profile>.jit`, what `vmprof --jitlog` and
 * `pyrometer record --jitlog` write) and the PyPy log (`<profile>.pypylog`,
 * PYPYLOG=gc,jit:…). `loadWithSideFiles` loads the profile and attaches the
 * side files it finds next to it, so every command (show, view, report,
 * convert) sees GC/JIT markers and traces without extra flags.
 *
 * Names looked for, for `dir/run.prof`: run.prof.jit, run.prof.jitlog,
 * run.prof.pypylog, run.jit, run.jitlog, run.pypylog, each also with `.gz`; and the allocation
 * samples of `record --alloc`, run.prof.alloc (attached as `attachments.allocationProfile`).
 * A side file that cannot be read does not stop the profile from loading: it
 * becomes a warning in meta.warnings naming the file and the problem.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Profile } from '../model/profile.js';
import { loadProfile, type LoadOptions } from './load.js';

export type SideFileKind = 'jitlog' | 'pypylog' | 'alloc';

export interface SideFile {
  path: string;
  kind: SideFileKind;
}

export interface SideFileOptions extends LoadOptions {
  /** Look for side files (default true). */
  sideFiles?: boolean;
  /** Told about each side file attached (for "attached run.prof.jit" lines). */
  onSideFile?: (file: SideFile) => void;
}

/** Side-file kind by name, or null: `.jit`/`.jitlog` are JIT logs, `.pypylog` PYPYLOG output (`.gz` allowed). */
export function sideFileKind(path: string): SideFileKind | null {
  const lower = path.toLowerCase().replace(/\.gz$/, '');
  if (lower.endsWith('.jit') || lower.endsWith('.jitlog')) return 'jitlog';
  if (lower.endsWith('.pypylog')) return 'pypylog';
  if (lower.endsWith('.alloc')) return 'alloc';
  return null;
}

/** The side files next to a profile file, at most one of each kind (the first name in the list above wins). */
export function findSideFiles(profilePath: string): SideFile[] {
  const stem = profilePath.replace(/\.(prof|vmprof)(\.gz)?$/i, '');
  const bases = [profilePath.replace(/\.gz$/i, '')];
  if (stem !== bases[0]) bases.push(stem);
  const found = new Map<SideFileKind, SideFile>();
  for (const base of bases) {
    for (const suffix of ['.jit', '.jitlog', '.pypylog', '.alloc']) {
      for (const path of [`${base}${suffix}`, `${base}${suffix}.gz`]) {
        const kind = sideFileKind(path)!;
        if (found.has(kind) || path === profilePath) continue;
        if (existsSync(path) && statSync(path).isFile()) found.set(kind, { path, kind });
      }
    }
  }
  return [...found.values()];
}

async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(path));
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
}

/** Attaches one side file to a profile (returns a new Profile when it adds markers). */
export async function attachSideFile(profile: Profile, file: SideFile): Promise<Profile> {
  const bytes = await readMaybeGzip(file.path);
  // Their readers load only when such a file is there: most profiles come alone (start-up, issue 18).
  if (file.kind === 'jitlog') {
    const { parseJitlog } = await import('./jitlog/index.js');
    return { ...profile, attachments: { ...profile.attachments, jitlog: parseJitlog(bytes) } };
  }
  if (file.kind === 'alloc') {
    const { readAllocations } = await import('./alloc.js');
    return { ...profile, attachments: { ...profile.attachments, allocationProfile: readAllocations(bytes) } };
  }
  const { attachPypyLog, parsePypyLog } = await import('./pypylog/index.js');
  return attachPypyLog(profile, parsePypyLog(bytes));
}

/** Loads a profile and attaches the PyPy side files beside it. */
export async function loadWithSideFiles(path: string, options: SideFileOptions = {}): Promise<Profile> {
  let profile = await loadProfile(path, options);
  // A side file given as the main input is itself the profile: nothing to attach.
  if (options.sideFiles === false || sideFileKind(path) !== null) return profile;
  for (const file of findSideFiles(path)) {
    if (file.kind === 'jitlog' && profile.attachments.jitlog !== undefined) continue;
    try {
      profile = await attachSideFile(profile, file);
      options.onSideFile?.(file);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      profile = {
        ...profile,
        meta: { ...profile.meta, warnings: [...profile.meta.warnings, `${basename(file.path)}: not attached (${reason})`] },
      };
    }
  }
  return profile;
}
