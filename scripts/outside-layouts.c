/* Prints the offsets src/capture/outside/layouts.ts holds, for one CPython version:
 *   gcc -w -I$PREFIX/include/python3.X -I$PREFIX/include/python3.X/internal scripts/outside-layouts.c -o /tmp/lay && /tmp/lay
 * (a developer tool: nothing runs it at build or test time). */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <frameobject.h>
#if PY_VERSION_HEX < 0x03080000
#include "internal/pystate.h"
#else
#include "internal/pycore_pystate.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#endif
#if PY_VERSION_HEX < 0x030b0000 && PY_VERSION_HEX >= 0x03080000
#include "internal/pycore_gil.h"
#endif
#if PY_VERSION_HEX >= 0x030c0000
#include "internal/pycore_gil.h"
#endif
#define P(name, expr) printf("  %s: %ld,\n", name, (long)(expr))
int main(void) {
  P("runtimeInterpretersHead", offsetof(_PyRuntimeState, interpreters.head));
#if PY_VERSION_HEX < 0x030c0000
  P("runtimeGilLocked", offsetof(_PyRuntimeState, ceval.gil.locked));
  P("runtimeGilLastHolder", offsetof(_PyRuntimeState, ceval.gil.last_holder));
#else
  P("interpGil", offsetof(PyInterpreterState, ceval.gil));
  P("gilLocked", offsetof(struct _gil_runtime_state, locked));
  P("gilLastHolder", offsetof(struct _gil_runtime_state, last_holder));
#endif
  P("interpNext", offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX < 0x030b0000
  P("interpTstateHead", offsetof(PyInterpreterState, tstate_head));
#else
  P("interpTstateHead", offsetof(PyInterpreterState, threads.head));
#endif
#if PY_VERSION_HEX < 0x030c0000
  P("interpModules", offsetof(PyInterpreterState, modules));
#else
  P("interpModules", offsetof(PyInterpreterState, imports.modules));
#endif
  P("tstateNext", offsetof(PyThreadState, next));
  P("tstateInterp", offsetof(PyThreadState, interp));
#if PY_VERSION_HEX < 0x030b0000
  P("tstateFrame", offsetof(PyThreadState, frame));
#elif PY_VERSION_HEX < 0x030d0000
  P("tstateCframe", offsetof(PyThreadState, cframe));
  P("cframeCurrentFrame", offsetof(_PyCFrame, current_frame));
#else
  P("tstateCurrentFrame", offsetof(PyThreadState, current_frame));
#endif
  P("tstateThreadId", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030b0000
  P("tstateNativeThreadId", offsetof(PyThreadState, native_thread_id));
#endif
#if PY_VERSION_HEX < 0x030b0000
  P("frameBack", offsetof(PyFrameObject, f_back));
  P("frameCode", offsetof(PyFrameObject, f_code));
  P("frameLasti", offsetof(PyFrameObject, f_lasti));
  P("frameLineno", offsetof(PyFrameObject, f_lineno));
#else
  P("tstateDatastackChunk", offsetof(PyThreadState, datastack_chunk));
#if PY_VERSION_HEX < 0x030d0000
  P("iframeCode", offsetof(_PyInterpreterFrame, f_code));
  P("iframeInstr", offsetof(_PyInterpreterFrame, prev_instr));
#else
  P("iframeCode", offsetof(_PyInterpreterFrame, f_executable));
  P("iframeInstr", offsetof(_PyInterpreterFrame, instr_ptr));
#endif
  P("iframePrevious", offsetof(_PyInterpreterFrame, previous));
  P("iframeOwner", offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX < 0x030c0000
  P("iframeIsEntry", offsetof(_PyInterpreterFrame, is_entry));
#endif
  P("codeAdaptive", offsetof(PyCodeObject, co_code_adaptive));
  P("codeQualname", offsetof(PyCodeObject, co_qualname));
  P("codeFirstTraceable", offsetof(PyCodeObject, _co_firsttraceable));
#endif
  P("codeFilename", offsetof(PyCodeObject, co_filename));
  P("codeName", offsetof(PyCodeObject, co_name));
  P("codeFirstlineno", offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX < 0x030a0000
  P("codeLinetable", offsetof(PyCodeObject, co_lnotab));
#else
  P("codeLinetable", offsetof(PyCodeObject, co_linetable));
#endif
#if PY_VERSION_HEX < 0x030b0000
  P("codeCode", offsetof(PyCodeObject, co_code));
#endif
  P("unicodeState", offsetof(PyASCIIObject, state));
  P("unicodeLength", offsetof(PyASCIIObject, length));
  P("asciiSize", sizeof(PyASCIIObject));
  P("compactSize", sizeof(PyCompactUnicodeObject));
  P("bytesSize", offsetof(PyVarObject, ob_size));
  P("bytesData", offsetof(PyBytesObject, ob_sval));
  P("dictMa_used", offsetof(PyDictObject, ma_used));
  P("dictKeys", offsetof(PyDictObject, ma_keys));
  P("dictValues", offsetof(PyDictObject, ma_values));
  P("typeName", offsetof(PyTypeObject, tp_name));
  P("typeDictoffset", offsetof(PyTypeObject, tp_dictoffset));
  P("typeFlags", offsetof(PyTypeObject, tp_flags));
  P("moduleDict", sizeof(PyObject));
  printf("  // PyDictKeysObject\n");
#if PY_VERSION_HEX >= 0x030b0000
  P("keysLog2Size", offsetof(PyDictKeysObject, dk_log2_size));
  P("keysLog2IndexBytes", offsetof(PyDictKeysObject, dk_log2_index_bytes));
  P("keysKind", offsetof(PyDictKeysObject, dk_kind));
  P("keysNentries", offsetof(PyDictKeysObject, dk_nentries));
  P("keysIndices", offsetof(PyDictKeysObject, dk_indices));
#endif
  P("longDigits", 0);
  P("tupleItems", offsetof(PyTupleObject, ob_item));
  P("sizeofFrameOrIframe", 0);
  return 0;
}
