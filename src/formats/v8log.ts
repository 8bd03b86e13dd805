/**
 * V8 tick logs (`node --prof` writes isolate-0x…-v8.log; `d8 --prof` writes v8.log): what
 * `node --prof-process` reads.
 *
 * Layout: one CSV record a line, the first field its kind. Commas inside a field are escaped as
 * `\x2C` (newer V8) or the field is double-quoted (older V8). The records we use:
 *   shared-library,<path>,<start>,<end>,<aslr slide>    a native library's address range
 *   code-creation,<type>,<kind>,[<µs>,]<start>,<size>,<name>[,<sfi>,<state>]
 *       type JS (older V8: LazyCompile/Function/Script) names "fn script:line:col"; state `~` is
 *       bytecode, `^` Sparkplug, `+` Maglev, `*` TurboFan; Builtin/BytecodeHandler/Stub are V8's own code
 *   code-move,<from>,<to> · code-delete,<start>         the code map changes as the GC moves code
 *   code-source-info,<start>,<script>,<src start>,<src end>,<C<code off>O<src off>[I<inl>]…>,…
 *   script-source,<id>,<url>,<source>                    lets a source offset become a line
 *   tick,<pc>,<µs>,<external callback?>,<tos or callback>,<vm state>,<return addresses…>
 * A tick's addresses are resolved through the code map as it stands at that tick (the map is
 * replayed in file order, as V8's tick processor does), the pc first (the leaf), then each return
 * address; `+n`/`-n` frames are offsets from the previous one. An address in a shared library
 * without V8 code is the library's function there when the loader can read the library's symbol
 * table on this machine (ReadOptions.nativeSymbols: the ELF file at the logged path, checked
 * against the logged range; placed as the tick processor places `nm`'s output, native-symbols.ts),
 * else the library itself; an address nowhere is left out, like the tick processor's unaccounted
 * frames.
 *
 * Model: JS functions are `other` functions (a frame category `jit` when the code was compiled
 * by Sparkplug/Maglev/TurboFan), V8 builtins, bytecode handlers and libraries are `native`; a
 * tick in the GC state gets a `(garbage collector)` leaf, an idle one the idle category. Frame
 * lines come from code-source-info when the log has it, else the function's own line.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Category, FrameIndex, Profile, StackIndex } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import { findSymbol, placeSymbols, rangeFits, type NativeSymbolSource, type PlacedSymbols } from './native-symbols.js';
import type { Format, ReadOptions } from './registry.js';
import { v8LogSignature } from './signatures/v8log.js';
import { textLines } from './text-lines.js';
export { sniffV8Log } from './signatures/v8log.js';

const FORMAT = 'v8log';
/** V8's StateTag values (include/v8-unwinder.h). */
const VM_GC = 1;
const VM_IDLE = 8;

/**
 * Splits one record. Newer V8 escapes commas (`\x2C`) and leaves quotes alone (a script's source
 * may start with `"use strict"`); older V8 (node 8) double-quotes names and paths instead. `quoted`
 * says which the log uses (decided from its first shared-library or code-creation record).
 */
function splitRecord(line: string, quoted = false): string[] {
  if (!quoted || !line.includes('"')) {
    // Newer V8 escapes every comma inside a field: the commas left are separators.
    const fields = line.split(',');
    if (line.includes('\\')) for (let i = 0; i < fields.length; i++) if (fields[i].includes('\\')) fields[i] = unescapeField(fields[i]);
    return fields;
  }
  const out: string[] = [];
  let field = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else field += c;
    } else if (c === '"' && field === '') inQuotes = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else if (c === '\\' && i + 1 < line.length) {
      const e = line[i + 1];
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      if (hex > 0 && /^[0-9a-fA-F]+$/.test(line.slice(i + 2, i + 2 + hex))) {
        field += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 2 + hex), 16));
        i += 1 + hex;
      } else {
        field += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
        i++;
      }
    } else field += c;
  }
  out.push(field);
  return out;
}

const ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))/gs;

/** V8's log escapes: `\x2C`, `\u00e9`, `\n`, `\\`. */
function unescapeField(field: string): string {
  return field.replace(ESCAPE, (_, hex2: string | undefined, hex4: string | undefined, c: string | undefined) => {
    if (hex2 !== undefined || hex4 !== undefined) return String.fromCharCode(Number.parseInt((hex2 ?? hex4)!, 16));
    return c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c!;
  });
}

