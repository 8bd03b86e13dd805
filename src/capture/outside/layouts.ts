/**
 * Where CPython keeps what the outside sampler reads, per minor version (x86-64 / aarch64 Linux,
 * 64-bit pointers, release builds without Py_TRACE_REFS). The numbers are `offsetof()` of the
 * fields named, computed by compiling a small C program against each version's own headers
 * (Include/internal/pycore_*.h with Py_BUILD_CORE; scripts/outside-layouts.c); py-spy's
 * python_bindings and austin's src/python headers were read to know which fields matter.
 * 3.13+ also carries these facts in `_Py_DebugOffsets` at the start of `_PyRuntime`
 * (layout-from-debug-offsets in runtime.ts prefers those when the cookie is there).
 *
 * Frames: up to 3.10 a thread state points at a PyFrameObject chain (f_back); from 3.11 at
 * `_PyInterpreterFrame`s kept in the thread's data-stack chunks (previous), 3.11 through cframe.
 */
export interface PythonLayout {
  minor: number;
  /** _PyRuntimeState.interpreters.head */
  runtimeInterpretersHead: number;
  /** ≤3.11: the GIL lives in _PyRuntime.ceval.gil; 3.12+: PyInterpreterState.ceval.gil is a pointer. */
  gil:
    | { inRuntime: true; locked: number; lastHolder: number }
    | { inRuntime: false; interpGilPointer: number; locked: number; lastHolder: number };
  interpNext: number;
  interpTstateHead: number;
  interpModules: number;
  tstateNext: number;
  tstateInterp: number;
  /** ≤3.10: PyThreadState.frame; 3.11–3.12: cframe then current_frame; 3.13+: current_frame. */
  tstateFrame: number;
  cframeCurrentFrame: number | null;
  tstateThreadId: number;
  /** 3.11+; before, the kernel thread id is read from glibc's struct pthread at thread_id. */
  tstateNativeThreadId: number | null;
  tstateDatastackChunk: number | null;
  /** ≤3.10 PyFrameObject */
  frameBack: number;
  frameCode: number;
  frameLasti: number;
  /** 3.11+ _PyInterpreterFrame */
  iframeCode: number;
  iframePrevious: number;
  iframeInstr: number;
  iframeOwner: number;
  /** PyCodeObject */
  codeFilename: number;
  codeName: number;
  codeQualname: number | null;
  codeFirstlineno: number;
  /** co_lnotab (≤3.9), co_linetable (3.10+) */
  codeLinetable: number;
  /** 3.11+: instructions inline in the code object from here */
  codeAdaptive: number | null;
  /** Bytes of a code object worth reading at once (all the fields above). */
  codeReadSize: number;
  unicodeState: number;
  unicodeLength: number;
  asciiSize: number;
  compactSize: number;
  /** PyUnicodeObject state bits: the `ready` bit exists up to 3.11. */
  unicodeHasReady: boolean;
  bytesSize: number;
  bytesData: number;
  typeName: number;
}

const OB_TYPE = 8;
export { OB_TYPE };

type Row = Omit<
  PythonLayout,
  'minor' | 'codeReadSize' | 'unicodeHasReady' | 'unicodeState' | 'unicodeLength' | 'bytesSize' | 'bytesData' | 'typeName'
>;

/** The same in every supported version. */
const common = { unicodeState: 32, unicodeLength: 16, bytesSize: 16, bytesData: 32, typeName: 24 };
const everyThreadState = { tstateNext: 8, tstateInterp: 16 };

/** 3.7–3.10: PyFrameObjects linked by f_back, no native thread id, no qualname in the code object. */
const frameObjects = {
  ...everyThreadState,
  interpNext: 0,
  interpTstateHead: 8,
  tstateFrame: 24,
  cframeCurrentFrame: null,
  tstateThreadId: 176,
  tstateNativeThreadId: null,
  tstateDatastackChunk: null,
  frameBack: 24,
  frameCode: 32,
  iframeCode: 0,
  iframePrevious: 0,
  iframeInstr: 0,
  iframeOwner: 0,
  codeQualname: null,
  codeAdaptive: null,
  asciiSize: 48,
  compactSize: 72,
};
/** 3.8–3.10's code object (3.7's has no co_posonlyargcount: its fields sit earlier). */
const code38 = { codeFilename: 104, codeName: 112, codeFirstlineno: 40, codeLinetable: 120 };

