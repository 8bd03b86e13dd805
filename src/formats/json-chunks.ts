/**
 * JSON text in pieces, for writers whose output can outgrow one string.
 *
 * A writer builds an ordinary object tree for the small parts of its output
 * and puts a `JsonColumn` wherever a long array goes (millions of samples);
 * `jsonChunks` serializes the tree and yields the text about every
 * `chunkChars` characters, asking a column for one element at a time. Peak
 * memory is then the model plus one chunk, not the model plus the whole text.
 */

/** A long JSON array produced lazily: `item(i)` returns element i as JSON text. */
export class JsonColumn {
  constructor(
    readonly length: number,
    readonly item: (index: number) => string,
  ) {}
}

/** JSON text for a number rounded to `decimals` places (no "1.0000000002" noise, no exponent surprises). */
export function jsonNumber(value: number, decimals = 4): string {
  if (!Number.isFinite(value)) return 'null';
  if (Number.isInteger(value)) return String(value);
  const scale = 10 ** decimals;
  return String(Math.round(value * scale) / scale);
}

/** A column of numbers from a typed or plain array, with `null` for values `isNull` picks. */
export function numberColumn(
  values: ArrayLike<number>,
  length = values.length,
  decimals = 4,
  isNull?: (value: number) => boolean,
): JsonColumn {
  return new JsonColumn(length, (i) => (isNull && isNull(values[i]) ? 'null' : jsonNumber(values[i], decimals)));
}

/** A column repeating one JSON value. */
export function constantColumn(length: number, value: unknown): JsonColumn {
  const text = JSON.stringify(value);
  return new JsonColumn(length, () => text);
}

/** Serializes `value` (plain JSON data plus JsonColumns) and yields the text in pieces. */
export function* jsonChunks(value: unknown, chunkChars = 1 << 16): Generator<string> {
  let buffer = '';
  function* emit(v: unknown): Generator<string> {
    if (v instanceof JsonColumn) {
      buffer += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) buffer += ',';
        buffer += v.item(i);
        if (buffer.length >= chunkChars) {
          yield buffer;
          buffer = '';
        }
      }
      buffer += ']';
    } else if (Array.isArray(v)) {
      buffer += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) buffer += ',';
        yield* emit(v[i] === undefined ? null : v[i]);
      }
      buffer += ']';
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      buffer += '{';
      let first = true;
      for (const [key, child] of Object.entries(v)) {
        if (child === undefined) continue;
        if (!first) buffer += ',';
        first = false;
        buffer += JSON.stringify(key) + ':';
        yield* emit(child);
      }
      buffer += '}';
    } else if (ArrayBuffer.isView(v)) {
      yield* emit(new JsonColumn((v as unknown as ArrayLike<number>).length, (i) => jsonNumber((v as unknown as ArrayLike<number>)[i])));
    } else {
      buffer += JSON.stringify(v) ?? 'null';
    }
    if (buffer.length >= chunkChars) {
      yield buffer;
      buffer = '';
    }
  }
  yield* emit(value);
  if (buffer.length > 0) yield buffer;
}

/** The whole text at once, for small outputs and tests. */
export function jsonText(value: unknown): string {
  let text = '';
  for (const chunk of jsonChunks(value)) text += chunk;
  return text;
}
