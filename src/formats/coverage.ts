/**
 * What the gcov and lcov readers share: line execution counts become a profile
 * whose samples are lines (one single-frame sample per executed line, weighing
 * its count, unit "events"), grouped into functions by their first lines. The
 * source view then shows the counts as heat, beside perf or callgrind profiles
 * of the same interpreter run (the "profile the interpreter" workflow).
 */
import { ProfileBuilder } from '../model/builder.js';
import type { FunctionKind, Profile } from '../model/profile.js';

export interface CoverageFile {
  path: string;
  /** Functions by first line (lcov FN, gcov "function" lines); may be empty. */
  functions: { name: string; line: number }[];
  /** Executed lines: line number -> execution count (lines never run are left out). */
  lines: Map<number, number>;
}

function kindOf(path: string): FunctionKind {
  return /\.py[iwx]?$/i.test(path) ? 'python' : 'native';
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

export function coverageProfile(format: string, files: CoverageFile[], warnings: string[] = []): Profile {
  const b = new ProfileBuilder(format, { weightUnit: 'events', flags: ['lines', 'coverage'] });
  const thread = b.thread('coverage', 'line executions');
  for (const file of files) {
    const kind = kindOf(file.path);
    const functions = [...file.functions].sort((x, y) => x.line - y.line);
    // Lines before the first function (or a file without function records) belong to the file itself.
    const outside = b.func(`<${baseName(file.path)}>`, file.path, 0, kind);
    const funcIds = functions.map((f) => b.func(f.name, file.path, f.line, kind));
    const lines = [...file.lines].filter(([, count]) => count > 0).sort((x, y) => x[0] - y[0]);
    let k = -1;
    for (const [line, count] of lines) {
      while (k + 1 < functions.length && functions[k + 1].line <= line) k++;
      const frame = b.frame(k < 0 ? outside : funcIds[k], line);
      b.addSample(thread, b.stackOf([frame]), 0, count); // no timeline: counts, not samples in time
    }
  }
  for (const w of warnings) b.warn(w);
  return b.build();
}
