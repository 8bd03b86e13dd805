/**
 * Finding CPython inside a process: the ELF file that defines `_PyRuntime` (libpython3.X.so or
 * a statically linked executable), its load address from /proc/PID/maps, the version
 * (`Py_Version` from 3.11, else the file name), and the layout for that version (3.13+: checked
 * against the `_Py_DebugOffsets` table at the start of `_PyRuntime`).
 */
import { existsSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { FileFactsCache } from '../file-facts-cache.js';
import { readElf, type ElfInfo } from '../../formats/elf.js';
import { AttachError, notPermittedMessage } from './errors.js';
import { layoutFor, SUPPORTED_TEXT, type PythonLayout } from './layouts.js';
import { readMaps, type Mapping } from './maps.js';
import { ProcessMemory, u64At } from './memory.js';

export interface PythonTarget {
  pid: number;
  version: string; // "3.11.7" or "3.9"
  minor: number;
  layout: PythonLayout;
  runtime: number;
  /** Address of PyCode_Type (0 when the file does not export it). */
  codeType: number;
  binary: string;
  memory: ProcessMemory;
}

const WANTED = ['_PyRuntime', 'Py_Version', 'PyCode_Type'] as const;

/** ELF facts by file (path, size, mtime): children and retries look at the same few files. */
const elfCache = new Map<string, ElfInfo | Error>();

interface StoredElf {
  wanted: string[];
  symbols: [string, number][];
  firstLoadVaddr: number;
  needed: string[];
}

function validStoredElf(value: unknown): value is StoredElf {
  const v = value as StoredElf;
  return (
    !!v &&
    Array.isArray(v.wanted) &&
    v.wanted.join('\0') === WANTED.join('\0') &&
    Array.isArray(v.symbols) &&
    v.symbols.every((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isFinite(e[1])) &&
    Number.isFinite(v.firstLoadVaddr) &&
    Array.isArray(v.needed)
  );
}

/**
 * Between runs too (file-facts-cache.ts, elf-symbols.json): reading libpython's symbol table is
 * most of the first look's time, which a short program does not wait for.
 */
let storedElf: FileFactsCache<StoredElf> | null = null;

function readElfOnce(path: string): ElfInfo {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // readElf reports it
  }
  storedElf ??= new FileFactsCache('elf-symbols.json', validStoredElf);
  const stored = storedElf.get(real);
  if (stored) return { symbols: new Map(stored.symbols), firstLoadVaddr: stored.firstLoadVaddr, needed: stored.needed };
  const info = readElf(real, WANTED);
  storedElf.set(real, [], { wanted: [...WANTED], symbols: [...info.symbols], firstLoadVaddr: info.firstLoadVaddr, needed: info.needed });
  return info;
}

function elfOf(path: string): ElfInfo {
  let key = path;
  try {
    const st = statSync(path);
    key = `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // read below reports it
  }
  let info = elfCache.get(key);
  if (info === undefined) {
    try {
      info = readElfOnce(path);
    } catch (err) {
      info = err as Error;
    }
    elfCache.set(key, info);
  }
  if (info instanceof Error) throw info;
  return info;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? '';
}

function denied(err: unknown): boolean {
  return errnoOf(err) === 'EACCES' || errnoOf(err) === 'EPERM';
}

/** The file a mapping came from, through /proc/PID/root (the program may live in another mount namespace). */
function hostPath(pid: number, path: string): string {
  const viaRoot = `/proc/${pid}/root${path}`;
  try {
    if (existsSync(viaRoot)) return viaRoot;
  } catch {
    // fall through
  }
  return path;
}

export function locatePython(pid: number): PythonTarget {
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(`/proc/${pid}`))
    throw new AttachError('no-such-process', `no such process: ${pid}`);
  let maps: Mapping[];
  try {
    maps = readMaps(pid);
  } catch (err) {
    if (denied(err)) throw new AttachError('not-permitted', notPermittedMessage(pid));
    throw new AttachError('no-such-process', `no such process: ${pid}`);
  }
  let exe = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch (err) {
    if (denied(err)) throw new AttachError('not-permitted', notPermittedMessage(pid));
  }
  const files = [...new Set(maps.map((m) => m.path).filter((p) => p.startsWith('/')))];
  if (files.some((p) => /libpypy|\/pypy[\d.]*(-c)?$/.test(p))) {
    throw new AttachError('pypy', `process ${pid} is PyPy: attach, dump and top read CPython only (record PyPy with pyrometer record)`);
  }
  // libpython first (its symbols are the live ones), then the executable (a static build)
  const candidates = [...files.filter((p) => /libpython3\.\d+/.test(basename(p))), ...files.filter((p) => p === exe)];
  if (candidates.length === 0) candidates.push(...files.filter((p) => /python/.test(basename(p))));
  let found: { path: string; elf: ElfInfo } | null = null;
  for (const path of candidates) {
    try {
      const elf = elfOf(hostPath(pid, path));
      if (elf.symbols.has('_PyRuntime')) {
        found = { path, elf };
        break;
      }
    } catch {
      // not readable or not ELF: try the next
    }
  }
  if (!found) {
    // Python before 3.7 has no _PyRuntime: say which version it is rather than "not Python"
    for (const path of [...candidates, exe]) {
      const m = /(?:lib)?python(\d)\.(\d+)/.exec(basename(path));
      if (!m) continue;
      // a version we read, named before its libpython is mapped: the process is still starting (exec,
      // the dynamic loader): not final, ask again
      if (layoutFor(Number(m[2])) && m[1] === '3') {
        throw new AttachError('not-ready', `process ${pid} runs Python ${m[1]}.${m[2]}, whose runtime is not loaded yet`);
      }
      throw new AttachError('unsupported-version', unsupportedMessage(pid, `${m[1]}.${m[2]}`));
    }
    const what = exe ? basename(exe) : `process ${pid}`;
    throw new AttachError(
      'not-python',
      `process ${pid} (${what}) is not a CPython 3 process: no _PyRuntime in ${exe || 'its executable'} or a libpython it loaded`,
    );
  }
  const first = maps.find((m) => m.path === found!.path && m.offset === 0);
  if (!first) throw new AttachError('not-python', `process ${pid}: ${found.path} is not mapped`);
  const bias = first.start - found.elf.firstLoadVaddr;
  const at = (name: string) => bias + (found!.elf.symbols.get(name) ?? Number.NaN);

  let memory: ProcessMemory;
  try {
    memory = new ProcessMemory(pid);
  } catch (err) {
    if (denied(err)) throw new AttachError('not-permitted', notPermittedMessage(pid));
    throw new AttachError('no-such-process', `no such process: ${pid}`);
  }
  try {
    const runtime = at('_PyRuntime');
    let version = '';
    let minor = -1;
    if (found.elf.symbols.has('Py_Version')) {
      const hex = memory.readFresh(at('Py_Version'), 4).readUInt32LE(0);
      if (hex >>> 24 === 3) {
        minor = (hex >>> 16) & 0xff;
        version = `3.${minor}.${(hex >>> 8) & 0xff}`;
      }
    }
    if (minor < 0) {
      const m = /python3\.(\d+)/.exec(basename(found.path));
      if (!m) throw new AttachError('not-python', `process ${pid}: cannot tell which Python version ${found.path} is`);
      minor = Number(m[1]);
      version = `3.${minor}`;
    }
    let layout = layoutFor(minor);
    if (!layout) throw new AttachError('unsupported-version', unsupportedMessage(pid, version));
    if (minor >= 13) layout = withDebugOffsets(memory, runtime, layout, pid, version);
    return {
      pid,
      version,
      minor,
      layout,
      runtime,
      codeType: found.elf.symbols.has('PyCode_Type') ? at('PyCode_Type') : 0,
      binary: found.path,
      memory,
    };
  } catch (err) {
    memory.close();
    if (err instanceof AttachError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EIO') throw new AttachError('not-permitted', notPermittedMessage(pid));
    throw new AttachError('not-python', `process ${pid}: cannot read its Python runtime (${(err as Error).message})`);
  }
}

export function unsupportedMessage(pid: number, version: string): string {
  return `process ${pid} runs Python ${version}, which pyrometer cannot read from outside (supported: ${SUPPORTED_TEXT})`;
}

/** 3.13+: the interpreter's own table of offsets (Include/internal/pycore_runtime.h), preferred to ours. */
function withDebugOffsets(memory: ProcessMemory, runtime: number, layout: PythonLayout, pid: number, version: string): PythonLayout {
  const b = memory.readFresh(runtime, 584);
  if (b.toString('latin1', 0, 8) !== 'xdebugpy') return layout;
  const o = (at: number) => u64At(b, at);
  if (o(16) !== 0)
    throw new AttachError(
      'unsupported-version',
      `process ${pid} runs a free-threaded Python ${version}, which pyrometer cannot read from outside (supported: ${SUPPORTED_TEXT}, default builds)`,
    );
  return {
    ...layout,
    runtimeInterpretersHead: o(40),
    interpNext: o(64),
    interpTstateHead: o(72),
    interpModules: o(88),
    gil: { inRuntime: false, interpGilPointer: o(112), locked: o(136) - o(120), lastHolder: o(144) - o(120) },
    tstateNext: o(168),
    tstateInterp: o(176),
    tstateFrame: o(184),
    cframeCurrentFrame: null,
    tstateThreadId: o(192),
    tstateNativeThreadId: o(200),
    tstateDatastackChunk: o(208),
    iframePrevious: o(232),
    iframeCode: o(240),
    iframeInstr: o(248),
    iframeOwner: o(264),
    codeFilename: o(280),
    codeName: o(288),
    codeQualname: o(296),
    codeLinetable: o(304),
    codeFirstlineno: o(312),
    codeAdaptive: o(344),
    typeName: o(376),
    bytesSize: o(520),
    bytesData: o(528),
    unicodeState: o(544),
    unicodeLength: o(552),
    asciiSize: o(560),
    codeReadSize: Math.max(o(280), o(288), o(296), o(304), o(312)) + 8,
  };
}
