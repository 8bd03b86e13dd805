/**
 * Collapsed ("folded") stacks: flamegraph.pl's input, py-spy `--format raw`,
 * stackcollapse-*.pl output.
 *
 * Layout: one text line per distinct stack, `frame;frame;frame count`, root
 * first, the count after the LAST space (frame names may contain spaces). LF
 * or CRLF endings. No header, no times, no units (counts are samples).
 *
 * Frames written by py-spy look like `name (file:line)` (or `name (file)` with
 * `--nolineno`); those are split into function name, file and line. py-spy's
 * `--threads` / `--subprocesses` add leading `process 123:"cmd"` frames (parents
 * first) and a `thread (0x7F..)` or `thread (0x7F..): name` frame: those become
 * separate threads (of the innermost process), not frames.
 *
 * Invalid lines: like speedscope (whose importer skips any line that does not
 * match `stack count`), the reader skips them, but does not hide it: one
 * warning in meta.warnings says how many lines were skipped and where the
 * first was. `#` comment lines and blank lines are skipped silently. A file
 * with content but no valid line at all is an error, naming the first line.
 *
 * The writer produces flamegraph.pl-compatible lines: integer counts (weights
 * in ms or us that have fractions are scaled to integer us or ns), one line per
 * distinct stack (all threads merged), frames as `name (file:line)` when the
 * file is known so the reader gets the same functions back. `;` and line
 * breaks (U+2028/U+2029 too) inside names become spaces, other control
 * characters U+FFFD: the format cannot escape them.
 */
import { ProfileBuilder } from '../model/builder.js';
import { CATEGORIES, FUNCTION_KINDS, type Category, type FrameIndex, type FunctionKind, type Profile } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format, ReadOptions, WriteOptions } from './registry.js';
import { textLines } from './text-lines.js';
import { collapsedSignature, SAMPLE_LINE } from './signatures/collapsed.js';
export { sniffCollapsed } from './signatures/collapsed.js';

const FORMAT = 'collapsed';

/** py-spy frame: `name (file:line)`. */
const PYSPY_FRAME_WITH_LINE = /^(.*) \(([^()]*):(\d+)\)$/s;
const PYSPY_PROCESS = /^process (\d+):"(.*)"$/;
/** py-spy `--threads`: `thread (0x7F..)`, or `thread (0x7F..): name` when the thread has a name. */
const PYSPY_THREAD = /^thread \((0x[0-9A-Fa-f]+|\d+)\)(?:: (.*))?$/s;

export interface ParsedFrameLabel {
  name: string;
  file: string;
  line: number;
  /** From an annotation suffix (`_[j]`, `_[k]`, ...); undefined when the label has none. */
  category?: Category;
}

/**
 * Frame category annotations at the end of a label. `_[j]` (JIT) and `_[k]` (kernel) are
 * flamegraph.pl's (stackcollapse-perf.pl --all writes them); the others are ours, written only
 * by `collapsedStacks(..., { categories: true })` (stream chunks), so a stored stack keeps PyPy's
 * JIT, GC and native frames apart. A label is annotated only when its category differs from
 * what the reader infers without one (python with a file, other without).
 */
const CATEGORY_SUFFIXES: [string, Category][] = [
  ['_[j]', 'jit'],
  ['_[k]', 'kernel'],
  ['_[gc]', 'gc'],
  ['_[native]', 'native'],
  ['_[idle]', 'idle'],
  ['_[python]', 'python'],
  ['_[other]', 'other'],
];
const SUFFIX_OF = new Map(CATEGORY_SUFFIXES.map(([suffix, category]) => [category, suffix]));

/** The function kind a category implies when the label alone cannot say (kernel code is native code). */
function kindForCategory(category: Category | undefined, file: string): FunctionKind {
  if (category === 'native' || category === 'kernel') return 'native';
  if (category === 'gc') return 'gc';
  if (category === 'jit' && file === '') return 'jit';
  return file === '' ? 'other' : 'python';
}

/** Splits a py-spy style label `name (file:line)`; plain labels keep file '' and line 0. */
/**
 * py-spy frame without line numbers: `name (file)`, where file looks like a path or module
 * file (holds '.' or '/') and has no parentheses. In code: the regex for it was quadratic.
 */
