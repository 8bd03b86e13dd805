/**
 * VMProf's code names, `lang:name:line:file`: `py:` Python code, `n:` native symbols; the
 * legacy JSON upload also has `jit:` and `cpython:`/`pypy:`. The one parser of them, used by
 * the binary reader, the legacy JSON reader and `record`'s agent stripping.
 */
export interface NameParts {
  /** 'other' when the language is none of these: then `name` is the whole text. */
  kind: 'python' | 'native' | 'jit' | 'other';
  name: string;
  line: number;
  file: string;
}

const KIND_OF_LANG: Record<string, NameParts['kind']> = { py: 'python', cpython: 'python', pypy: 'python', n: 'native', jit: 'jit' };

/** Splits `py:func:line:file` / `n:symbol:line:file` (the file may contain ':'; `-` is no file). */
export function parseCodeName(text: string): NameParts {
  const a = text.indexOf(':');
  const b = a < 0 ? -1 : text.indexOf(':', a + 1);
  const c = b < 0 ? -1 : text.indexOf(':', b + 1);
  if (a < 0 || b < 0) return { kind: 'other', name: text, line: 0, file: '' };
  const lang = text.slice(0, a);
  const name = text.slice(a + 1, b);
  const lineText = c < 0 ? text.slice(b + 1) : text.slice(b + 1, c);
  let file = c < 0 ? '' : text.slice(c + 1);
  const line = /^\d+$/.test(lineText) ? Math.min(Number(lineText), 0x7fffffff) : 0;
  if (file === '-') file = '';
  const kind = Object.hasOwn(KIND_OF_LANG, lang) ? KIND_OF_LANG[lang] : 'other';
  return { kind, name: kind === 'other' ? text : name, line, file };
}