const address = (s: string): number => Number.parseInt(s, 16);

interface CodeEntry {
  start: number;
  size: number;
  func: number;
  category: Category | undefined;
  /** Sorted code offsets and the source offsets they map to (code-source-info), or null. */
  codeOffsets: number[] | null;
  sourceOffsets: number[] | null;
  script: number;
  /** The function's own line, used when no source position applies. */
  line: number;
  /** Frames of this code by line, made on first use. */
  frames: Map<number, FrameIndex> | null;
}

const PAGE = 4096;
/** Entries spanning more pages than this are kept in a short list instead of under every page. */
const BIG_PAGES = 256;

/**
 * The code map, changed by creation, move and delete as the log goes: each entry is listed under
 * every 4 KiB page it covers, so a lookup scans the few entries of one page, and an insert or a
 * delete costs the pages of one entry (a sorted array paid a shift of the whole map per insert:
 * quadratic on a log with 100,000 code objects).
 */
class CodeMap {
  private readonly pages = new Map<number, CodeEntry[]>();
  private readonly big: CodeEntry[] = [];
  private readonly byStart = new Map<number, CodeEntry>();

  private static end(e: CodeEntry): number {
    return e.start + Math.max(e.size, 1); // a zero-size entry owns its start address
  }

  private static isBig(e: CodeEntry): boolean {
    return Math.floor((CodeMap.end(e) - 1) / PAGE) - Math.floor(e.start / PAGE) >= BIG_PAGES;
  }

  /** Entries overlapping [start, end). */
  private overlapping(start: number, end: number): CodeEntry[] {
    const out = new Set<CodeEntry>();
    for (const e of this.big) if (e.start < end && CodeMap.end(e) > start) out.add(e);
    if (Math.floor((end - 1) / PAGE) - Math.floor(start / PAGE) >= BIG_PAGES) {
      for (const e of this.byStart.values()) if (e.start < end && CodeMap.end(e) > start) out.add(e);
    } else {
      for (let page = Math.floor(start / PAGE); page <= Math.floor((end - 1) / PAGE); page++) {
        for (const e of this.pages.get(page) ?? []) if (e.start < end && CodeMap.end(e) > start) out.add(e);
      }
    }
    return [...out];
  }

  add(entry: CodeEntry): void {
    // New code may overlap code V8 freed without a code-delete record: drop what it covers.
    for (const old of this.overlapping(entry.start, CodeMap.end(entry))) this.remove(old.start);
    this.byStart.set(entry.start, entry);
    if (CodeMap.isBig(entry)) {
      this.big.push(entry);
      return;
    }
    for (let page = Math.floor(entry.start / PAGE); page <= Math.floor((CodeMap.end(entry) - 1) / PAGE); page++) {
      const list = this.pages.get(page);
      if (list) list.push(entry);
      else this.pages.set(page, [entry]);
    }
  }

  remove(start: number): CodeEntry | undefined {
    const e = this.byStart.get(start);
    if (!e) return undefined;
    this.byStart.delete(start);
    if (CodeMap.isBig(e)) {
      this.big.splice(this.big.indexOf(e), 1);
      return e;
    }
    for (let page = Math.floor(e.start / PAGE); page <= Math.floor((CodeMap.end(e) - 1) / PAGE); page++) {
      const list = this.pages.get(page)!;
      list.splice(list.indexOf(e), 1);
      if (list.length === 0) this.pages.delete(page);
    }
    return e;
  }

  find(a: number): CodeEntry | undefined {
    for (const e of this.pages.get(Math.floor(a / PAGE)) ?? []) if (a >= e.start && a < CodeMap.end(e)) return e;
    for (const e of this.big) if (a >= e.start && a < CodeMap.end(e)) return e;
    return undefined;
  }
}

/** Where a trailing ":digits" of name[0, to) starts (its colon), or -1. */
function digitsTail(name: string, to: number): number {
  let i = to;
  while (i > 0 && name.charCodeAt(i - 1) >= 48 && name.charCodeAt(i - 1) <= 57) i--;
  return i < to && i > 0 && name.charCodeAt(i - 1) === 58 /* : */ ? i - 1 : -1;
}

/**
 * "fn script:line:col" (or "script:line:col" for a top-level, or just "fn") → its parts. A
 * scan from the end (the regular expression it replaces was quadratic on long names): the
 * line is the last ":digits" but one when two end the name, the script the run of non-space
 * before it, the function what precedes that (less one separating space).
 */
