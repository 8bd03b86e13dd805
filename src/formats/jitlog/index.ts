/**
 * PyPy JIT log (`.jit`, "jitlog"; `_jitlog.enable(fd)` or `JITLOG=file`).
 *
 * Layout (checked against PyPy's rpython/rlib/rjitlog/rjitlog.py, the writer, and
 * vmprof-python's jitlog/ parser): little-endian records, each one marker byte.
 * `str` = u32 length + UTF-8 bytes; `addr` = 4 or 8 bytes (per the header).
 *
 *   0x1e HEADER       u16 version, u8 is_32bit, str machine (e.g. "x86_64")
 *   0x12 RESOP_META   u16 n, n x (u16 opnum, str opname)
 *   0x1b START_TRACE  addr trace id, str "loop"|"bridge", addr (bridge: id of the
 *                     guard's fail descr it hangs from; loop: 1 for an entry bridge),
 *                     str jitdriver name (version >= 2)
 *   0x17 / 0x18 / 0x19  TRACE / TRACE_OPT / TRACE_ASM: the trace's operations as
 *                     recorded / optimised / assembled follow; payload: u64 trace id
 *   0x11 INPUT_ARGS   str "p0,i1,..."
 *   0x13 RESOP        u16 opnum, str "result,arg,...", str failargs (version >= 2)
 *   0x14 RESOP_DESCR  u16 opnum, str "result,arg,...,descr", addr descr id,
 *                     str failargs (version >= 2)
 *   0x15 ASM_ADDR     addr start, addr end of the machine code
 *   0x16 ASM          u16 offset, str machine code of the previous operation
 *   0x1d INIT_MERGE_POINT  u16 n, n x (u8 meaning, char 's'|'i'); meanings:
 *                     0x1 filename, 0x2 line, 0x4 bytecode index, 0x8 scope, 0x10 opcode
 *   0x20 COMMON_PREFIX u8 value index, str prefix (for compressed string values)
 *   0x1f MERGE_POINT  one value per declared type: 's' = 0xff + str (full),
 *                     0x00 + str (prefix + str), 0xef (the prefix itself);
 *                     'i' = 0x00 + u64
 *   0x22 SOURCE_CODE  str file, u16 n, n x (u16 line, u8 indent, str text)
 *   0x1c JITLOG_COUNTER addr, char 'e' (trace entry: trace id) | 'b' (bridge: fail
 *                     descr id) | 'l' (label: descr id), u64 count
 *   0x1a STITCH_BRIDGE addr fail descr, addr machine code of the bridge
 *   0x21 ABORT_TRACE  u64 trace id
 *   0x23 REDIRECT_ASSEMBLER addr descr, addr new descr, addr trace id (version >= 3)
 *   0x24 TMP_CALLBACK addr descr, u64 unique id (version >= 4)
 *   0x10 START / 0x25 END: range sentinels, no payload
 *
 * A second TRACE (0x17) for the same trace continues its "noopt" stage (the
 * optimiser ran twice when the loop was unrolled), as vmprof-python reads it.
 * A log cut off mid-record (a killed process) keeps everything before the cut,
 * with a warning. Gzip is undone by the loader before this reader runs.
 *
 * The result: a Profile with no samples whose `attachments.jitlog` is a JitLog.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { withFormatErrors } from '../reader-guard.js';
import type { Format } from '../registry.js';
import { jitlogSignature } from './signature.js';
export { sniffJitlog } from './signature.js';

const FORMAT = 'jitlog';

export type JitStageKind = 'noopt' | 'opt' | 'asm';

export interface JitOp {
  opnum: number;
  name: string;
  /** The result variable (e.g. "i5"), or "None"/"?" when the operation has none. */
  result: string;
  args: string[];
  /** The descr text (RESOP_DESCR only), e.g. "<Guard0x7f...>" or "TargetToken(...)". */
  descr?: string;
  /** The descr's unique id, which counters and bridges refer to. */
  descrId?: number;
  /** Variables a guard passes on when it fails (version >= 2). */
  failArgs?: string[];
  /** Where the operation's machine code is: offset from the trace start, size in bytes, the bytes in hex. */
  asm?: { offset: number; size: number; hex: string };
  /** Executions counted at this label (JITLOG_COUNTER 'l'). */
  count?: number;
}

