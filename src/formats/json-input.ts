/**
 * JSON input for the JSON-based formats (speedscope, Chrome .cpuprofile):
 * parse with the platform's JSON.parse, and when that fails, find the byte
 * offset of the first syntax error with a small iterative scanner (JSON.parse's
 * messages do not always carry one, and they quote the input, which may be
 * hostile). Shape checks name the JSON path of the offending value.
 */
import { ProfileFormatError } from './errors.js';

/** A value of the wrong type or shape; readers turn it into a ProfileFormatError naming the path. */
export class JsonShapeError extends Error {}

/** Runs a reader's body, turning a JsonShapeError (a value of the wrong shape) into the format's one-line error. */
export function withShapeErrors<T>(format: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof JsonShapeError) throw new ProfileFormatError(format, e.message);
    throw e;
  }
}

const decoder = new TextDecoder('utf-8');

export function parseJsonProfile(format: string, bytes: Uint8Array): unknown {
  const text = decoder.decode(bytes);
  if (text.trim() === '') throw new ProfileFormatError(format, 'empty input, expected a JSON document', 0);
  try {
    return JSON.parse(text);
  } catch {
    const { offset, expected } = jsonSyntaxError(text);
    throw new ProfileFormatError(format, `invalid JSON: ${expected}`, utf8Offset(text, offset));
  }
}

function utf8Offset(text: string, charOffset: number): number {
  return new TextEncoder().encode(text.slice(0, charOffset)).length;
}

/**
 * Where a JSON text first goes wrong (character offset) and what was expected
 * there. Iterative, so deeply nested input cannot overflow the call stack.
 */
export function jsonSyntaxError(text: string): { offset: number; expected: string } {
  const containers: string[] = []; // '{' or '['
  // What may come next: 'value', 'key' (or '}' right after '{'), 'colon', 'comma' (or close), 'end'
  type State = 'value' | 'first-value' | 'key' | 'first-key' | 'colon' | 'after-value' | 'end';
  let state = 'value' as State;
  let i = 0;
  const n = text.length;
  const fail = (expected: string) => ({
    offset: i,
    expected: i >= n ? `unexpected end of input, expected ${expected}` : `expected ${expected}`,
  });
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const afterValue = () => {
    state = containers.length === 0 ? 'end' : 'after-value';
  };
  const scanString = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  for (;;) {
    skipSpace();
    state = state as State; // assigned in afterValue(), which the compiler's narrowing does not see
    if (state === 'end') return i < n ? fail('end of input') : { offset: i, expected: 'valid JSON' };
    if (i >= n) return fail(state === 'colon' ? "':'" : state === 'after-value' ? "',' or a closing bracket" : 'a value');
    const c = text[i];
    if (state === 'value' || state === 'first-value') {
      if (state === 'first-value' && c === ']') {
        containers.pop();
        i++;
        afterValue();
        continue;
      }
      if (c === '{') {
        containers.push('{');
        i++;
        state = 'first-key';
        continue;
      }
      if (c === '[') {
        containers.push('[');
        i++;
        state = 'first-value';
        continue;
      }
      if (c === '"') {
        if (!scanString()) return fail('a valid string');
        afterValue();
        continue;
      }
      const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
      if (!literal) return fail('a value');
      i += literal[0].length;
      afterValue();
      continue;
    }
    if (state === 'key' || state === 'first-key') {
      if (state === 'first-key' && c === '}') {
        containers.pop();
        i++;
        afterValue();
        continue;
      }
      if (c !== '"') return fail('a quoted key');
      if (!scanString()) return fail('a valid string');
      state = 'colon';
      continue;
    }
    if (state === 'colon') {
      if (c !== ':') return fail("':'");
      i++;
      state = 'value';
      continue;
    }
    // after-value
    const top = containers[containers.length - 1];
    if (c === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
      continue;
    }
    if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
      containers.pop();
      i++;
      afterValue();
      continue;
    }
    return fail(top === '{' ? "',' or '}'" : "',' or ']'");
  }
}

export function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JsonShapeError(`${path}: expected an object, found ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new JsonShapeError(`${path}: expected an array, found ${describe(value)}`);
  return value;
}

export function asNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new JsonShapeError(`${path}: expected a number, found ${describe(value)}`);
  return value;
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new JsonShapeError(`${path}: expected a string, found ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}