export function jsName(name: string): { name: string; file: string; line: number } {
  const fallback = { name: name || '(anonymous)', file: '', line: 0 };
  const last = digitsTail(name, name.length);
  if (last < 0) return fallback;
  const before = digitsTail(name, last);
  const fileEnd = before >= 0 ? before : last;
  const line = Number(name.slice(fileEnd + 1, before >= 0 ? last : name.length));
  let fileStart = fileEnd;
  while (fileStart > 0 && !/\s/.test(name[fileStart - 1])) fileStart--;
  if (fileStart === fileEnd) return fallback;
  const fnEnd = fileStart > 0 && name[fileStart - 1] === ' ' ? fileStart - 1 : fileStart;
  return { name: name.slice(0, fnEnd) || '(anonymous)', file: name.slice(fileStart, fileEnd), line };
}

const JS_TYPES = new Set(['JS', 'LazyCompile', 'Function', 'Script', 'Eval']);

interface Library {
  start: number;
  end: number;
  path: string;
  /** The library's own frame, for addresses outside its known functions. */
  frame: FrameIndex;
  symbols: PlacedSymbols | null;
  /** Frames of its functions by symbol index, made on first use. */
  symbolFrames: Map<number, FrameIndex>;
}

export function readV8Log(bytes: Uint8Array, options: ReadOptions = {}): Profile {
  const builder = new ProfileBuilder(FORMAT, { weightUnit: 'samples' });
  const thread = builder.thread('main', 'main');
  const code = new CodeMap();
  const libraries: Library[] = [];
  const symbolsOf = librarySymbols(options.nativeSymbols);
  const scriptLineStarts = new Map<number, number[]>();
  const jsFuncs = new Set<number>();
  let gcFrame = -1;
  let idleFrame = -1;
  let ticks = 0;
  let sawV8Record = false;
  let lastTime = 0;
  let skipped = 0;
  let firstSkipped = 0;
  const frames: FrameIndex[] = [];

  const frameOf = (entry: CodeEntry, offset: number): FrameIndex => {
    let line = entry.line;
    if (entry.codeOffsets && entry.sourceOffsets) {
      const starts = scriptLineStarts.get(entry.script);
      let lo = 0;
      let hi = entry.codeOffsets.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (entry.codeOffsets[mid] <= offset) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0 && starts) line = lineOfOffset(starts, entry.sourceOffsets[lo - 1]);
    }
    entry.frames ??= new Map();
    let frame = entry.frames.get(line);
    if (frame === undefined) {
      frame = builder.frame(entry.func, line, entry.category);
      entry.frames.set(line, frame);
    }
    return frame;
  };

  const resolve = (a: number): FrameIndex => {
    const entry = code.find(a);
    if (entry) return frameOf(entry, a - entry.start);
    // A library can be listed several times (node's own binary: once per executable segment), each
    // record placing the symbols inside its range: any record holding the address may know its function.
    let first: Library | undefined;
    for (const lib of libraries) {
      if (a < lib.start || a >= lib.end) continue;
      first ??= lib;
      const frame = symbolFrame(lib, a);
      if (frame >= 0) return frame;
    }
    return first ? first.frame : -1;
  };

  const symbolFrame = (lib: Library, a: number): FrameIndex => {
    const i = lib.symbols ? findSymbol(lib.symbols, a) : -1;
    if (i < 0) return -1;
    let frame = lib.symbolFrames.get(i);
    if (frame === undefined) {
      frame = builder.frame(builder.func(symbolsOf.displayName(lib.symbols!.names[i]), lib.path, 0, 'native'), 0);
      lib.symbolFrames.set(i, frame);
    }
    return frame;
  };

  let quoted: boolean | null = null;
  for (const { text, lineNumber } of textLines(bytes)) {
    if (text === '') continue;
    const kind = text.slice(0, text.indexOf(','));
    // Old logs quote every name and path: a shared-library or code-creation record shows which kind this is.
    if (quoted === null && (kind === 'shared-library' || kind === 'code-creation')) quoted = /,"/.test(text);
    try {
      switch (kind) {
        case 'tick': {
          const f = splitRecord(text, quoted === true);
          if (f.length < 6) throw new Error('a tick needs pc, time, external flag, tos and vm state');
          let pc = address(f[1]);
          const time = Number(f[2]);
          if (!Number.isFinite(pc) || !Number.isFinite(time)) throw new Error(`bad tick address or time "${f[1]}", "${f[2]}"`);
          let tos = address(f[4]) || 0;
          if (f[3] === '1') {
            // In an external callback the pc points into the callback; the callback is the frame.
            pc = tos;
            tos = 0;
          } else if (tos !== 0) {
            // The top of stack counts only when it is JS code entered without a frame.
            const e = code.find(tos);
            if (!e || !jsFuncs.has(e.func)) tos = 0;
          }
          frames.length = 0; // leaf first here, reversed below
          const leaf = resolve(pc);
          if (leaf >= 0) frames.push(leaf);
          if (tos !== 0) {
            const t = resolve(tos);
            if (t >= 0) frames.push(t);
          }
          let previous = pc;
          for (let i = 6; i < f.length; i++) {
            const s = f[i];
            const c = s.charCodeAt(0);
            let a: number;
            if (c === 0x2b || c === 0x2d) a = previous + Number.parseInt(s, 16);
            else if (c === 0x6f)
              continue; // "overflow": the stack was cut
            else a = address(s);
            previous = a;
            const frame = resolve(a);
            if (frame >= 0) frames.push(frame);
          }
          frames.reverse();
          const vmState = Number(f[5]);
          let stack: StackIndex = builder.stackOf(frames);
          if (vmState === VM_GC) {
            if (gcFrame < 0) gcFrame = builder.frame(builder.func('(garbage collector)', '', 0, 'gc'), 0);
            stack = builder.stack(stack, gcFrame);
          } else if (vmState === VM_IDLE) {
            if (idleFrame < 0) idleFrame = builder.frame(builder.func('(idle)', '', 0, 'other'), 0, 'idle');
            stack = builder.stack(stack, idleFrame);
          }
          // Tick times are µs since the isolate started; a sample time must not go back.
          lastTime = Math.max(lastTime, time / 1000);
          builder.addSample(thread, stack, lastTime);
          ticks++;
          break;
        }
        case 'code-creation': {
          const f = splitRecord(text, quoted === true);
          // Newer logs carry a timestamp before the address; older ones do not.
          const o = f[3]?.startsWith('0x') ? 3 : 4;
          const start = address(f[o]);
          const size = Number(f[o + 1]);
          if (!Number.isFinite(start) || !Number.isFinite(size)) throw new Error(`bad code address or size "${f[o]}", "${f[o + 1]}"`);
          const type = f[1];
          const rawName = f[o + 2] ?? '';
          const state = f[o + 4] ?? '';
          let func: number;
          let line = 0;
          let category: Category | undefined;
          if (JS_TYPES.has(type)) {
            const parsed = jsName(rawName.replace(/^[~^+*]/, ''));
            line = parsed.line;
            func = builder.func(parsed.name, parsed.file, parsed.line, 'other');
            jsFuncs.add(func);
            if (state === '^' || state === '+' || state === '*') category = 'jit';
          } else {
            func = builder.func(rawName === '' ? `(${type})` : rawName, '', 0, 'native');
          }
          code.add({ start, size, func, category, codeOffsets: null, sourceOffsets: null, script: -1, line, frames: null });
          sawV8Record = true;
          break;
        }
        case 'code-move': {
          const f = splitRecord(text, quoted === true);
          const entry = code.remove(address(f[1]));
          if (entry) {
            entry.start = address(f[2]);
            code.add(entry);
          }
          break;
        }
        case 'code-delete':
          code.remove(address(splitRecord(text, quoted === true)[1]));
          break;
        case 'code-source-info': {
          const f = splitRecord(text, quoted === true);
          const entry = code.find(address(f[1]));
          if (!entry || entry.start !== address(f[1])) break;
          const codeOffsets: number[] = [];
          const sourceOffsets: number[] = [];
          for (const m of (f[5] ?? '').matchAll(/C(\d+)O(\d+)(?:I\d+)?/g)) {
            codeOffsets.push(Number(m[1]));
            sourceOffsets.push(Number(m[2]));
          }
          if (codeOffsets.length > 0) {
            entry.frames = null;
            entry.codeOffsets = codeOffsets;
            entry.sourceOffsets = sourceOffsets;
            entry.script = Number(f[2]);
          }
          break;
        }
        case 'script-source': {
          const f = splitRecord(text, quoted === true);
          // The source may itself contain commas (escaped), already undone by splitRecord.
          const source = f.slice(3).join(',');
          const starts = [0];
          for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
          scriptLineStarts.set(Number(f[1]), starts);
          break;
        }
        case 'shared-library': {
          const f = splitRecord(text, quoted === true);
          const path = f[1];
          const start = address(f[2]);
          const end = address(f[3]);
          if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error('bad shared-library range');
          const base = path.slice(path.lastIndexOf('/') + 1) || path;
          const frame = builder.frame(builder.func(base, path, 0, 'native'), 0);
          const slide = f[4] ? address(f[4]) || 0 : 0;
          libraries.push({ start, end, path, frame, symbols: symbolsOf.place(path, start, end, slide), symbolFrames: new Map() });
          sawV8Record = true;
          break;
        }
        case 'v8-version': {
          const f = splitRecord(text, quoted === true);
          builder.meta.extra['v8-version'] = f.slice(1, 5).join('.') + (f[5] && f[5] !== '0' ? f[5] : '');
          sawV8Record = true;
          break;
        }
        case 'profiler': {
          const f = splitRecord(text, quoted === true);
          // "profiler,begin,<sampling interval µs>"
          if (f[1] === 'begin' && Number(f[2]) > 0) builder.meta.interval = Number(f[2]) / 1000;
          break;
        }
        default:
          if (!/^[a-z][a-z0-9-]*$/.test(kind)) {
            if (skipped++ === 0) firstSkipped = lineNumber;
          }
      }
    } catch (e) {
      if (e instanceof ProfileFormatError) throw e;
      throw new ProfileFormatError(FORMAT, (e as Error).message, -1, lineNumber);
    }
  }
  if (!sawV8Record && ticks === 0)
    throw new ProfileFormatError(FORMAT, 'no v8-version, code-creation or tick records: not a V8 log', -1, 1);
  const unnamed = symbolsOf.unnamed();
  if (unnamed) builder.meta.warnings.push(`v8log: ${unnamed}`);
  if (skipped > 0)
    builder.meta.warnings.push(`v8log: skipped ${skipped} lines that are not V8 log records (first at line ${firstSkipped})`);
  builder.meta.extra.ticks = String(ticks);
  builder.meta.interpreter = 'v8';
  return builder.build();
}