/** 3.11+: _PyInterpreterFrames in the thread's data-stack chunks; the code object holds the qualname. */
const interpreterFrames = {
  ...everyThreadState,
  frameBack: 0,
  frameCode: 0,
  frameLasti: 0,
  iframeInstr: 56,
  codeFilename: 112,
  codeName: 120,
  codeQualname: 128,
  codeLinetable: 136,
};
/** 3.12 and 3.13 share the frame and code layouts and the compact strings without `wstr`. */
const since312 = {
  iframeCode: 0,
  iframePrevious: 8,
  iframeOwner: 70,
  codeFirstlineno: 68,
  asciiSize: 40,
  compactSize: 56,
  tstateDatastackChunk: 232,
};

const ROWS: Record<number, Row> = {
  7: {
    ...frameObjects,
    runtimeInterpretersHead: 24,
    gil: { inRuntime: true, locked: 1280, lastHolder: 1272 },
    interpModules: 40,
    frameLasti: 104,
    codeFilename: 96,
    codeName: 104,
    codeFirstlineno: 36,
    codeLinetable: 112,
  },
  8: {
    ...frameObjects,
    ...code38,
    runtimeInterpretersHead: 32,
    gil: { inRuntime: true, locked: 1168, lastHolder: 1160 },
    interpModules: 56,
    frameLasti: 104,
  },
  9: {
    ...frameObjects,
    ...code38,
    runtimeInterpretersHead: 32,
    gil: { inRuntime: true, locked: 368, lastHolder: 360 },
    interpModules: 856,
    frameLasti: 104,
  },
  10: {
    ...frameObjects,
    ...code38,
    runtimeInterpretersHead: 32,
    gil: { inRuntime: true, locked: 368, lastHolder: 360 },
    interpModules: 856,
    frameLasti: 96,
  },
  11: {
    ...interpreterFrames,
    runtimeInterpretersHead: 40,
    gil: { inRuntime: true, locked: 376, lastHolder: 368 },
    interpNext: 0,
    interpTstateHead: 16,
    interpModules: 888,
    tstateFrame: 56,
    cframeCurrentFrame: 8,
    tstateThreadId: 152,
    tstateNativeThreadId: 160,
    tstateDatastackChunk: 296,
    iframeCode: 32,
    iframePrevious: 48,
    iframeOwner: 69,
    codeFirstlineno: 72,
    codeAdaptive: 184,
    asciiSize: 48,
    compactSize: 72,
  },
  12: {
    ...interpreterFrames,
    ...since312,
    runtimeInterpretersHead: 40,
    gil: { inRuntime: false, interpGilPointer: 384, locked: 16, lastHolder: 8 },
    interpNext: 0,
    interpTstateHead: 72,
    interpModules: 944,
    tstateFrame: 56,
    cframeCurrentFrame: 0,
    tstateThreadId: 136,
    tstateNativeThreadId: 144,
    codeAdaptive: 192,
  },
  13: {
    ...interpreterFrames,
    ...since312,
    runtimeInterpretersHead: 632,
    gil: { inRuntime: false, interpGilPointer: 16, locked: 16, lastHolder: 8 },
    interpNext: 7264,
    interpTstateHead: 7344,
    interpModules: 7656,
    tstateFrame: 72,
    cframeCurrentFrame: null,
    tstateThreadId: 152,
    tstateNativeThreadId: 160,
    codeAdaptive: 200,
  },
};

export const SUPPORTED_MINORS = Object.keys(ROWS)
  .map(Number)
  .sort((a, b) => a - b);
export const SUPPORTED_TEXT = `CPython ${SUPPORTED_MINORS.map((m) => `3.${m}`).join(', ')}`;

export function layoutFor(minor: number): PythonLayout | null {
  const row = ROWS[minor];
  if (!row) return null;
  const codeReadSize = Math.max(row.codeFilename, row.codeName, row.codeQualname ?? 0, row.codeLinetable, row.codeFirstlineno) + 8;
  return { minor, ...common, ...row, codeReadSize, unicodeHasReady: minor <= 11 };
}

/** Frame owners (3.11+ `_PyInterpreterFrame.owner`): a C-stack shim frame (3.12+) is not Python code. */
export const FRAME_OWNED_BY_CSTACK = 3;
