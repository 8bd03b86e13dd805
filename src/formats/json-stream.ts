/**
 * A streaming reader for the one JSON shape big trace files have: a top-level
 * array of small objects (`[ev, ev, ...]`), or an object with one such array
 * under a known key (`{"traceEvents": [ev, ...], "otherKey": ...}`).
 *
 * The bytes are scanned once; each element of the streamed array is handed to
 * `onElement` as its own small JSON text (parsed by the caller with JSON.parse),
 * so a 100 MB trace never becomes one 100 MB string nor one giant object tree.
 * Values under the other keys of the top-level object are parsed whole (they
 * are small: metadata, stack frame tables).
 *
 * The Trace Event Format allows the array form to be cut off (a tracer that
 * died): a missing `]`, a trailing comma or an unfinished last element are
 * accepted, and the caller is told how it ended.
 */
import { ProfileFormatError } from './errors.js';
import { concatBytes } from './bytes.js';

const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09]) SPACE[c] = 1;

type Mode =
  | 'start' // before the top-level value
  | 'key' // in the top-level object, before a key (or '}')
  | 'key-text' // inside a top-level key
  | 'colon'
  | 'value' // top-level object: before a key's value
  | 'element' // in the streamed array, before an element (or ']')
  | 'after-element' // after an element: ',' or ']'
  | 'after-value' // top-level object: after a value: ',' or '}'
  | 'done';

export interface JsonStreamEnd {
  /** True when the top-level value was closed properly. */
  complete: boolean;
  /** True when the last element was cut off mid-way and dropped. */
  droppedPartial: boolean;
}

export class JsonArrayStream {
  private mode: Mode = 'start';
  private offset = 0; // bytes consumed before the current chunk
  private topIsObject = false;
  private key = '';
  private keyParts: Uint8Array[] = [];
  // The value being captured: its parts, and the scanner's state inside it.
  private capturing = false;
  private captureTarget: 'element' | 'value' = 'element';
  private parts: Uint8Array[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false;
  private seenBom = false;
  readonly others: Record<string, unknown> = {};
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly format: string,
    /** The key whose array is streamed when the top level is an object. */
    private readonly streamKey: string,
    private readonly onElement: (json: string, offset: number) => void,
  ) {}

  /** True once the top level was seen to be an array (the streamed array itself). */
  get isBareArray(): boolean {
    return this.mode !== 'start' && !this.topIsObject;
  }

  private fail(at: number, expected: string): never {
    throw new ProfileFormatError(this.format, `invalid JSON: expected ${expected}`, at);
  }

