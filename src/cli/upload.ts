/**
 * `pyrometer upload FILE… --server URL`: sends profiles of any readable format
 * to a `pyrometer serve`, each with its PyPy side files (`x.prof.jit`,
 * `x.pypylog`, found beside it or named on the command line), and prints
 * each profile's link.
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RegisterCommand } from './commands.js';
import { asCliError, CliError } from './errors.js';
import { sanitize } from '../report/text.js';
import { findSideFiles, sideFileKind, uploadProfileFile, UploadClientError, type UploadTarget } from '../server/client.js';

/** Pairs profiles with their side files: named ones go with the profile whose name they extend. */
export function planUploads(files: string[]): { file: string; sideFiles: string[] }[] {
  const profiles = files.filter((f) => sideFileKind(f) === null);
  const named = files.filter((f) => sideFileKind(f) !== null);
  const plan = profiles.map((file) => ({ file, sideFiles: findSideFiles(file) }));
  for (const side of named) {
    const owner =
      plan
        .filter((p) => resolve(side).startsWith(resolve(p.file).replace(/\.(prof|vmprof)$/i, '')))
        .sort((a, b) => b.file.length - a.file.length)[0] ?? (plan.length === 1 ? plan[0] : undefined);
    if (!owner) throw new CliError(`${side} is a PyPy side file: upload it together with its profile (pyrometer upload x.prof ${side})`, 2);
    if (!owner.sideFiles.some((s) => resolve(s) === resolve(side))) owner.sideFiles.push(side);
  }
  return plan;
}

export async function uploadFiles(
  files: string[],
  target: UploadTarget,
  name?: string,
  log = (s: string) => process.stdout.write(s),
): Promise<number> {
  const plan = planUploads(files);
  let failures = 0;
  for (const { file, sideFiles } of plan) {
    try {
      for (const f of [file, ...sideFiles]) {
        const info = statSync(f);
        if (!info.isFile()) throw Object.assign(new Error(`${f}: is a directory`), { code: 'EISDIR', path: f });
      }
      const uploaded = await uploadProfileFile(target, file, { name: plan.length === 1 ? name : undefined, sideFiles });
      const extra = uploaded.sideFiles.length ? ` + ${uploaded.sideFiles.length} side file${uploaded.sideFiles.length > 1 ? 's' : ''}` : '';
      log(`${sanitize(file)}${extra}: ${sanitize(uploaded.url)}\n`);
    } catch (err) {
      failures++;
      const message = err instanceof UploadClientError ? `${file}: ${err.message}` : asCliError(err, file).message;
      process.stderr.write(`pyrometer: ${sanitize(message)}\n`);
    }
  }
  return failures;
}

export const registerUpload: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('upload')
    .description('upload profiles (any format pyrometer reads) with their PyPy side files to a `pyrometer serve`')
    .argument('<files...>', 'profile files; PyPy side files (.jit, .pypylog) go with their profile')
    .requiredOption('--server <url>', 'the server, e.g. http://127.0.0.1:8000 (env PYROMETER_SERVER)', process.env.PYROMETER_SERVER)
    .option('--token <token>', 'upload token (env PYROMETER_TOKEN)', process.env.PYROMETER_TOKEN)
    .option('--name <name>', 'name shown in the list (default: the file name; only with one file)')
    .action(async (files: string[], opts: { server: string; token?: string; name?: string }) => {
      const failures = await uploadFiles(files, { server: opts.server, token: opts.token }, opts.name);
      if (failures > 0) setExitCode(1);
    });
};

/**
 * `pyrometer record --upload URL`: sends the fresh recording with the side
 * files it wrote, named after the command line (as vmprof names runs by argv).
 * Reports on stderr, beside record's own summary. Returns true when it worked.
 */
export async function uploadRecording(
  recording: { profilePath: string; jitlogPath: string | null; pypylogPath: string | null },
  target: UploadTarget,
  name: string,
): Promise<boolean> {
  const sideFiles = [recording.jitlogPath, recording.pypylogPath].filter((p): p is string => p !== null);
  try {
    const uploaded = await uploadProfileFile(target, recording.profilePath, { name: name.slice(0, 255), sideFiles });
    process.stderr.write(`pyrometer: uploaded: ${sanitize(uploaded.url)}\n`);
    return true;
  } catch (err) {
    const message = err instanceof UploadClientError ? err.message : asCliError(err, recording.profilePath).message;
    process.stderr.write(`pyrometer: --upload failed (the profile is kept in ${sanitize(recording.profilePath)}): ${sanitize(message)}\n`);
    return false;
  }
}