/**
 * Symbol tables by library path, read once each, and why a library's frames keep its name: no
 * symbol source (the browser), no such file here, or a file whose executable segments do not
 * end where the logged range does (another build than the one profiled).
 */
function librarySymbols(source: NativeSymbolSource | undefined) {
  const tables = new Map<string, ReturnType<NativeSymbolSource['read']>>();
  const reasons = new Map<string, string>();
  return {
    place(path: string, start: number, end: number, slide: number): PlacedSymbols | null {
      // Pseudo-libraries ([vdso], [vsyscall]) have no file.
      if (!source || !path.startsWith('/')) return null;
      if (slide !== 0) {
        // Only macOS logs a slide, and its libraries are Mach-O, which we do not read.
        reasons.set(path, 'an ASLR slide: not a Linux log');
        return null;
      }
      let table = tables.get(path);
      if (table === undefined) {
        table = source.read(path);
        tables.set(path, table);
      }
      if (table instanceof Error) {
        reasons.set(path, table.message);
        return null;
      }
      if (!rangeFits(table, start, end)) {
        reasons.set(
          path,
          `the file here is not the one profiled (the logged range 0x${(end - start).toString(16)} long ends no executable segment)`,
        );
        return null;
      }
      return placeSymbols(table, start, end);
    },
    displayName: (symbol: string): string => source?.displayName(symbol) ?? symbol,
    unnamed(): string | null {
      if (reasons.size === 0) return null;
      const list = [...reasons].map(([path, why]) => `${path} (${why})`).join('; ');
      return `native frames of ${reasons.size} librar${reasons.size === 1 ? 'y are' : 'ies are'} named by library, not function: ${list}`;
    },
  };
}

function lineOfOffset(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lineStarts[mid] <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo; // 1-based: the number of line starts at or before the offset
}

export const v8LogFormat: Format = {
  ...v8LogSignature,
  read: (bytes, options) => readV8Log(bytes, options),
  readsNativeSymbols: true,
};
