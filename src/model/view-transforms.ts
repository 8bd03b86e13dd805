/**
 * Transforms as people write them: the viewer's URL (`#tf=focus:12~merge:3`), `pyrometer diff
 * --transform` and the server's compare route (`?tf=`) share this one syntax. Each transform is
 * `code:argument`, joined by `~`:
 *
 *   focus:F  merge:F  rec:F  drop:F   focus on / merge / collapse recursion of / drop function F
 *   cat:C    only frames of category C (a number, or a name: python, native, jit, gc...)
 *   mod:M    collapse module M (a file: its number in the string table, or a path or path suffix)
 *   mcn:F.F.F  merge the call node at this root-first path of functions (numbers)
 *   stdlib   hide the standard library
 *
 * A function F is its number in the profile's function table (what the viewer's links hold), or,
 * given a profile to resolve against, its name (`focus:parse`; a name several functions share
 * is an error listing their numbers).
 */
import { CATEGORIES, funcFile, funcName, moduleOf, type Profile } from './profile.js';
import type { Transform } from './transforms.js';

/**
 * A transform as the viewer keeps it: the model's, less those only code uses (the sandwich's focus
 * and cut, drop-below, merge by file pattern); `hide-stdlib` expands to merges (toModelTransforms).
 */
export type ViewTransform =
  | Exclude<Transform, { type: 'focus-subtree' | 'cut-below' | 'drop-below' | 'merge-files' }>
  | { type: 'hide-stdlib' };

/** Files of the Python standard library (CPython and PyPy layouts), not site-packages. */
export const STDLIB_PATTERN = String.raw`(^|[\\/])(lib-python[\\/][\d.]+|lib_pypy|(?:pypy|python)\d(\.\d+)?)[\\/](?!site-packages|dist-packages)|^<frozen `;

export function toModelTransforms(transforms: readonly ViewTransform[]): Transform[] {
  return transforms.map((t) => (t.type === 'hide-stdlib' ? { type: 'merge-files', pattern: STDLIB_PATTERN } : t));
}

const TRANSFORM_CODES: Record<string, ViewTransform['type']> = {
  focus: 'focus-function',
  merge: 'merge-function',
  rec: 'collapse-recursion',
  drop: 'drop-function',
  cat: 'focus-category',
  mod: 'collapse-module',
  mcn: 'merge-call-node',
  stdlib: 'hide-stdlib',
};

export function transformCode(t: ViewTransform): string {
  switch (t.type) {
    case 'focus-function':
      return `focus:${t.func}`;
    case 'merge-function':
      return `merge:${t.func}`;
    case 'collapse-recursion':
      return `rec:${t.func}`;
    case 'drop-function':
      return `drop:${t.func}`;
    case 'focus-category':
      return `cat:${t.category}`;
    case 'collapse-module':
      return `mod:${t.file}`;
    case 'merge-call-node':
      return `mcn:${t.path.join('.')}`;
    case 'hide-stdlib':
      return 'stdlib';
  }
}

/** The URL form: `focus:12~merge:3`. */
export function encodeTransforms(transforms: readonly ViewTransform[]): string {
  return transforms.map(transformCode).join('~');
}

function nonNegativeInt(s: string): number | null {
  return /^\d{1,9}$/.test(s) ? Number(s) : null;
}

/** The function a name or number stands for in `profile`; an Error saying what exists otherwise. */
function resolveFunction(profile: Profile, arg: string): number | Error {
  const n = nonNegativeInt(arg);
  if (n !== null)
    return n < profile.funcs.length ? n : new Error(`there is no function number ${n} (the profile has ${profile.funcs.length})`);
  const found: number[] = [];
  for (let f = 0; f < profile.funcs.length; f++) if (funcName(profile, f) === arg) found.push(f);
  if (found.length === 1) return found[0];
  if (found.length === 0) return new Error(`no function is named "${arg}"`);
  const where = found.slice(0, 5).map((f) => `${f} (${funcFile(profile, f) || 'no file'}:${profile.funcs.line[f]})`);
  return new Error(
    `${found.length} functions are named "${arg}": give one's number instead (${where.join(', ')}${found.length > 5 ? ', …' : ''})`,
  );
}