function pyspyFrameWithoutLine(label: string): { name: string; file: string; line: number } | null {
  if (!label.endsWith(')')) return null;
  const open = label.lastIndexOf('(');
  if (open < 2 || label[open - 1] !== ' ') return null;
  const file = label.slice(open + 1, -1);
  if (file.includes(')') || !(file.includes('.') || file.includes('/'))) return null;
  return { name: label.slice(0, open - 1), file, line: 0 };
}

/** `text` without trailing spaces and tabs (`/[ \t]+$/` is quadratic on a long run of blanks followed by anything else). */
function trimBlanksEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end === text.length ? text : text.slice(0, end);
}

export function parseFrameLabel(label: string): ParsedFrameLabel {
  if (label.endsWith(']')) {
    for (const [suffix, category] of CATEGORY_SUFFIXES) {
      if (label.length > suffix.length && label.endsWith(suffix)) return { ...parseFrameLabel(label.slice(0, -suffix.length)), category };
    }
  }
  let m = PYSPY_FRAME_WITH_LINE.exec(label);
  if (m && m[1] !== '') return { name: m[1], file: m[2], line: Number(m[3]) };
  const noLine = pyspyFrameWithoutLine(label);
  if (noLine) return noLine;
  return { name: label === '' ? '[unknown]' : label, file: '', line: 0 };
}

export function readCollapsed(bytes: Uint8Array, _options: ReadOptions = {}): Profile {
  const builder = new ProfileBuilder(FORMAT, { weightUnit: 'samples' });
  const frameByLabel = new Map<string, FrameIndex>();
  const frameOf = (label: string): FrameIndex => {
    let frame = frameByLabel.get(label);
    if (frame === undefined) {
      const { name, file, line, category } = parseFrameLabel(label);
      // py-spy labels carry the line being executed; the function's first line is unknown.
      const func = builder.func(name, file, 0, kindForCategory(category, file));
      frame = builder.frame(func, line, category);
      frameByLabel.set(label, frame);
    }
    return frame;
  };
  const threadTime: number[] = [];
  let defaultThread = -1;
  let invalid = 0;
  let firstInvalid: { lineNumber: number; offset: number; text: string } | null = null;
  let samples = 0;
  let hugeCount = false;

  for (const { text, lineNumber, offset } of textLines(bytes)) {
    // Only trailing blanks go: a leading tab or space may belong to a frame name.
    const trimmed = trimBlanksEnd(text);
    if (trimmed.trim() === '' || trimmed.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(trimmed);
    const count = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(count)) {
      invalid++;
      firstInvalid ??= { lineNumber, offset, text: trimmed };
      continue;
    }
    if (count > Number.MAX_SAFE_INTEGER) hugeCount = true;
    samples++;
    if (count === 0) continue;
    const labels = m[1].split(';');
    let first = 0;
    let processId = '';
    let processName = '';
    let threadId = '';
    let threadName = '';
    // `--subprocesses` writes the parent processes first, then the sampled process.
    for (let pm = PYSPY_PROCESS.exec(labels[0]); pm && first < labels.length - 1; pm = PYSPY_PROCESS.exec(labels[first])) {
      processId = pm[1];
      processName = pm[2];
      first++;
    }
    const tm = labels.length > first + 1 ? PYSPY_THREAD.exec(labels[first]) : null;
    if (tm) {
      threadId = tm[1];
      threadName = tm[2] ?? '';
      first++;
    }
    let thread: number;
    if (processId === '' && threadId === '') {
      if (defaultThread < 0) defaultThread = builder.thread('main', 'main');
      thread = defaultThread;
    } else {
      thread = builder.thread(threadId || 'main', threadName || processName || threadId, processId);
    }
    let stack = -1;
    for (let i = first; i < labels.length; i++) stack = builder.stack(stack, frameOf(labels[i]));
    const time = threadTime[thread] ?? 0;
    builder.addSample(thread, stack, time, count);
    threadTime[thread] = time + count;
  }

  if (samples === 0 && firstInvalid) {
    throw new ProfileFormatError(
      FORMAT,
      `expected "frame;frame;... count", found ${JSON.stringify(firstInvalid.text.slice(0, 80))}`,
      firstInvalid.offset,
      firstInvalid.lineNumber,
    );
  }
  if (samples === 0) builder.warn('no samples: the input is empty');
  if (invalid > 0 && firstInvalid) {
    builder.warn(
      `skipped ${invalid} line${invalid === 1 ? '' : 's'} that ${invalid === 1 ? 'is' : 'are'} not "frames count" (first at line ${firstInvalid.lineNumber})`,
    );
  }
  if (hugeCount) builder.warn('some counts exceed 2^53 and were rounded');
  return builder.build();
}

