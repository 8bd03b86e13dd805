/**
 * Every regular-expression literal in our TypeScript sources, for the ReDoS
 * check. esbuild strips the types; a small JavaScript tokenizer then finds the
 * literals (skipping strings, templates and comments, and telling a regex
 * from a division by the token before it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { transformSync } from 'esbuild';

export interface RegexLiteral {
  file: string;
  line: number;
  source: string;
  flags: string;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
  'instanceof',
]);

/** Regex literals in a JavaScript text. */
export function regexLiterals(js: string): { index: number; source: string; flags: string }[] {
  const found: { index: number; source: string; flags: string }[] = [];
  /** Whether a '/' here starts a regex: after an operator, an opening bracket or a keyword, not after a value. */
  let regexAllowed = true;
  const templateDepth: number[] = []; // brace depth at which each open template's ${ resumes
  let braces = 0;
  let i = 0;
  const n = js.length;
  while (i < n) {
    const c = js[i];
    if (c === '/' && js[i + 1] === '/') {
      while (i < n && js[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && js[i + 1] === '*') {
      const end = js.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && js[i] !== c) i += js[i] === '\\' ? 2 : 1;
      i++;
      regexAllowed = false;
      continue;
    }
    if (c === '`' || (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces)) {
      if (c === '}') templateDepth.pop();
      i++;
      while (i < n && js[i] !== '`') {
        if (js[i] === '\\') i += 2;
        else if (js[i] === '$' && js[i + 1] === '{') {
          templateDepth.push(braces);
          i += 2;
          break;
        } else i++;
      }
      if (js[i] === '`') {
        i++;
        regexAllowed = false;
      } else regexAllowed = true;
      continue;
    }
    if (c === '/' && regexAllowed) {
      const start = i;
      let inClass = false;
      i++;
      while (i < n && (js[i] !== '/' || inClass)) {
        if (js[i] === '\\') i++;
        else if (js[i] === '[') inClass = true;
        else if (js[i] === ']') inClass = false;
        else if (js[i] === '\n') throw new Error(`unterminated regex literal at ${start}`);
        i++;
      }
      const source = js.slice(start + 1, i);
      i++;
      const flags = /^[a-z]*/.exec(js.slice(i, i + 8))![0];
      i += flags.length;
      found.push({ index: start, source, flags });
      regexAllowed = false;
      continue;
    }
    if (/[A-Za-z_$0-9]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z_$0-9]/.test(js[i])) i++;
      regexAllowed = KEYWORDS_BEFORE_EXPRESSION.has(js.slice(start, i));
      continue;
    }
    if (c === '{') braces++;
    if (c === '}') braces--;
    if (!/\s/.test(c)) regexAllowed = !(c === ')' || c === ']' || c === '}');
    // `}` ends a block far more often than an object literal divided by something.
    if (c === '}') regexAllowed = true;
    i++;
  }
  return found;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every regex literal in the .ts files under these directories, with its file and line. */
export function regexLiteralsUnder(root: string, dirs: string[]): RegexLiteral[] {
  const all: RegexLiteral[] = [];
  for (const dir of dirs) {
    for (const file of tsFiles(join(root, dir)).sort()) {
      // Types stripped, layout kept as far as esbuild can: the line is found by searching the original for the literal.
      const original = readFileSync(file, 'utf8');
      const js = transformSync(original, { loader: 'ts', target: 'es2022' }).code;
      for (const literal of regexLiterals(js)) {
        const at = original.indexOf(`/${literal.source}/`);
        all.push({
          file: relative(root, file),
          line: at < 0 ? 0 : original.slice(0, at).split('\n').length,
          source: literal.source,
          flags: literal.flags,
        });
      }
    }
  }
  return all;
}