export interface JitMergePoint {
  /** Number of operations before this merge point in its stage. */
  opIndex: number;
  file?: string;
  line?: number;
  scope?: string;
  opcode?: string;
  index?: number;
}

export interface JitStage {
  inputArgs: string[];
  ops: JitOp[];
  mergePoints: JitMergePoint[];
}

export interface JitTrace {
  id: number;
  type: 'loop' | 'bridge';
  /** Bridges: the fail descr id of the guard they hang from. Loops: 1 for an entry bridge, else 0. */
  descr: number;
  jitdriver: string | null;
  stages: Partial<Record<JitStageKind, JitStage>>;
  /** Times the trace was entered: 'e' counters for loops, 'b' counters (by descr) for bridges. */
  entryCount: number;
  /** Machine code range, when the trace was assembled. */
  address: { start: number; end: number } | null;
  aborted: boolean;
  /** A short description from the first merge point: "scope (file:line)". */
  label: string;
}

export interface JitCounter {
  address: number;
  kind: 'entry' | 'bridge' | 'label';
  count: number;
  /** The trace the counter was attributed to, or null when no trace matches. */
  trace: number | null;
}

export interface JitLog {
  version: number;
  machine: string;
  wordSize: 4 | 8;
  /** Operation names by opnum. */
  opNames: Record<number, string>;
  traces: JitTrace[];
  counters: JitCounter[];
  sourceCode: { file: string; lines: { line: number; indent: number; text: string }[] }[];
  /** Guards whose bridge was attached: fail descr id -> bridge trace id (null when unknown). */
  stitches: { descr: number; bridgeAddress: number; trace: number | null }[];
  redirects: { descr: number; newDescr: number; trace: number }[];
  tmpCallbacks: { descr: number; uniqueId: number }[];
  /** Byte offset of the record the log ends in the middle of (a killed process), or -1. */
  truncatedAt: number;
  /** Problems that did not stop reading. */
  warnings: string[];
}

const STAGE_OF: Record<number, JitStageKind> = { 0x17: 'noopt', 0x18: 'opt', 0x19: 'asm' };
const MP_NAMES: Record<number, keyof JitMergePoint> = { 0x1: 'file', 0x2: 'line', 0x4: 'index', 0x8: 'scope', 0x10: 'opcode' };

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Thrown by the cursor when the input ends inside a record. */
class Truncated extends Error {}

class Cursor {
  pos = 0;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8');
  wordSize: 4 | 8 = 8;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Truncated();
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** 64-bit unsigned as a JS number (exact below 2^53, which covers x86-64 user addresses). */
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  addr(): number {
    return this.wordSize === 4 ? this.u32() : this.u64();
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const start = this.pos;
    this.pos += n;
    // Operation texts are short ASCII: building them directly beats a TextDecoder call.
    if (n <= 128) {
      let out = '';
      for (let i = start; i < start + n; i++) {
        const b = this.bytes[i];
        if (b >= 0x80) return this.utf8.decode(this.bytes.subarray(start, start + n));
        out += String.fromCharCode(b);
      }
      return out;
    }
    return this.utf8.decode(this.bytes.subarray(start, start + n));
  }
  /** A u32-length blob as lowercase hex. */
  hexBlob(): string {
    const n = this.u32();
    this.need(n);
    let out = '';
    for (let i = this.pos; i < this.pos + n; i++) out += HEX[this.bytes[i]];
    this.pos += n;
    return out;
  }
}