/** Makes a label safe for the one-line, `;`-separated format (JS readers such as speedscope also break lines at U+2028/U+2029). */
function cleanLabel(s: string): string {
  // Control characters would also make the output look binary to sniffers: U+FFFD marks them.
  return s.replace(/[;\r\n\u2028\u2029\u0085]/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}

/**
 * The collapsed label of a frame: `name (file:line)` when the file is known, else the name;
 * with `categories`, followed by the frame's category annotation when the reader could not infer it.
 */
export function frameLabel(profile: Profile, frame: FrameIndex, categories = false): string {
  const func = profile.frames.func[frame];
  const name = profile.strings[profile.funcs.name[func]];
  const fileIndex = profile.funcs.file[func];
  let label: string;
  if (fileIndex < 0) label = cleanLabel(name === '' ? '[unknown]' : name);
  else {
    const line = profile.frames.line[frame] || profile.funcs.line[func];
    const file = profile.strings[fileIndex].replace(/[()]/g, '_');
    label = cleanLabel(`${name} (${file}${line > 0 ? `:${line}` : ''})`);
  }
  if (!categories) return label;
  const category = CATEGORIES[profile.frames.category[frame]];
  const kind = FUNCTION_KINDS[profile.funcs.kind[func]];
  const inferred = fileIndex < 0 ? 'other' : 'python';
  // Annotated when the category, or the kind it implies, is not what the bare label reads back as.
  if (category === inferred && kind === inferred) return label;
  return label + SUFFIX_OF.get(category)!;
}

/** Scale so that every weight becomes an integer: fractional ms become us, fractional us become ns. */
function integerScale(profile: Profile, threads: number[]): number {
  let fractional = false;
  for (const t of threads) {
    const w = profile.threads[t].samples.weight;
    for (let i = 0; i < w.length && !fractional; i++) if (!Number.isInteger(w[i])) fractional = true;
  }
  if (!fractional) return 1;
  return profile.meta.weightUnit === 'ms' || profile.meta.weightUnit === 'us' ? 1000 : 1;
}

/** Every stack with weight, as collapsed text (`a;b;c`) and its summed weight over the given threads (all by default). */
export function collapsedStacks(
  profile: Profile,
  threads: number[] = profile.threads.map((_, i) => i),
  options: { categories?: boolean } = {},
): { stack: string; weight: number }[] {
  const weights = new Float64Array(profile.stacks.length);
  for (const t of threads) {
    const { stack, weight } = profile.threads[t].samples;
    for (let i = 0; i < stack.length; i++) if (stack[i] >= 0) weights[stack[i]] += weight[i];
  }
  // Labels of each stack, built parents first (prefix < stack) without recursion.
  const labels = new Array<string>(profile.stacks.length);
  const out: { stack: string; weight: number }[] = [];
  for (let s = 0; s < profile.stacks.length; s++) {
    const prefix = profile.stacks.prefix[s];
    const label = frameLabel(profile, profile.stacks.frame[s], options.categories);
    labels[s] = prefix < 0 ? label : `${labels[prefix]};${label}`;
    if (weights[s] > 0) out.push({ stack: labels[s], weight: weights[s] });
  }
  return out;
}

export function writeCollapsed(profile: Profile, options: WriteOptions = {}): string {
  const threads = options.threads ?? profile.threads.map((_, i) => i);
  const scale = integerScale(profile, threads);
  const out: string[] = [];
  for (const { stack, weight } of collapsedStacks(profile, threads)) {
    const count = Math.round(weight * scale);
    if (count > 0) out.push(`${stack} ${count}\n`);
  }
  return out.join('');
}

export const collapsedFormat: Format = {
  ...collapsedSignature,
  read: (bytes, options) => readCollapsed(bytes, options),
  write: (profile, options) => writeCollapsed(profile, options),
};
