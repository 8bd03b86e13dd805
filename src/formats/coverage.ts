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

/** Path components, either separator, without empty ones and `.`. */
function components(path: string): string[] {
  return path.split(/[\\/]+/).filter((c) => c !== '' && c !== '.');
}

/**
 * Line execution counts of one source file from a coverage profile (gcov, lcov), for the source
 * view of another profile of the same program (perf, callgrind): null when `coverage` is not a
 * coverage profile or has no such file. The file is matched by path, else by the longest common
 * tail of path components (a build directory and a profile's relative path name the same file),
 * at least the file name; a tie between two coverage files is no match.
 */
export function coverageCounts(coverage: Profile, path: string): Map<number, number> | null {
  if (!coverage.meta.flags.includes('coverage') || path === '') return null;
  const wanted = components(path);
  const files = new Set<number>();
  for (let f = 0; f < coverage.funcs.length; f++) if (coverage.funcs.file[f] >= 0) files.add(coverage.funcs.file[f]);
  let best = -1;
  let bestTail = 0;
  let tie = false;
  for (const file of files) {
    const text = coverage.strings[file];
    if (text === path) {
      best = file;
      tie = false;
      break;
    }
    const have = components(text);
    let tail = 0;
    while (tail < have.length && tail < wanted.length && have[have.length - 1 - tail] === wanted[wanted.length - 1 - tail]) tail++;
    if (tail > bestTail) {
      best = file;
      bestTail = tail;
      tie = false;
    } else if (tail === bestTail && tail > 0) tie = true;
  }
  if (best < 0 || tie) return null;
  const counts = new Map<number, number>();
  const { stacks, frames, funcs } = coverage;
  for (const thread of coverage.threads) {
    const { stack, weight } = thread.samples;
    for (let i = 0; i < stack.length; i++) {
      if (stack[i] < 0) continue;
      const frame = stacks.frame[stack[i]];
      if (funcs.file[frames.func[frame]] !== best) continue;
      const line = frames.line[frame];
      counts.set(line, (counts.get(line) ?? 0) + weight[i]);
    }
  }
  return counts;
}