  feed(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    if (!this.seenBom && this.offset === 0 && n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    this.seenBom = true;
    let captureStart = this.capturing ? 0 : -1;
    let nextBackslash = -1;
    while (i < n) {
      const c = chunk[i];
      if (this.capturing) {
        // Scan to the end of the captured value: `end` is set (one past its last byte) where it ends.
        let end = -1;
        if (this.inString) {
          if (!this.escaped && c !== 0x5c && c !== 0x22) {
            // Jump to the next quote or backslash: most of a trace's bytes are inside strings.
            // (The next backslash is remembered: searching for a rare byte each time would be quadratic.)
            if (nextBackslash < i) {
              nextBackslash = chunk.indexOf(0x5c, i);
              if (nextBackslash < 0) nextBackslash = n;
            }
            const q = chunk.indexOf(0x22, i);
            i = Math.min(q < 0 ? n : q, nextBackslash);
            continue;
          }
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c) this.escaped = true;
          else if (c === 0x22) {
            this.inString = false;
            if (this.depth === 0) end = i + 1; // a string value on its own ends with its closing quote
          }
        } else if (this.scalar) {
          if (SPACE[c] || c === 0x2c || c === 0x5d || c === 0x7d) end = i; // the delimiter is handled by the mode below
        } else if (c === 0x22) this.inString = true;
        else if (c === 0x7b || c === 0x5b) this.depth++;
        else if ((c === 0x7d || c === 0x5d) && --this.depth === 0) end = i + 1;
        if (end < 0) {
          i++;
          continue;
        }
        this.finishCapture(chunk, captureStart, end);
        captureStart = -1;
        i = end;
        continue;
      }
      if (this.mode === 'key-text') {
        const end = chunk.indexOf(0x22, i);
        // Keys we care about have no escapes; an escaped quote just makes an unknown key.
        if (end < 0) {
          this.keyParts.push(chunk.slice(i));
          i = n;
          continue;
        }
        this.keyParts.push(chunk.subarray(i, end));
        this.key = this.decoder.decode(this.keyParts.length === 1 ? this.keyParts[0] : concatBytes(this.keyParts));
        this.keyParts = [];
        this.mode = 'colon';
        i = end + 1;
        continue;
      }
      if (SPACE[c]) {
        i++;
        continue;
      }
      const at = this.offset + i;
      switch (this.mode) {
        case 'start':
          if (c === 0x5b) this.mode = 'element';
          else if (c === 0x7b) {
            this.topIsObject = true;
            this.mode = 'key';
          } else this.fail(at, "'[' or '{' at the start of a trace");
          i++;
          break;
        case 'key':
          if (c === 0x22) this.mode = 'key-text';
          else if (c === 0x7d) this.mode = 'done';
          else this.fail(at, 'a quoted key');
          i++;
          break;
        case 'colon':
          if (c !== 0x3a) this.fail(at, "':'");
          this.mode = 'value';
          i++;
          break;
        case 'value':
          if (this.key === this.streamKey && c === 0x5b) {
            this.mode = 'element';
            i++;
          } else {
            this.startCapture('value', c);
            captureStart = i;
            i++;
          }
          break;
        case 'element':
          if (c === 0x5d) {
            this.mode = this.topIsObject ? 'after-value' : 'done';
            i++;
          } else if (c === 0x2c) {
            // A stray comma (e.g. "[ev,,ev]" or a trailing comma before ']'): tolerated.
            i++;
          } else {
            this.startCapture('element', c);
            captureStart = i;
            this.elementOffset = at;
            i++;
          }
          break;
        case 'after-element':
          if (c === 0x2c) this.mode = 'element';
          else if (c === 0x5d) this.mode = this.topIsObject ? 'after-value' : 'done';
          else this.fail(at, "',' or ']' after an event");
          i++;
          break;
        case 'after-value':
          if (c === 0x2c) this.mode = 'key';
          else if (c === 0x7d) this.mode = 'done';
          else this.fail(at, "',' or '}'");
          i++;
          break;
        case 'done':
          this.fail(at, 'end of input');
      }
    }
    if (this.capturing) this.parts.push(chunk.slice(Math.max(0, captureStart)));
    this.offset += n;
  }

  private elementOffset = 0;

  private startCapture(target: 'element' | 'value', first: number): void {
    this.capturing = true;
    this.captureTarget = target;
    this.parts = [];
    this.inString = first === 0x22;
    this.escaped = false;
    this.scalar = first !== 0x7b && first !== 0x5b && first !== 0x22;
    this.depth = first === 0x7b || first === 0x5b ? 1 : 0;
    if (first === 0x22) this.scalar = false;
  }

  private finishCapture(chunk: Uint8Array, start: number, end: number): void {
    if (start >= 0) this.parts.push(chunk.subarray(start, end));
    const text = this.decoder.decode(this.parts.length === 1 ? this.parts[0] : concatBytes(this.parts));
    this.parts = [];
    this.capturing = false;
    if (this.captureTarget === 'element') {
      this.mode = 'after-element';
      this.onElement(text, this.elementOffset);
    } else {
      this.mode = 'after-value';
      try {
        this.others[this.key] = JSON.parse(text);
      } catch {
        this.fail(this.offset, `a valid JSON value for "${this.key}"`);
      }
    }
  }

  /** Ends the input: a complete document, or an event array cut off (accepted, as the Trace Event Format allows). */
  end(): JsonStreamEnd {
    let droppedPartial = false;
    if (this.capturing) {
      if (this.scalar) this.finishCapture(new Uint8Array(0), -1, 0);
      else if (this.captureTarget === 'element') {
        droppedPartial = true;
        this.capturing = false;
        this.parts = [];
        this.mode = 'after-element';
      }
    }
    if (this.mode === 'start') throw new ProfileFormatError(this.format, 'empty input, expected a JSON trace', 0);
    if (this.mode === 'done') return { complete: true, droppedPartial };
    if (this.mode === 'element' || this.mode === 'after-element') return { complete: false, droppedPartial };
    throw new ProfileFormatError(this.format, 'invalid JSON: unexpected end of input', this.offset);
  }
}