interface StageState {
  types: { meaning: number; kind: 's' | 'i' }[];
  prefixes: string[];
}

const splitList = (s: string): string[] => (s === '' ? [] : s.split(','));

export function parseJitlog(bytes: Uint8Array): JitLog {
  const c = new Cursor(bytes);
  const fail = (detail: string, at: number): never => {
    throw new ProfileFormatError(FORMAT, detail, at);
  };
  if (bytes.length === 0) fail('empty input', 0);
  if (bytes[0] !== 0x1e) fail(`expected the jitlog header marker 0x1e, found 0x${bytes[0].toString(16).padStart(2, '0')}`, 0);

  const log: JitLog = {
    version: 0,
    machine: '',
    wordSize: 8,
    opNames: {},
    traces: [],
    counters: [],
    sourceCode: [],
    stitches: [],
    redirects: [],
    tmpCallbacks: [],
    truncatedAt: -1,
    warnings: [],
  };
  const readHeader = () => {
    const at = c.pos;
    c.pos++;
    log.version = c.u16();
    const is32 = c.u8();
    if (is32 > 1) fail(`bad header: is_32bit byte is ${is32}`, at + 3);
    log.wordSize = is32 ? 4 : 8;
    c.wordSize = log.wordSize;
    const n = c.u32();
    if (n > 256) fail(`bad header: machine name of ${n} bytes`, at + 4);
    c.pos -= 4;
    log.machine = c.str();
    if (log.version < 1) fail(`jitlog version ${log.version} is not supported`, at + 1);
  };
  try {
    readHeader();
  } catch (e) {
    if (e instanceof Truncated) fail('truncated header', c.pos);
    throw e;
  }

  const byId = new Map<number, JitTrace>();
  const stageState = new Map<JitStage, StageState>();
  let lastTypes: StageState['types'] = [];
  let trace: JitTrace | null = null;
  let stageKind: JitStageKind | null = null;
  const unknownOps = new Set<number>();
  const stage = (): JitStage | null => (trace && stageKind ? (trace.stages[stageKind] ?? null) : null);
  const needStage = (what: string, at: number): JitStage => stage() ?? fail(`${what} outside of a trace`, at);

  let recordStart = c.pos;
  try {
    while (c.pos < bytes.length) {
      recordStart = c.pos;
      const marker = c.u8();
      switch (marker) {
        case 0x1e:
          c.pos--;
          readHeader();
          break;
        case 0x10:
        case 0x25:
          break;
        case 0x12: {
          const n = c.u16();
          for (let i = 0; i < n; i++) {
            const opnum = c.u16();
            log.opNames[opnum] = c.str();
          }
          break;
        }
        case 0x1b: {
          const id = c.addr();
          const type = c.str();
          if (type !== 'loop' && type !== 'bridge') fail(`trace type ${JSON.stringify(type)} is neither loop nor bridge`, recordStart);
          const descr = c.addr();
          const jitdriver = log.version >= 2 ? c.str() : null;
          trace = {
            id,
            type: type as 'loop' | 'bridge',
            descr,
            jitdriver,
            stages: {},
            entryCount: 0,
            address: null,
            aborted: false,
            label: '',
          };
          stageKind = null;
          log.traces.push(trace);
          byId.set(id, trace);
          break;
        }
        case 0x17:
        case 0x18:
        case 0x19: {
          const id = c.u64();
          if (!trace || trace.id !== id) trace = byId.get(id) ?? fail(`operations for trace ${id}, which was never started`, recordStart);
          stageKind = STAGE_OF[marker];
          // A repeated stage (TRACE after unrolling) continues the existing one.
          trace.stages[stageKind] ??= { inputArgs: [], ops: [], mergePoints: [] };
          break;
        }
        case 0x11:
          needStage('INPUT_ARGS', recordStart).inputArgs = splitList(c.str());
          break;
        case 0x13:
        case 0x14: {
          const s = needStage('an operation', recordStart);
          const opnum = c.u16();
          const text = splitList(c.str());
          const op: JitOp = { opnum, name: log.opNames[opnum] ?? `op${opnum}`, result: text[0] ?? '', args: text.slice(1) };
          if (log.opNames[opnum] === undefined) unknownOps.add(opnum);
          if (marker === 0x14) {
            op.descr = op.args.pop() ?? '';
            op.descrId = c.addr();
          }
          if (log.version >= 2) {
            const failArgs = splitList(c.str());
            if (failArgs.length > 0) op.failArgs = failArgs;
          }
          s.ops.push(op);
          break;
        }
        case 0x15: {
          if (!trace) fail('ASM_ADDR outside of a trace', recordStart);
          const start = c.addr();
          trace!.address = { start, end: c.addr() };
          break;
        }
        case 0x16: {
          const offset = c.u16();
          const hex = c.hexBlob();
          const last = stage()?.ops.at(-1);
          if (last) last.asm = { offset, size: hex.length / 2, hex };
          break;
        }
        case 0x1d: {
          const n = c.u16();
          const types: StageState['types'] = [];
          for (let i = 0; i < n; i++) {
            const meaning = c.u8();
            const kind = String.fromCharCode(c.u8());
            if (kind !== 's' && kind !== 'i') fail(`merge point value type ${JSON.stringify(kind)} is neither 's' nor 'i'`, c.pos - 1);
            types.push({ meaning, kind: kind as 's' | 'i' });
          }
          lastTypes = types;
          const s = stage();
          if (s) stageState.set(s, { types, prefixes: types.map(() => '') });
          break;
        }
        case 0x20: {
          const index = c.u8();
          const prefix = c.str();
          const s = needStage('COMMON_PREFIX', recordStart);
          let st = stageState.get(s);
          if (!st) stageState.set(s, (st = { types: lastTypes, prefixes: lastTypes.map(() => '') }));
          if (index >= st.types.length) fail(`common prefix for value ${index} of ${st.types.length}`, recordStart);
          st.prefixes[index] = prefix;
          break;
        }
        case 0x1f: {
          const s = needStage('MERGE_POINT', recordStart);
          let st = stageState.get(s);
          if (!st) stageState.set(s, (st = { types: lastTypes, prefixes: lastTypes.map(() => '') }));
          if (st.types.length === 0) fail('MERGE_POINT before INIT_MERGE_POINT', recordStart);
          const mp: JitMergePoint = { opIndex: s.ops.length };
          st.types.forEach((t, i) => {
            const tag = c.u8();
            let value: string | number;
            if (t.kind === 'i') {
              if (tag !== 0) fail(`integer merge point value with tag 0x${tag.toString(16)}`, c.pos - 1);
              value = c.u64();
            } else if (tag === 0xef) {
              value = st!.prefixes[i];
            } else if (tag === 0x00) {
              value = st!.prefixes[i] + c.str();
            } else if (tag === 0xff) {
              value = c.str();
            } else {
              return fail(`string merge point value with tag 0x${tag.toString(16)}`, c.pos - 1);
            }
            const key = MP_NAMES[t.meaning];
            if (key === 'line' || key === 'index') mp[key] = Number(value);
            else if (key === 'file' || key === 'scope' || key === 'opcode') mp[key] = String(value);
          });
          s.mergePoints.push(mp);
          break;
        }
        case 0x22: {
          const file = c.str();
          const n = c.u16();
          const lines: { line: number; indent: number; text: string }[] = [];
          for (let i = 0; i < n; i++) {
            const line = c.u16();
            const indent = c.u8();
            lines.push({ line, indent, text: c.str() });
          }
          log.sourceCode.push({ file, lines });
          break;
        }
        case 0x1c: {
          const address = c.addr();
          const kindChar = String.fromCharCode(c.u8());
          const count = c.u64();
          const kind = kindChar === 'e' ? 'entry' : kindChar === 'b' ? 'bridge' : kindChar === 'l' ? 'label' : null;
          if (kind === null) fail(`counter kind ${JSON.stringify(kindChar)} is not e, b or l`, recordStart);
          log.counters.push({ address, kind: kind!, count, trace: null });
          break;
        }
        case 0x1a: {
          const descr = c.addr();
          log.stitches.push({ descr, bridgeAddress: c.addr(), trace: null });
          break;
        }
        case 0x21: {
          const id = c.u64();
          const t = byId.get(id);
          if (t) t.aborted = true;
          break;
        }
        case 0x23: {
          const descr = c.addr();
          const newDescr = c.addr();
          log.redirects.push({ descr, newDescr, trace: c.addr() });
          break;
        }
        case 0x24: {
          const descr = c.addr();
          log.tmpCallbacks.push({ descr, uniqueId: c.u64() });
          break;
        }
        default:
          fail(`unknown record marker 0x${marker.toString(16).padStart(2, '0')}`, recordStart);
      }
    }
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    log.truncatedAt = recordStart;
  }

  // Counters: entries by trace id; bridges by the fail descr they hang from; labels by descr.
  const bridgeByDescr = new Map<number, JitTrace>();
  const byAddress = new Map<number, JitTrace>();
  const labelByDescr = new Map<number, { trace: JitTrace; op: JitOp }>();
  for (const t of log.traces) {
    if (t.type === 'bridge') bridgeByDescr.set(t.descr, t);
    if (t.address) byAddress.set(t.address.start, t);
    for (const kind of ['asm', 'opt'] as const) {
      for (const op of t.stages[kind]?.ops ?? []) {
        if (op.name === 'label' && op.descrId !== undefined && !labelByDescr.has(op.descrId))
          labelByDescr.set(op.descrId, { trace: t, op });
      }
    }
  }
  for (const counter of log.counters) {
    if (counter.kind === 'entry') {
      const t = byId.get(counter.address);
      if (t) {
        t.entryCount += counter.count;
        counter.trace = t.id;
      }
    } else if (counter.kind === 'bridge') {
      const t = bridgeByDescr.get(counter.address);
      if (t) {
        t.entryCount += counter.count;
        counter.trace = t.id;
      }
    } else {
      const hit = labelByDescr.get(counter.address);
      if (hit) {
        hit.op.count = (hit.op.count ?? 0) + counter.count;
        counter.trace = hit.trace.id;
      }
    }
  }
  for (const s of log.stitches) s.trace = byAddress.get(s.bridgeAddress)?.id ?? bridgeByDescr.get(s.descr)?.id ?? null;
  for (const t of log.traces) {
    const mp = (t.stages.opt ?? t.stages.noopt)?.mergePoints[0];
    if (mp) t.label = `${mp.scope ?? '?'} (${mp.file ?? '?'}:${mp.line ?? 0})`;
  }
  if (unknownOps.size > 0) log.warnings.push(`operations with numbers missing from the RESOP_META table: ${[...unknownOps].join(', ')}`);
  return log;
}

export function readJitlog(bytes: Uint8Array): Profile {
  const log = parseJitlog(bytes);
  const builder = new ProfileBuilder(FORMAT, { interpreter: 'pypy', formatVersion: log.version, flags: ['jit'] });
  if (log.truncatedAt >= 0)
    log.warnings.push(`the jitlog ends in the middle of a record at byte ${log.truncatedAt} (truncated?): everything before it was read`);
  for (const w of log.warnings) builder.warn(w);
  builder.meta.extra.machine = log.machine;
  builder.meta.extra.traces = String(log.traces.length);
  builder.thread('0', 'main');
  builder.attachments.jitlog = log;
  return builder.build();
}

export const jitlogFormat: Format = {
  ...jitlogSignature,
  read: (bytes) => withFormatErrors(FORMAT, () => readJitlog(bytes)),
};