/** A file by its string number, its path, or the end of its path (`mod:json/decoder.py`). */
function resolveFile(profile: Profile, arg: string): number | Error {
  const n = nonNegativeInt(arg);
  if (n !== null) return n < profile.strings.length ? n : new Error(`there is no file number ${n}`);
  const files = new Set<number>();
  for (let f = 0; f < profile.funcs.length; f++) if (profile.funcs.file[f] >= 0) files.add(profile.funcs.file[f]);
  const matching = [...files].filter(
    (s) => profile.strings[s] === arg || profile.strings[s].endsWith(`/${arg}`) || profile.strings[s].endsWith(`\\${arg}`),
  );
  if (matching.length === 1) return matching[0];
  return new Error(
    matching.length === 0 ? `no file is named "${arg}"` : `${matching.length} files end with "${arg}": give more of the path`,
  );
}

/**
 * Reads `focus:12~merge:3`. Without a profile (the viewer reading its URL), arguments are numbers and
 * a malformed part is skipped; with one, names resolve and every problem is an Error (`errors`).
 */
export function decodeTransforms(text: string, profile?: Profile): { transforms: ViewTransform[]; errors: Error[] } {
  const transforms: ViewTransform[] = [];
  const errors: Error[] = [];
  for (const part of text.split('~')) {
    if (part === '') continue;
    const colon = part.indexOf(':');
    const code = colon < 0 ? part : part.slice(0, colon);
    const arg = colon < 0 ? '' : part.slice(colon + 1);
    const type = TRANSFORM_CODES[code];
    const fail = (why: string) => errors.push(new Error(`transform "${part}": ${why}`));
    if (!type) {
      fail(`unknown; one of ${Object.keys(TRANSFORM_CODES).join(', ')}`);
      continue;
    }
    if (type === 'hide-stdlib') {
      transforms.push({ type });
      continue;
    }
    if (type === 'merge-call-node') {
      // path elements are numbers: names may hold the dots that separate them
      const path = arg.split('.').map((x) => nonNegativeInt(x));
      if (arg === '' || path.some((x) => x === null)) fail('takes a path of function numbers, root first: mcn:3.7.12');
      else if (profile && path.some((x) => x! >= profile.funcs.length)) fail(`the profile has ${profile.funcs.length} functions`);
      else transforms.push({ type, path: path as number[] });
      continue;
    }
    let n: number | Error | null;
    if (type === 'focus-category') {
      const byName = CATEGORIES.indexOf(arg as (typeof CATEGORIES)[number]);
      n = byName >= 0 ? byName : nonNegativeInt(arg);
      if (n !== null && n >= CATEGORIES.length) n = null;
      if (n === null) n = new Error(`takes a category: ${CATEGORIES.join(', ')}`);
    } else if (!profile) n = nonNegativeInt(arg);
    else n = type === 'collapse-module' ? resolveFile(profile, arg) : resolveFunction(profile, arg);
    if (n === null) fail('takes a number');
    else if (n instanceof Error) fail(n.message);
    else if (type === 'focus-category') transforms.push({ type, category: n });
    else if (type === 'collapse-module') transforms.push({ type, file: n });
    else transforms.push({ type, func: n });
  }
  return { transforms, errors };
}

/** A transform in words, with the profile's names: "Focus: parse". */
export function transformLabel(p: Profile, t: ViewTransform): string {
  const name = (f: number) => (f >= 0 && f < p.funcs.length ? funcName(p, f) : `#${f}`);
  switch (t.type) {
    case 'focus-function':
      return `Focus: ${name(t.func)}`;
    case 'merge-function':
      return `Merge: ${name(t.func)}`;
    case 'collapse-recursion':
      return `Collapse recursion: ${name(t.func)}`;
    case 'drop-function':
      return `Drop: ${name(t.func)}`;
    case 'focus-category':
      return `Only ${CATEGORIES[t.category] ?? `category ${t.category}`} frames`;
    case 'collapse-module':
      return `Collapse module: ${t.file >= 0 && t.file < p.strings.length ? moduleOf(p, fileFunc(p, t.file)) : `#${t.file}`}`;
    case 'merge-call-node':
      return `Merge call node: ${t.path.map(name).join(' → ')}`;
    case 'hide-stdlib':
      return 'Standard library hidden';
  }
}

/** A function of the given file (for naming a module by one of its functions). */
function fileFunc(p: Profile, file: number): number {
  for (let f = 0; f < p.funcs.length; f++) if (p.funcs.file[f] === file) return f;
  return 0;
}

/** For JSON answers: each transform's code (numbers, as in the viewer's links) and its words. */
export function describeTransforms(p: Profile, transforms: readonly ViewTransform[]): { code: string; label: string }[] {
  return transforms.map((t) => ({ code: transformCode(t), label: transformLabel(p, t) }));
}
