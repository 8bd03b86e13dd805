"""pyrometer's in-process agent: starts sampling, then runs the user's program as python would.

Standard library only, Python 3.8+ syntax, CPython and PyPy.

Engines
- ``vmprof``: PyPy's built-in ``_vmprof`` (and ``_jitlog``) write a genuine VMProf file.
- ``sampler``: our own sampler (CPython, and PyPy when ``_vmprof`` is missing). It writes the
  VMProf format, version 6, the way vmprof-python's C extension does (layout below), so one
  reader serves both interpreters and vmprof-python's own reader reads our files.

VMProf layout written by the sampler (little-endian, word = C long, addr = pointer):
  5 words ``0, 3, 0, period_usec, 0``
  0x05 ``u8 0, u8 6, u8 flags, u8 len, "cpython"``       flags: MEMORY 1, LINES 2, REAL_TIME 0x10
  0x06 ``i64 sec, i64 usec, 8 zero bytes``                start time
  0x07 ``word klen, key, word vlen, value``               META (keys below; each key once)
  0x02 ``addr uid, word len, "py:name:firstline:file"``   a code object, before its first stack
  0x08 ``addr uid, word len, "n:name:line:file"``         a native frame (uid odd), before its first stack
  0x01 ``word 1, word depth, addr[depth], addr tid[, addr rss_kb]``   one sample, innermost first;
       with LINES each frame is ``line, uid`` (native frames ``0, uid``)
  0x03 ``i64 sec, i64 usec, 8 zero bytes``                stop time, end of file

Native frames we write
- ``n:<idle>:0:-`` on top of a thread that was waiting (not using CPU) when sampled in --wall mode.
- ``n:NAME:LINE:FILE`` on top of the calling Python frame for time spent in C code: the sampler
  only runs between bytecodes, so a long ``sorted()``/``re``/``zlib`` call shows up as a thread
  whose CPU time advanced far more than one sampling interval; that excess is written as samples
  of this native frame (NAME is the callee's source text when Python 3.11+ positions tell it).

META keys: sampler, mode, rate_hz, pid, ppid, python, implementation, start_monotonic,
``thread_name:0x<tid in hex>`` (the thread's name when first seen; tid = kernel thread id), ``ts:<n>`` (milliseconds from the
start at which stack record number n was written, at most every 10 ms: a time axis that
VMProf v6 otherwise lacks), and at the end: samples, snapshots, duration_s, cpu_s,
rate_hz_actual (stack snapshots per second of the sampled clock), native_samples, idle_samples,
sampler_cpu_s (CPU the sampler spent in its looks), agent_startup_cpu_s (from this module's import
to the start of sampling; the interpreter's own start-up not included).
"""
import os
# the C module under signal.py: the same functions, without signal.py's import of enum (about 4 ms
# of start-up CPU in an interpreter whose site has not loaded enum already)
import _signal as signal
import struct
import sys
import threading
import time
from _io import BytesIO as _BytesIO
from array import array as _array

_AGENT_START_CPU = time.process_time()  # for the agent_startup_cpu_s META
# the real functions: _install_guards() puts wrappers in their place for the program's own calls
_real_signal = signal.signal
_real_setitimer = signal.setitimer
_IS_PYPY = sys.implementation.name == 'pypy'
_thread_time = getattr(time, 'thread_time', time.process_time)
_perf_counter = time.perf_counter
_WORD = '<q' if struct.calcsize('l') == 8 else '<i'
_ADDR = '<q' if struct.calcsize('P') == 8 else '<i'
_ADDR_CHAR = _ADDR[1]

FLAG_MEMORY = 0x01
FLAG_LINES = 0x02
FLAG_REAL_TIME = 0x10

# CPU mode: how often the helper thread checks that the signal handler keeps up (seconds):
# every WATCH_PERIOD while the main thread is blocked, backing off to WATCH_PERIOD_MAX while not
WATCH_PERIOD = 0.02
WATCH_PERIOD_MAX = 0.08
# ...and while the main thread is the only one, it does not check at all: it sleeps until a thread
# starts (or the handler sees one), waking every ALONE_CHECK just in case. Every wake-up takes the
# GIL from the program, and on a 2-vCPU VM that costs the program ~0.7% CPU per wake-up a second
# (docs/performance.md): at WATCH_PERIOD_MAX that alone was +9% on a CPU-bound program.
ALONE_CHECK = 5.0

# While the main thread is alone, the handler takes quick looks (see Sampler._look_alone) and
# every QUICK_LOOKS + 1-th a full one, which notices threads started by C code (the start hook
# only sees threading's)
QUICK_LOOKS = 15

# buffered records reach the file at least this often (seconds), or once this many bytes wait
FLUSH_EVERY = 0.25
FLUSH_SIZE = 1 << 16

# the shortest stretch of C code the sampler separates from the calling line (seconds)
NATIVE_MIN = 0.02

# who took the previous look: the gap between two looks of the timer's is the kernel tick
LOOK_BY_HELPER = 0
LOOK_FULL_BY_HANDLER = 1
LOOK_QUICK = 2

IDLE_UID = 1  # the native `<idle>` frame; other native uids are odd numbers from 3 up


def _timeval_record(marker):
    now = time.time()
    sec = int(now)
    return marker + struct.pack('<qq', sec, int((now - sec) * 1e6)) + b'\0' * 8


def _high_fd(fd):
    """The descriptor moved high (close-on-exec), out of the way of a program that closes or
    reuses the low ones; `fd` itself when that cannot be done."""
    try:
        import fcntl
        # PyPy 7.3's fcntl lacks the constant (Linux: 1030)
        dupfd_cloexec = getattr(fcntl, 'F_DUPFD_CLOEXEC', 1030 if sys.platform.startswith('linux') else None)
        if dupfd_cloexec is None:
            return fd
        for low in (1000, 500, 100):
            try:
                high = fcntl.fcntl(fd, dupfd_cloexec, low)
            except OSError:
                continue
            os.close(fd)
            return high
    except ImportError:
        pass
    return fd


_protected_fds = set()  # descriptors the program's os.closerange() must not close
_running = []  # samplers (and PyPy's _vmprof) taking looks in this process: the guards stop them


def _give_way(reason):
    for profiler in list(_running):
        profiler.give_way(reason)


def _install_guards():
    """Wrappers around what the program may call that would break sampling or be broken by it:
    - SIGPROF handler or ITIMER_PROF timer of its own: ours stops, theirs works (summary says when);
    - os.exec*: the profile is completed and the timer stopped first (a timer that survives exec
      would kill the new program with SIGPROF); what runs after is not profiled;
    - os.closerange: our descriptors are skipped.
    The signal module's signal() calls _signal.signal at each call; its setitimer is a copy."""
    def signal_guard(signalnum, handler):
        if signalnum == signal.SIGPROF and not isinstance(getattr(handler, '__self__', None), Sampler):
            _give_way('installed its own SIGPROF handler')
        return _real_signal(signalnum, handler)

    def setitimer_guard(which, seconds, interval=0.0):
        if which == signal.ITIMER_PROF:
            _give_way('set its own ITIMER_PROF timer')
        return _real_setitimer(which, seconds, interval)

    signal.signal = signal_guard
    signal.setitimer = setitimer_guard
    module = sys.modules.get('signal')
    if module is not None and getattr(module, 'setitimer', None) is _real_setitimer:
        module.setitimer = setitimer_guard
    real_closerange = os.closerange

    def closerange_guard(low, high):
        for fd in sorted(fd for fd in _protected_fds if low <= fd < high):
            real_closerange(low, fd)
            low = fd + 1
        real_closerange(low, high)
    os.closerange = closerange_guard
    for name in ('execv', 'execve'):
        real = getattr(os, name, None)
        if real is not None:
            setattr(os, name, _exec_guard(real))


def _exec_guard(real):
    def exec_guard(*args, **kwargs):
        note = 'the program replaced itself (os.exec*): what it ran after that is not profiled'
        for profiler in list(_running):
            if profiler is not _state['profiler']:
                profiler.stop(note)  # a vmprof.enable()d file: completed too
        _finish(note)
        return real(*args, **kwargs)
    exec_guard.__name__ = real.__name__
    return exec_guard


def _string_bytes(s):
    return s.encode('utf-8', 'surrogateescape')


class VMProfWriter:
    """Buffers complete records and writes them with os.write, so the file holds only whole
    records at any moment (a killed run leaves a readable file without a trailer).

    The buffer is one growing block outside Python's small-object heap, not a list of record
    objects: records kept until the next flush were allocated among the program's own objects and
    kept memory it had just freed from being returned (docs/performance.md)."""

    def __init__(self, fd, period_usec, flags, interpreter, path=None):
        self.fd = fd
        self.path = path  # to re-open the file if the program closes our descriptor
        self.buffer = _BytesIO()
        self.write = self.buffer.write  # records go straight in; flush() empties the buffer
        self.meta_keys = set()
        # bytes written ahead of the buffered records at each flush: the sampler's `w:` META
        # weighing them, so a reader following the file never sees a record before its weight
        self.ahead = None
        name = interpreter.encode()
        head = struct.pack(_WORD, 0) + struct.pack(_WORD, 3) + struct.pack(_WORD, 0)
        head += struct.pack(_WORD, period_usec) + struct.pack(_WORD, 0)
        head += b'\x05\x00\x06' + bytes([flags, len(name)]) + name
        head += _timeval_record(b'\x06')
        self.add(head)

    def add(self, record):
        self.write(record)
        if self.pending() > FLUSH_SIZE:
            self.flush()

    def pending(self):
        return self.buffer.tell()

    def flush(self):
        buffer = self.buffer
        end = buffer.tell()
        if end:
            ahead = self.ahead() if self.ahead is not None else b''
            if ahead:
                self._write_all(memoryview(ahead), len(ahead))
            view = buffer.getbuffer()
            try:
                self._write_all(view, end)
            finally:
                view.release()
            # rewound, not truncated: the block keeps its size for the next records
            buffer.seek(0)

    def _write_all(self, view, end):
        done = 0
        while done < end:
            try:
                done += os.write(self.fd, view[done:end])
            except OSError as e:
                # the program closed our descriptor (os.closerange(3, ...) before exec,
                # a daemon's clean-up): go on in the same file, at its end
                if e.errno != 9 or self.path is None:
                    raise
                self.fd = _high_fd(os.open(self.path, os.O_WRONLY | os.O_APPEND))
                _protected_fds.add(self.fd)

    def discard(self):
        self.buffer.seek(0)

    def meta(self, key, value):
        if key in self.meta_keys:
            return  # vmprof-python's reader rejects a repeated key
        self.meta_keys.add(key)
        self.unique_meta(key, value)

    def unique_meta(self, key, value):
        """A META record whose key the caller knows is new (`ts:<n>`: n only grows), without
        remembering the key: 100 keys a second would otherwise pile up for the whole run."""
        k = _string_bytes(key)
        v = _string_bytes(str(value))
        self.add(b'\x07' + struct.pack(_WORD, len(k)) + k + struct.pack(_WORD, len(v)) + v)

    def symbol(self, marker, uid, text):
        b = _string_bytes(text)
        self.add(marker + struct.pack(_ADDR, uid) + struct.pack(_WORD, len(b)) + b)

    def close(self):
        self.add(_timeval_record(b'\x03'))
        self.flush()
        try:
            os.close(self.fd)
        except OSError:
            pass


def _thread_cpu_clock(native_id):
    """Linux's per-thread CPU clock id for a kernel thread id (what glibc's
    pthread_getcpuclockid computes); it fails cleanly for a thread that has gone."""
    return ((~native_id) << 3) | 6


def _call_text(code, lasti):
    """Source text of the callee at a CALL instruction (3.11+ positions), e.g. `zlib.compress`."""
    try:
        positions = list(code.co_positions())
        line, end_line, col, end_col = positions[lasti // 2]
        if line is None or col is None:
            return None
        import linecache
        text = linecache.getline(code.co_filename, line)
        if end_line != line:
            end_col = len(text)
        text = text[col:end_col].strip()
        # the callee is what precedes the argument list: the '(' matching the final ')'
        if text.endswith(')'):
            depth = 0
            for i in range(len(text) - 1, -1, -1):
                depth += {')': 1, '(': -1}.get(text[i], 0)
                if depth == 0:
                    text = text[:i]
                    break
        text = text.strip()
        if not text:
            return None
        if len(text) > 40 or '(' in text or ' ' in text:
            # `(a + b).encode`, `obj.items()[0].get`: keep the called attribute
            dot = text.rfind('.')
            text = '<expr>' + text[dot:] if dot >= 0 and text[dot + 1:].isidentifier() else None
        return text
    except Exception:
        return None


class _InArray:
    """An attribute kept in a slot of the instance's `numbers` array instead of as an object.

    Every look updates a few floats and counters. As objects, each new value would be allocated in
    the middle of the program's own small objects and live until the next look or longer, keeping
    pymalloc arenas the program has just emptied from being returned and re-faulted: primes' page
    faults fell by 40% and it ran ~2 points slower (docs/performance.md). In an array the values
    are plain numbers; only short-lived temporaries are allocated."""

    def __init__(self, index):
        self.index = index

    def __get__(self, obj, owner=None):
        return self if obj is None else obj.numbers[self.index]

    def __set__(self, obj, value):
        obj.numbers[self.index] = value


# Sampler.numbers slots. Code that runs in every look indexes them directly: through the
# descriptor each access is a Python-level call, which cold costs as much as a clock read.
(_LAST_CLOCK, _TYPICAL, _OWN_CPU, _LAST_TS, _LAST_FLUSH, _SAMPLES, _SNAPSHOTS, _NATIVE_SAMPLES,
 _IDLE_SAMPLES, _MARKS_USED, _QUICK_LEFT, _RECORDS, _SAMPLER_NUMBERS) = range(13)  # _QUICK_LEFT: see _look_alone


_THREAD_LAST_CPU, _THREAD_CREDIT = 0, 1  # _ThreadState.numbers slots


class _ThreadState:
    __slots__ = ('thread', 'tid', 'clock', 'tid_bytes', 'numbers')
    last_cpu = _InArray(_THREAD_LAST_CPU)
    credit = _InArray(_THREAD_CREDIT)

    def __init__(self):
        self.numbers = _array('d', (0.0, 0.0))


class Sampler:
    """Samples every thread's Python stack.

    CPU mode: ITIMER_PROF fires per `period` of process CPU time (in practice per kernel tick, see
    docs/design.md); its handler runs in the main thread and snapshots all threads. Each thread
    gets as many samples as the CPU time its own clock advanced since the last snapshot, so busy
    threads are attributed their own CPU and waiting threads none. A helper thread takes the
    snapshots while the main thread is blocked and cannot run the handler. While the main thread
    is alone, the handler takes quick looks (_look_alone): the same accounting for one thread.
    Wall mode: a daemon thread wakes every `period` and gives every thread one sample per elapsed
    period; threads whose CPU clock did not move are marked idle.
    """

    last_clock = _InArray(_LAST_CLOCK)
    typical = _InArray(_TYPICAL)
    own_cpu = _InArray(_OWN_CPU)  # CPU the sampler itself spent in its looks (thread CPU time)
    last_ts = _InArray(_LAST_TS)
    last_flush = _InArray(_LAST_FLUSH)
    samples = _InArray(_SAMPLES)  # counts are floats here: exact up to 2**53; written out as ints
    snapshots = _InArray(_SNAPSHOTS)
    native_samples = _InArray(_NATIVE_SAMPLES)
    idle_samples = _InArray(_IDLE_SAMPLES)
    marks_used = _InArray(_MARKS_USED)  # numbers in `marks` waiting for the next flush
    records = _InArray(_RECORDS)  # stack records written (one per stack a look saw)

    def __init__(self, fd, rate_hz, wall, lines, memory, stop_code_ids, native=True, path=None):
        self.native = native  # False: C code time stays on the calling line (vmprof's --no-native)
        self.numbers = _array('d', [0.0] * _SAMPLER_NUMBERS)
        self.period = 1.0 / rate_hz
        self.wall = wall
        self.lines = lines
        self.memory = memory
        self.stop_ids = frozenset(stop_code_ids)
        flags = (FLAG_LINES if lines else 0) | (FLAG_MEMORY if memory else 0) | (FLAG_REAL_TIME if wall else 0)
        self.writer = VMProfWriter(fd, int(round(self.period * 1e6)), flags,
                                   'pypy-sampler' if _IS_PYPY else 'cpython', path)
        self.writer.ahead = self._weights_meta
        self.codes = {}  # uid -> code object: keeps ids from being reused while we run
        self.natives = {}  # (code uid, line, name) -> native uid
        self.next_native = 3
        self.stacks = {}  # tuple of entries -> encoded record prefix (marker, count, depth, entries)
        self.threads = {}  # ident -> _ThreadState
        self.main_state = None  # the main thread's, for quick looks
        self.samples = 0
        self.snapshots = 0
        self.native_samples = 0
        self.idle_samples = 0
        self.last_ts = -1.0
        self.marks = _array('d', [0.0]) * 512  # (record number, perf_counter) pairs: the ts: METAs
        self.weights = _array('l')  # the weight (in periods) of each record since the last flush
        self.main_ident = threading.main_thread().ident
        # created by the main thread (at start-up, or in a fork's only thread)
        self.main_native_id = threading.get_native_id() if hasattr(threading, 'get_native_id') else None
        self.sampler_ident = None
        # recent snapshot intervals: the shortest is the usual gap between snapshots (the kernel
        # tick in CPU mode, the GIL switch interval in wall mode under load); a thread whose CPU
        # advanced far beyond it was held in C code. Until one is known, assume a 100 Hz tick.
        self.recent = _array('d', [1e9] * 16)  # "unknown" never wins the min() below
        self.recent_i = 0
        self.typical = max(self.period, 0.01)
        self.call_sites = {}
        self.statm = None
        self.page_kb = 4
        if memory:
            try:
                self.statm = os.open('/proc/self/statm', os.O_RDONLY)
                self.page_kb = os.sysconf('SC_PAGE_SIZE') // 1024
            except (OSError, ValueError, AttributeError):
                self.statm = None
        self.stopped = False  # no more looks
        self.finished = False  # stop() has written the end of the file
        self.stop_note = None  # why sampling stopped before the program ended
        self.gave_way = False  # the program took SIGPROF or ITIMER_PROF for itself
        self.chained = None  # a Python SIGPROF handler that was there before ours (called after our look)
        self.old_timer = (0.0, 0.0)
        import _thread
        self.lock = _thread.allocate_lock()
        self.previous_look = LOOK_BY_HELPER  # what took the previous look (LOOK_*), for _note_interval
        self.watch_wait = WATCH_PERIOD
        self.helper_alone = False  # the CPU-mode helper sleeps until a second thread appears
        self.poked = False
        self.hooked_start = None  # (name, original, ours): threading's thread-start function we wrap
        self.last_flush = time.perf_counter()
        self.errors = 0
        self.last_error = ''
        self.old_handler = None
        w = self.writer
        w.meta('sampler', 'pyrometer')
        w.meta('mode', 'wall' if wall else 'cpu')
        w.meta('rate_hz', rate_hz)
        w.meta('pid', os.getpid())
        w.meta('ppid', os.getppid())
        w.meta('implementation', sys.implementation.name)
        w.meta('python', '%d.%d.%d' % sys.version_info[:3])
        w.meta('os', sys.platform)
        w.meta('bits', struct.calcsize('P') * 8)
        w.symbol(b'\x08', IDLE_UID, 'n:<idle>:0:-')
        w.flush()  # a file that exists is never empty: a reader sees at least a valid header

    # -- clocks ---------------------------------------------------------------------------
    def _clock_now(self):
        return time.perf_counter() if self.wall else time.process_time()

    def _thread_state(self, ident):
        thread = threading._active.get(ident)
        st = self.threads.get(ident)
        if st is not None and st.thread is thread:
            return st
        st = _ThreadState()
        st.thread = thread
        if ident == self.main_ident:
            native_id = self.main_native_id  # threading keeps a stale one after fork on 3.11
        elif ident == threading.get_ident():
            native_id = threading.get_native_id()
        else:
            native_id = getattr(thread, 'native_id', None) if thread is not None else None
        st.tid = native_id if native_id is not None else ident
        st.clock = None
        if native_id is not None and sys.platform.startswith('linux'):
            st.clock = _thread_cpu_clock(native_id)
        elif hasattr(time, 'pthread_getcpuclockid'):
            try:
                st.clock = time.pthread_getcpuclockid(ident)
            except OSError:
                st.clock = None
        st.last_cpu = 0.0  # a thread's clock starts at its creation: its first delta is its whole CPU so far
        st.credit = 0.0
        st.tid_bytes = struct.pack(_ADDR, st.tid)
        self.threads[ident] = st
        if ident == self.main_ident:
            self.main_state = st
        name = thread.name if thread is not None else ('MainThread' if ident == self.main_ident else 'thread-%d' % st.tid)
        # keyed like readers print CPython thread ids (0x-hex)
        self.writer.meta('thread_name:0x%x' % st.tid, name)
        return st

    # -- encoding -------------------------------------------------------------------------
    def _announce_code(self, uid, code):
        self.codes[uid] = code
        self.writer.symbol(b'\x02', uid, 'py:%s:%d:%s' % (code.co_name, code.co_firstlineno, code.co_filename))

    def _native_uid(self, code, line, lasti):
        key = (id(code), line)
        uid = self.natives.get(key)
        if uid is None:
            name = None
            if sys.version_info >= (3, 11) and lasti is not None and lasti >= 0 and self._in_call_at(code, lasti):
                name = _call_text(code, lasti)
            uid = self.next_native
            self.next_native += 2
            self.natives[key] = uid
            self.writer.symbol(b'\x08', uid, 'n:%s:%d:%s' % (name or '<C code>', line, code.co_filename))
        return uid

    def _encode(self, key):
        depth = len(key)
        rec = b'\x01' + struct.pack(_WORD, 1) + struct.pack(_WORD, depth) + struct.pack('<%d%s' % (depth, _ADDR_CHAR), *key)
        self.stacks[key] = rec
        return rec

    def _walk(self, frame):
        """Entries innermost first: uids, or (line, uid) pairs in lines mode. Stops at our own frames."""
        out = []
        stop = self.stop_ids
        codes = self.codes
        lines = self.lines
        while frame is not None:
            code = frame.f_code
            uid = id(code)
            if uid in stop:
                break
            if uid not in codes:
                self._announce_code(uid, code)
            if lines:
                out.append(frame.f_lineno or 0)
            out.append(uid)
            frame = frame.f_back
        return out

    # -- sampling -------------------------------------------------------------------------
    def _emit(self, st, top, count, native_count, idle):
        """One record per stack a look saw (at most two: the C-code part and the line), each
        written once with its weight in periods kept for the `w:<n>` META (see flush)."""
        entries = self._walk(top)
        if not entries:
            return False
        key = tuple(entries)
        suffix = st.tid_bytes
        if self.memory:
            suffix += struct.pack(_ADDR, self._rss_kb())
        write = self.writer.write
        weights = self.weights
        numbers = self.numbers
        if idle:
            ikey = ((0, IDLE_UID) if self.lines else (IDLE_UID,)) + key
            write(self.stacks.get(ikey) or self._encode(ikey))
            write(suffix)
            weights.append(count)
            numbers[_RECORDS] += 1
            numbers[_IDLE_SAMPLES] += count
            numbers[_SAMPLES] += count
            return True
        if native_count > 0:
            line = top.f_lineno or 0
            lasti = getattr(top, 'f_lasti', -1)
            nuid = self._native_uid(top.f_code, line, lasti)
            nkey = ((0, nuid) if self.lines else (nuid,)) + key
            write(self.stacks.get(nkey) or self._encode(nkey))
            write(suffix)
            weights.append(native_count)
            numbers[_RECORDS] += 1
            numbers[_NATIVE_SAMPLES] += native_count
            count -= native_count
        if count > 0:
            write(self.stacks.get(key) or self._encode(key))
            write(suffix)
            weights.append(count)
            numbers[_RECORDS] += 1
        numbers[_SAMPLES] += native_count + count
        return True

    def _in_call(self, frame):
        """True when the frame stands at a call instruction (3.11+: where a C call returns to the
        eval loop). Older versions stop at the instruction after the call: assume a call."""
        if sys.version_info < (3, 11):
            return True
        return self._in_call_at(frame.f_code, frame.f_lasti)

    def _in_call_at(self, code, lasti):
        key = (id(code), lasti)
        answer = self.call_sites.get(key)
        if answer is None:
            import dis
            try:
                op = dis.opname[code.co_code[lasti]]
            except (IndexError, AttributeError):
                op = ''
            answer = self.call_sites[key] = op.startswith('CALL') or op == 'PRECALL'
        return answer

    def _rss_kb(self):
        if self.statm is None:
            return 0
        try:
            return int(os.pread(self.statm, 64, 0).split()[1]) * self.page_kb
        except (OSError, ValueError, IndexError):
            return 0

    def _note_interval(self, interval):
        recent = self.recent
        i = self.recent_i
        recent[i] = interval
        self.recent_i = (i + 1) & 15
        # the shortest recent gap: long holds in C must not raise the bar for detecting them
        self.numbers[_TYPICAL] = max(min(recent), self.period)

    def snapshot(self, main_frame, usual_gap=0.0):
        """One look at every thread, unless another look is under way (the signal handler and the
        helper thread never both run one). `main_frame` replaces the main thread's own frame (the
        signal handler's); `usual_gap` is how far apart looks of this kind normally are."""
        if self.stopped or not self.lock.acquire(False):
            return
        own_start = _thread_time()
        try:
            now = self._clock_now()
            elapsed = now - self.last_clock
            self.last_clock = now
            self._snapshot(main_frame, elapsed, usual_gap)
        except Exception as e:
            self.errors += 1
            self.last_error = repr(e)  # never let sampling break the user's program
        finally:
            self.own_cpu += _thread_time() - own_start
            self.lock.release()

    def _look_alone(self, frame):
        """The handler's look while the main thread is the only one (the helper sleeps, see
        _cpu_step): _snapshot's accounting for that one thread, without sys._current_frames()
        and with one clock, the main thread's, read at each end. A look costs little warm (~3 us)
        but 10-30 times that right after the program ran, in cache and TLB misses: every call,
        object and clock read left out counts (docs/performance.md). Every QUICK_LOOKS + 1-th
        look is a full one, which notices threads that C code started behind threading's back."""
        numbers = self.numbers
        left = numbers[_QUICK_LEFT]
        if left <= 0:
            numbers[_QUICK_LEFT] = QUICK_LOOKS
            self.snapshot(frame)
            return
        numbers[_QUICK_LEFT] = left - 1
        if self.stopped or not self.lock.acquire(False):
            return
        st = self.main_state
        thread_numbers = st.numbers
        cpu = _thread_time()  # the main thread's clock (we are it), and when this look began
        try:
            numbers[_SNAPSHOTS] += 1
            elapsed = cpu - thread_numbers[_THREAD_LAST_CPU]
            thread_numbers[_THREAD_LAST_CPU] = cpu
            # the main thread's CPU is the process's here: the same gaps full looks measure
            if self.previous_look != LOOK_BY_HELPER:
                self._note_interval(elapsed)
            self.previous_look = LOOK_QUICK
            records_before = numbers[_RECORDS]
            self._sample_thread(st, frame, thread_numbers[_THREAD_CREDIT] + elapsed, elapsed,
                                max(3 * numbers[_TYPICAL], NATIVE_MIN), False)
            if numbers[_RECORDS] != records_before:
                self._after_samples(records_before)
        except Exception as e:
            self.errors += 1
            self.last_error = repr(e)
        finally:
            numbers[_OWN_CPU] += _thread_time() - cpu
            self.lock.release()

    def _snapshot(self, main_frame, elapsed, usual_gap):
        self.snapshots += 1
        # the usual gap: from the handler's looks that followed one another (helper looks in
        # between would make gaps look shorter than the timer's)
        # (after quick looks, `elapsed` spans them all: they noted their own gaps)
        by_handler = main_frame is not None or self.wall
        if by_handler and self.previous_look == LOOK_FULL_BY_HANDLER:
            self._note_interval(elapsed)
        self.previous_look = LOOK_FULL_BY_HANDLER if by_handler else LOOK_BY_HELPER
        frames = sys._current_frames()
        if main_frame is not None:
            frames[self.main_ident] = main_frame
        if self.sampler_ident is not None:
            frames.pop(self.sampler_ident, None)
        if self.helper_alone and len(frames) > 1:
            self.helper_alone = False
            self._poke_helper()  # a thread the start hook did not see (e.g. started by C code)
        # A thread whose CPU advanced far more than looks are usually apart was held in C code.
        # Gaps jitter by a few ticks anyway: only holds of NATIVE_MIN or more count.
        excess_limit = max(3 * max(self.typical, usual_gap), NATIVE_MIN)
        records_before = self.records
        for ident, top in frames.items():
            st = self._thread_state(ident)
            cpu_delta = None
            if st.clock is not None:
                try:
                    cpu = time.clock_gettime(st.clock)
                    cpu_delta = cpu - st.last_cpu
                    st.last_cpu = cpu
                except OSError:
                    st.clock = None
            if self.wall:
                credit = st.credit + elapsed
                idle = cpu_delta is not None and cpu_delta < 0.1 * elapsed
            else:
                if cpu_delta is None:
                    # no per-thread clock (not Linux): the process CPU goes to the main thread
                    if ident != self.main_ident:
                        continue
                    cpu_delta = elapsed
                credit = st.credit + cpu_delta
                idle = False
            self._sample_thread(st, top, credit, cpu_delta, excess_limit, idle)
        if self.records != records_before:
            self._after_samples(records_before)

    def _sample_thread(self, st, top, credit, cpu_delta, excess_limit, idle):
        """Turns a thread's credited time (seconds) into samples of its stack at `top`, keeping
        what is left under one period for the next look."""
        period = self.period
        if credit < period:
            st.numbers[_THREAD_CREDIT] = credit
            return
        count = int(credit / period)
        native = 0
        # Only C code keeps a thread from the eval loop's checks that long, and on 3.11+ a frame
        # that has just come back from C stands at its call instruction. Both must hold: the
        # kernel's CPU timer itself sometimes fires late, and a thread may have been waiting
        # for the GIL rather than running C.
        if (not idle and self.native and cpu_delta is not None and cpu_delta > excess_limit
                and self._in_call(top)):
            native = min(count, int((cpu_delta - self.numbers[_TYPICAL]) / period))
        if self._emit(st, top, count, native, idle):
            st.numbers[_THREAD_CREDIT] = credit - count * period
        else:
            st.numbers[_THREAD_CREDIT] = credit  # the thread was in our own code: its time goes to the next look

    def _after_samples(self, records_before):
        """Time marks and flushing, after a look that wrote records from number `records_before` on."""
        now = _perf_counter()
        numbers = self.numbers
        if now - numbers[_LAST_TS] >= 0.01:
            numbers[_LAST_TS] = now
            # formatted at the flush, a batch at a time: formatting two numbers per look touched
            # more code than the rest of a look (its cost is mostly cache misses, every 10 ms)
            i = int(numbers[_MARKS_USED])
            marks = self.marks
            marks[i] = records_before
            marks[i + 1] = now
            numbers[_MARKS_USED] = i + 2
        # a process killed outright (SIGKILL, OOM) keeps all but the last moments
        if (now - numbers[_LAST_FLUSH] >= FLUSH_EVERY or numbers[_MARKS_USED] >= len(self.marks)
                or self.writer.pending() > FLUSH_SIZE):
            self.flush()

    def flush(self):
        """Pending time marks, then every buffered record, to the file."""
        self.last_flush = _perf_counter()
        marks = self.marks
        meta = self.writer.unique_meta
        start = self.start_wall
        for i in range(0, int(self.marks_used), 2):
            meta('ts:%d' % marks[i], '%.3f' % ((marks[i + 1] - start) * 1000.0))
        self.marks_used = 0
        self.writer.flush()

    def _weights_meta(self):
        """The `w:` META weighing the buffered records (written ahead of them by the writer's
        flush, whatever calls it); empty when all weigh 1, as in files from before weights."""
        weights = self.weights
        if not weights:
            return b''
        out = b''
        if max(weights) > 1:
            k = _string_bytes('w:%d' % (self.records - len(weights)))
            v = _string_bytes(','.join(map(str, weights)))
            out = b'\x07' + struct.pack(_WORD, len(k)) + k + struct.pack(_WORD, len(v)) + v
        del weights[:]
        return out

    # -- control --------------------------------------------------------------------------
    def start(self):
        self.start_wall = time.perf_counter()
        self.start_cpu = time.process_time()
        self.writer.meta('start_monotonic', '%.6f' % self.start_wall)
        self.clock_start = _tick_clock_pair()  # PyPy (--engine sampler): ties a PYPYLOG to this profile
        # the main thread's clock has run since the interpreter started: count from now
        st = self._thread_state(self.main_ident)
        if st.clock is not None:
            try:
                st.last_cpu = time.clock_gettime(st.clock)
            except OSError:
                st.clock = None
        self.last_clock = self._clock_now()
        # a bare _thread, not a threading.Thread: threading.enumerate() in the user's program
        # does not list it, and interpreter shutdown does not wait for it
        import _thread
        self.loop_done = _thread.allocate_lock()
        self.loop_done.acquire()
        self.wake = _thread.allocate_lock()
        self.wake.acquire()
        if self.wall:
            self.sampler_ident = _thread.start_new_thread(self._helper_loop, (self._wall_step, self.period))
        else:
            self.old_handler = _real_signal(signal.SIGPROF, self._on_sigprof)
            # another sampler's handler (pyrometer record's, when the program calls vmprof.enable):
            # it keeps getting its looks from ours, and its timer comes back when we stop
            self.chained = self.old_handler if callable(self.old_handler) else None
            self.old_timer = _real_setitimer(signal.ITIMER_PROF, self.period, self.period)
            # The handler runs in the main thread only. SIGPROF goes to whichever thread burns
            # CPU, so while the main thread is blocked (join(), queue.get()) and workers compute,
            # nothing would run it: this helper looks instead when the handler has fallen behind.
            self._hook_thread_start()
            self.sampler_ident = _thread.start_new_thread(self._helper_loop, (self._cpu_step, WATCH_PERIOD))
        _running.append(self)

    def _on_sigprof(self, signum, frame):
        # a signal arriving while the handler runs calls it again inside itself: the lock in
        # snapshot() turns that into a no-op, and the next look accounts for the time.
        # Nothing may escape into the user's program from here: an exception raised in a signal
        # handler surfaces wherever the program happened to be. PyPy 7.3.11 was seen (rarely, in
        # CI) raising UnboundLocalError for `frame` itself when a signal lands mid-call.
        try:
            if self.helper_alone:
                self._look_alone(frame)
            else:
                self.snapshot(frame)
        except Exception:
            pass  # one lost look: the next look's elapsed clock accounts for the time
        chained = self.chained
        if chained is not None:
            chained(signum, frame)

    def _helper_loop(self, step, period):
        # `step` returns the seconds until it wants to run again (None: the usual period)
        try:
            next_t = time.perf_counter() + period
            while not self.stopped:
                delay = next_t - time.perf_counter()
                if delay > 0 and self.wake.acquire(True, delay):
                    # released by stop() (no waiting out the rest of a sleep at exit) or by
                    # _poke_helper() (a thread started): step now
                    if self.stopped:
                        break
                    next_t = time.perf_counter()
                if self.stopped:
                    break
                wait = step()
                next_t = max(next_t + (wait or period), time.perf_counter())
        finally:
            self.loop_done.release()

    def _poke_helper(self):
        self.poked = True
        try:
            self.wake.release()
        except RuntimeError:
            pass  # already released: the helper wakes anyway

    def _hook_thread_start(self):
        # A program that starts workers and joins them at once never lets the handler see them,
        # and a worker that ends between looks takes its CPU with it: wake the helper as a thread
        # starts. threading looks its start function up as a module global at every start.
        name = '_start_joinable_thread' if hasattr(threading, '_start_joinable_thread') else '_start_new_thread'
        original = getattr(threading, name, None)
        if original is None:
            return
        poke = self._poke_helper

        def start_thread(*args, **kwargs):
            started = original(*args, **kwargs)
            poke()
            return started
        setattr(threading, name, start_thread)
        self.hooked_start = (name, original, start_thread)

    def _unhook_thread_start(self):
        if self.hooked_start is not None:
            name, original, ours = self.hooked_start
            if getattr(threading, name, None) is ours:
                setattr(threading, name, original)
            self.hooked_start = None

    def _wall_step(self):
        # waiting for the GIL is part of the gap between looks
        self.snapshot(None, sys.getswitchinterval())

    def _cpu_step(self):
        # Every wake-up takes the GIL from the program, so it backs off (up to WATCH_PERIOD_MAX)
        # while the handler keeps up, and looks every WATCH_PERIOD while it has to stand in.
        # Alone with the main thread it sleeps: blocked, the main thread burns no CPU to sample.
        poked, self.poked = self.poked, False
        # (a thread just started may not have a frame yet: after a poke, watch at least once)
        if not poked and len(sys._current_frames()) <= 2:
            self.watch_wait = WATCH_PERIOD
            self.helper_alone = True
            return ALONE_CHECK
        self.helper_alone = False
        busy = time.process_time() - self.last_clock
        backoff = min(self.watch_wait * 2, WATCH_PERIOD_MAX)
        if busy < self.typical:
            self.watch_wait = backoff
            return backoff
        main = self.threads.get(self.main_ident)
        if main is not None and main.clock is not None:
            try:
                if time.clock_gettime(main.clock) - main.last_cpu > 0.25 * busy:
                    self.watch_wait = backoff
                    return backoff  # the main thread runs: the handler keeps up
            except OSError:
                pass
        elif busy < 3 * self.typical:
            return None
        self.watch_wait = WATCH_PERIOD
        self.snapshot(None, max(WATCH_PERIOD, sys.getswitchinterval()))
        return WATCH_PERIOD

    def _disarm_timer(self):
        """CPU mode: stop the timer and give SIGPROF back its previous handler (and the timer
        back to the sampler we chained to), unless the program has put its own in place."""
        if self.wall or self.gave_way:
            return  # no timer, or the program's own handler and timer are in charge now
        try:
            current = signal.getsignal(signal.SIGPROF)
            if current != self._on_sigprof:
                return
            if self.chained is not None and self.old_timer[0] > 0:
                _real_setitimer(signal.ITIMER_PROF, *self.old_timer)
            else:
                _real_setitimer(signal.ITIMER_PROF, 0, 0)
            _real_signal(signal.SIGPROF, self.old_handler if self.old_handler is not None else signal.SIG_DFL)
        except (ValueError, TypeError, OSError):
            pass  # not the main thread (a handler cannot be set there), or already torn down

    def give_way(self, reason):
        """The program takes SIGPROF or ITIMER_PROF for itself: our timer goes, theirs works,
        and the profile says from when it has no samples."""
        if self.stopped or self.wall:
            return
        self._disarm_timer()
        self.stopped = self.gave_way = True
        self.stop_note = 'sampling stopped %.3f s into the run: the program %s' % (
            time.perf_counter() - self.start_wall, reason)

    def forget(self):
        """In a forked child: drop the parent's sampler without writing (the parent owns the file)."""
        self.stopped = self.finished = True
        self.writer.discard()
        self.marks_used = 0
        del self.weights[:]
        self._unhook_thread_start()
        self._disarm_timer()
        for fd in (self.writer.fd, self.statm):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def stop(self, note=None):
        if self.finished:
            return
        self.stopped = self.finished = True
        self.stop_note = self.stop_note or note
        if self in _running:
            _running.remove(self)
        self._unhook_thread_start()
        if self.sampler_ident is not None and self.sampler_ident != threading.get_ident():
            self._poke_helper()
            self.loop_done.acquire(timeout=1.0)
        self._disarm_timer()
        duration = time.perf_counter() - self.start_wall
        cpu = time.process_time() - self.start_cpu
        clock_s = duration if self.wall else cpu
        self.flush()
        w = self.writer
        w.meta('samples', int(self.samples))
        w.meta('records', int(self.records))
        w.meta('snapshots', int(self.snapshots))
        w.meta('duration_s', '%.6f' % duration)
        clock_stop = _tick_clock_pair()
        if getattr(self, 'clock_start', None) and clock_stop:
            w.meta('pypylog_clock', '%d %.3f %d %.3f' % (self.clock_start + clock_stop))
        w.meta('cpu_s', '%.6f' % cpu)
        w.meta('rate_hz_actual', '%.1f' % (self.snapshots / clock_s if clock_s > 0 else 0.0))
        w.meta('sampler_cpu_s', '%.6f' % self.own_cpu)
        w.meta('agent_startup_cpu_s', '%.6f' % (self.start_cpu - _AGENT_START_CPU))
        w.meta('native_samples', int(self.native_samples))
        w.meta('idle_samples', int(self.idle_samples))
        if self.stop_note:
            w.meta('sampling_stopped', self.stop_note)
        if self.errors:
            w.meta('sampler_errors', '%d %s' % (self.errors, self.last_error))
        if self.statm is not None:
            os.close(self.statm)
        w.close()
        _protected_fds.discard(w.fd)


# The filler module --flush-names compiles (see PyPyVMProf._start_name_flusher); stream/follow.ts
# recognises its file name.
_NAME_FLUSH_FILE = '<pyrometer-flush-names: filler code that makes PyPy write the code names it holds back>'
_NAME_FLUSH_SOURCE = ''.join('def pyrometer_flushes_pypy_code_names_%02d_%s(): pass\n' % (i, 'x' * 50) for i in range(40))


class PyPyVMProf:
    """PyPy's own _vmprof (and _jitlog): genuine VMProf files, JIT frames included."""

    def __init__(self, fd, rate_hz, wall, memory, jitlog_path, path=None, native=True, lines=False, flush_names=0.0):
        import _vmprof
        self.flush_names = flush_names
        self.native = native
        self.lines = lines
        self.stop_note = None
        self._vmprof = _vmprof
        self.fd = fd
        self.path = path
        self.period = 1.0 / rate_hz
        self.wall = wall
        self.memory = memory
        self.jitlog_fd = None
        self.threads_started = False
        if jitlog_path:
            import _jitlog
            self._jitlog = _jitlog
            self.jitlog_fd = _high_fd(os.open(jitlog_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
            _protected_fds.add(self.jitlog_fd)
        self.stopped = False
        self.clock_start = None

    def start(self):
        self.start_wall = time.perf_counter()
        self.clock_start = _tick_clock_pair()
        if self.jitlog_fd is not None:
            self._jitlog.enable(self.jitlog_fd)
        # enable(fileno, period, memory, lines, native, real_time). PyPy 7.3 takes lines but
        # records none (no LINES flag in the header): `record` reads the header and says so.
        # native=1: without it PyPy 7.3 records no JIT frames (ASSEMBLER/JITTED entries)
        self._vmprof.enable(self.fd, self.period, int(self.memory), int(self.lines), int(self.native), int(self.wall))
        _running.append(self)
        if self.flush_names > 0:
            self._start_name_flusher()
        if self.wall and not hasattr(self._vmprof, 'insert_real_time_thread'):
            self._watch_first_thread()

    def _start_name_flusher(self):
        """--stream: PyPy's _vmprof writes each sample at once but holds the names of new code
        objects in a buffer (about 8 KiB) that it writes only when full or at disable(), so a
        stream could not name the program's functions until the end. Compiling one module of
        40 long-named functions registers a buffer's worth of names and pushes the held ones out
        (well under a millisecond once warm). The filler code never runs; `record` leaves its
        names out of the stream (FLUSH_NAMES_FILE)."""
        profiler = self

        def flush():
            while not profiler.stopped:
                time.sleep(profiler.flush_names)
                if profiler.stopped:
                    break
                try:
                    compile(_NAME_FLUSH_SOURCE, _NAME_FLUSH_FILE, 'exec')
                except Exception:
                    break
                if _tick_clock_fd is not None:
                    _tick_clock_pair()  # one pair an interval: the stream's clock for PYPYLOG ticks

        t = threading.Thread(target=flush, name='pyrometer-name-flush', daemon=True)
        t.start()

    def _watch_first_thread(self):
        """Notes (once, then steps aside) that the program started a thread: in wall-clock mode
        this _vmprof samples only the thread that enabled it, which the summary then says."""
        name = '_start_joinable_thread' if hasattr(threading, '_start_joinable_thread') else '_start_new_thread'
        original = getattr(threading, name, None)
        if original is None:
            return
        profiler = self

        def start_thread(*args, **kwargs):
            if getattr(threading, name, None) is start_thread:
                setattr(threading, name, original)
            profiler.threads_started = True
            return original(*args, **kwargs)

        setattr(threading, name, start_thread)

    def give_way(self, reason):
        # _vmprof's C handler and timer cannot share SIGPROF: the profile ends here
        self.stop('sampling stopped %.3f s into the run: the program %s'
                  % (time.perf_counter() - self.start_wall, reason))

    def forget(self):
        # _vmprof's timer does not survive fork; its state does, and disable() would write into
        # the parent's file: leave it alone (forked PyPy children are not profiled)
        self.stopped = True
        try:
            os.close(self.fd)
        except OSError:
            pass

    def stop(self, note=None):
        if self.stopped:
            return
        self.stopped = True
        if self in _running:
            _running.remove(self)
        clock_stop = _tick_clock_pair()
        try:
            # as vmprof-python does: stop sampling, name the native frames (0x08 records), then
            # disable() writes the trailer (and removes the timer and the handler)
            if self.path is not None and hasattr(self._vmprof, 'stop_sampling'):
                fd = self._vmprof.stop_sampling()
                if fd >= 0:
                    try:
                        _write_native_symbols(self.path, fd)
                    except Exception:
                        pass  # unnamed native frames are still a valid profile
                    metas = {'sampling_stopped': note}
                    if self.clock_start and clock_stop:
                        # PYPYLOG's timestamps are this tick counter: both clocks at start and stop
                        # place its GC and JIT phases at their real times (formats/pypylog)
                        metas['pypylog_clock'] = '%d %.3f %d %.3f' % (self.clock_start + clock_stop)
                    if self.threads_started:
                        # Real-time mode (SIGALRM) samples the threads on _vmprof's list, and only
                        # the enabling thread is put there: vmprof-python's insert_real_time_thread()
                        # is missing from PyPy's _vmprof, libpypy exports no way in, and forwarding
                        # SIGALRM from Python is GIL-bound, interrupts the threads' waits, and lands in
                        # samples PyPy writes with thread id 0 (threads not told apart). See README.
                        metas['sampling_note'] = (
                            "--wall on PyPy: _vmprof sampled only the main thread, not the threads the "
                            "program started (PyPy's _vmprof cannot add threads to its wall-clock "
                            "sampling); for every thread: --wall --engine sampler (no JIT frames)")
                    for key, value in metas.items():
                        if value:
                            k, v = _string_bytes(key), _string_bytes(value)
                            os.write(fd, b'\x07' + struct.pack(_WORD, len(k)) + k + struct.pack(_WORD, len(v)) + v)
            self._vmprof.disable()
        finally:
            os.close(self.fd)
            _protected_fds.discard(self.fd)
            if self.jitlog_fd is not None:
                self._jitlog.disable()  # closes the fd itself


# --tick-clock PATH (record --stream --pypylog): every pair read is also appended there, so that
# the stream can place PYPYLOG sections on the wall clock while the program runs (stream/pypylog.ts)
_tick_clock_fd = None


def _tick_clock_pair():
    """(PyPy's debug tick counter, Unix time in ms) read together, or None off PyPy."""
    try:
        from __pypy__ import debug_read_timestamp
    except ImportError:
        return None
    before = debug_read_timestamp()
    wall_ms = time.time() * 1000.0
    after = debug_read_timestamp()
    pair = ((before + after) // 2, wall_ms)
    if _tick_clock_fd is not None:
        try:
            os.write(_tick_clock_fd, ('%d %.3f\n' % pair).encode('ascii'))
        except OSError:
            pass  # the stream then places fewer sections; the profile is unaffected
    return pair


def _native_addresses(path):
    """Addresses of NATIVE (kind 7) entries in a PyPy profile (64-bit words)."""
    with open(path, 'rb') as f:
        data = f.read()
    found = set()
    pos = 40
    flags = 0
    n = len(data)
    while pos < n:
        marker = data[pos]
        pos += 1
        if marker == 5:
            flags = data[pos + 2]
            pos += 4 + data[pos + 3]
        elif marker in (3, 6):
            pos += 24
        elif marker == 7:
            pos += 8 + struct.unpack_from('<q', data, pos)[0]
            pos += 8 + struct.unpack_from('<q', data, pos)[0]
        elif marker in (2, 8):
            pos += 16 + struct.unpack_from('<q', data, pos + 8)[0]
        elif marker == 1:
            depth = struct.unpack_from('<q', data, pos + 8)[0]
            if pos + 16 + 8 * depth > n:
                break
            entries = struct.unpack_from('<%dq' % depth, data, pos + 16)
            for i in range(0, depth - 1, 2):
                if entries[i] == 7:
                    found.add(entries[i + 1])
            pos += 16 + 8 * depth + 8 + (8 if flags & 1 else 0)
        else:
            break
    return found


def _write_native_symbols(path, fd):
    """Names native frames with dladdr (through ctypes): `n:symbol:0:library`."""
    addresses = _native_addresses(path)
    if not addresses:
        return
    import ctypes

    class DlInfo(ctypes.Structure):
        _fields_ = [('dli_fname', ctypes.c_char_p), ('dli_fbase', ctypes.c_void_p),
                    ('dli_sname', ctypes.c_char_p), ('dli_saddr', ctypes.c_void_p)]

    dladdr = ctypes.CDLL(None).dladdr
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    dladdr.restype = ctypes.c_int
    records = []
    for addr in sorted(addresses):
        info = DlInfo()
        name, library = None, '-'
        if dladdr(ctypes.c_void_p(addr), ctypes.byref(info)):
            if info.dli_sname:
                name = info.dli_sname.decode('utf-8', 'replace')
            if info.dli_fname:
                library = info.dli_fname.decode('utf-8', 'replace')
        if not name:
            base = info.dli_fbase or 0
            name = '<native %s+0x%x>' % (os.path.basename(library), addr - base) if base else '<native 0x%x>' % addr
        text = ('n:%s:0:%s' % (name.replace(':', ';'), library.replace(':', ';'))).encode('utf-8', 'replace')
        records.append(b'\x08' + struct.pack(_ADDR, addr) + struct.pack(_WORD, len(text)) + text)
    data = b''.join(records)
    while data:
        data = data[os.write(fd, data):]


# ---- running the user's program exactly as python would ---------------------------------

class _Options:
    out = None
    status_fd = -1
    rate = 1000.0
    wall = False
    lines = False
    memory = False
    engine = 'auto'
    jitlog = None
    subprocess_dir = None
    native = True
    target_hex = None
    flush_names = 0.0


def _parse(argv):
    global _tick_clock_fd
    opts = _Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            target = argv[i + 1:]
            if opts.target_hex is not None:
                # the target's words as typed, some not UTF-8: as python decodes argv
                target = [os.fsdecode(bytes.fromhex(h)) for h in opts.target_hex.split(',')]
            return opts, target
        if a in ('--out', '--status-fd', '--rate', '--engine', '--jitlog', '--unset-env', '--subprocess-dir',
                 '--target-hex', '--flush-names', '--tick-clock'):
            value = argv[i + 1]
            i += 2
            if a == '--unset-env':
                # meant for this interpreter only (PYPYLOG): the program's children must not inherit it
                os.environ.pop(value, None)
            elif a == '--subprocess-dir':
                opts.subprocess_dir = value
            elif a == '--target-hex':
                opts.target_hex = value
            elif a == '--out':
                opts.out = value
            elif a == '--status-fd':
                opts.status_fd = int(value)
            elif a == '--rate':
                opts.rate = float(value)
            elif a == '--engine':
                opts.engine = value
            elif a == '--flush-names':
                opts.flush_names = float(value)
            elif a == '--tick-clock':
                _tick_clock_fd = _high_fd(os.open(value, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
                _protected_fds.add(_tick_clock_fd)
            else:
                opts.jitlog = value
            continue
        if a == '--wall':
            opts.wall = True
        elif a == '--lines':
            opts.lines = True
        elif a == '--mem':
            opts.memory = True
        elif a == '--no-native':
            opts.native = False
        else:
            raise SystemExit('pyrometer agent: unknown option %s' % a)
        i += 1
    raise SystemExit('pyrometer agent: missing -- before the program')


class _Status:
    """One-line messages to pyrometer over an inherited pipe: `started ...` or `error ...`."""

    def __init__(self, fd):
        self.fd = fd
        if fd >= 0:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                self.fd = -1

    def send(self, line):
        if self.fd >= 0:
            try:
                os.write(self.fd, (line.replace('\n', ' ') + '\n').encode('utf-8', 'replace'))
            except OSError:
                pass

    def close(self):
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1


def _fail(status, message):
    status.send('error ' + message)
    status.close()
    os._exit(2)


def _set_path0(entry):
    """sys.path[0] as python sets it for the target; the agent's own directory goes away."""
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or '.') == here and sys.path[0] != '':
        del sys.path[0]
    if entry is not None and not sys.flags.isolated and not getattr(sys.flags, 'safe_path', False):
        sys.path.insert(0, entry)


def _fresh_main():
    import types
    main = types.ModuleType('__main__')
    main.__dict__['__annotations__'] = {}  # the interpreter's own __main__ starts with one
    main.__dict__['__builtins__'] = sys.modules['builtins']
    sys.modules['__main__'] = main
    return main.__dict__


def _prepare(target, status):
    """Returns (code, globals) for the target without running anything of the user's."""
    if not target:
        _fail(status, 'nothing to run: give a script, -m module or -c command')
    first = target[0]
    if first == '-c':
        if len(target) < 2:
            _fail(status, 'argument expected for the -c option')
        sys.argv[:] = ['-c'] + target[2:]
        _set_path0('')
        g = _fresh_main()
        import importlib.machinery
        g.update(__loader__=importlib.machinery.BuiltinImporter, __spec__=None, __package__=None, __doc__=None)
        return compile(target[1], '<string>', 'exec'), g
    if first == '-m':
        if len(target) < 2:
            _fail(status, 'argument expected for the -m option')
        mod_name = target[1]
        import runpy
        _set_path0(os.getcwd())
        try:
            import importlib.util
            if importlib.util.find_spec(mod_name) is None:
                _fail(status, 'no module named %s' % mod_name)
            get_details = getattr(runpy, '_get_module_details')
            if mod_name.startswith('.'):
                _fail(status, 'relative module names not supported: %s' % mod_name)
            mod_name, spec, code = get_details(mod_name)
        except ImportError as e:
            _fail(status, 'cannot import %s: %s' % (mod_name, e))
        except Exception as e:  # runpy's _Error and syntax errors in the module
            _fail(status, '%s: %s' % (mod_name, e))
        sys.argv[:] = [spec.origin] + target[2:]
        g = _fresh_main()
        g.update(__name__='__main__', __file__=spec.origin, __cached__=spec.cached, __doc__=None,
                 __loader__=spec.loader, __package__=spec.parent, __spec__=spec)
        return code, g
    if first == '-':
        sys.argv[:] = ['-'] + target[1:]
        _set_path0('')
        source = sys.stdin.read()
        g = _fresh_main()
        g.update(__spec__=None, __package__=None, __doc__=None, __file__='<stdin>')
        return compile(source, '<stdin>', 'exec'), g
    path = first
    if os.path.isdir(path) or not path.endswith('.py') and _is_zip(path):
        return None, None  # a directory or zip with __main__.py: runpy.run_path does it
    try:
        with open(path, 'rb') as f:
            source = f.read()
    except OSError as e:
        _fail(status, "can't open file %r: %s" % (path, e.strerror or e))
    full = os.path.abspath(path)
    try:
        code = compile(source, full if sys.version_info >= (3, 9) else path, 'exec', dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        code = e  # raised when the program would have started, as python reports it
    sys.argv[:] = list(target)
    _set_path0(os.path.dirname(os.path.realpath(path)))
    g = _fresh_main()
    from importlib.machinery import SourceFileLoader
    g.update(__file__=full if sys.version_info >= (3, 9) else path, __cached__=None, __doc__=None,
             __loader__=SourceFileLoader('__main__', full), __package__=None, __spec__=None)
    return code, g


def _is_zip(path):
    try:
        import zipfile
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _run_user_code(code, globals_):
    exec(code, globals_)


_state = {'profiler': None, 'interrupted': False, 'finished': False, 'atexit': False}

# --subprocesses: children find their settings here (set by the parent agent, inherited through
# the environment) and the sitecustomize.py in agent/subprocess/ (on PYTHONPATH) starts them.
SUBPROCESS_ENV = 'PYROMETER_SUBPROCESS'


def _subprocess_config():
    """`dir;rate;flags;engine` -> dict, or None when children are not to be profiled."""
    value = os.environ.get(SUBPROCESS_ENV)
    if not value:
        return None
    try:
        directory, rate, flags, engine = value.split(';', 3)
        return {'dir': directory, 'rate': float(rate), 'wall': 'w' in flags, 'lines': 'l' in flags,
                'memory': 'm' in flags, 'native': 'N' not in flags, 'engine': engine}
    except ValueError:
        return None


def start_child_profiler():
    """Starts profiling this (child) process into DIR/<pid>.prof. Called by sitecustomize at
    start-up and after fork; pyrometer merges the files into the parent's profile."""
    cfg = _subprocess_config()
    if cfg is None or _state['profiler'] is not None:
        return
    engine = cfg['engine']
    if engine == 'vmprof' and not _has_vmprof():
        engine = 'sampler'
    path = os.path.join(cfg['dir'], '%d.prof' % os.getpid())
    try:
        fd = _high_fd(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    except OSError:
        return  # the parent has finished and removed the directory: nothing to add to
    _protected_fds.add(fd)
    if engine == 'vmprof':
        profiler = PyPyVMProf(fd, cfg['rate'], cfg['wall'], cfg['memory'], None, path, cfg['native'])
    else:
        profiler = Sampler(fd, cfg['rate'], cfg['wall'], cfg['lines'], cfg['memory'], _agent_code_ids(), cfg['native'], path)
    _state.update(profiler=profiler, finished=False, interrupted=False)
    _install_exit_hooks()
    if not _state.get('guards'):
        _state['guards'] = True
        _install_guards()
    profiler.start()


def _install_exit_hooks():
    if not _state['atexit']:
        import atexit
        atexit.register(_at_exit)
        _state['atexit'] = True
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def _after_fork_in_child():
    old = _state['profiler']
    if old is not None:
        old.forget()
    del _running[:]  # the parent's samplers: none runs in this process
    _state.update(profiler=None, finished=False, interrupted=False)
    if _subprocess_config() is not None and not _IS_PYPY:
        start_child_profiler()
        # multiprocessing's forked workers end with os._exit, which skips atexit
        real_exit = os._exit

        def _exit(code):
            try:
                _finish()
            finally:
                real_exit(code)
        os._exit = _exit


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _finish(note=None):
    if _state['finished']:
        return
    _state['finished'] = True
    _state['finishing'] = True
    try:
        _stop_profiler(note)
    finally:
        _state['finishing'] = False
    signum = _state.get('pending_signal')
    if signum:
        # a SIGTERM came while we were writing: die of it now that the profile is complete
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _stop_profiler(note=None):
    profiler = _state['profiler']
    if profiler is not None:
        # a second Ctrl-C must not cut the profile short
        try:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() else None
        except (ValueError, OSError):
            previous = None
        try:
            profiler.stop(note)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)


def _at_exit():
    _finish()
    if _state['interrupted']:
        # what CPython does after an uncaught KeyboardInterrupt: die of SIGINT
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def _on_sigterm(signum, frame):
    if _state.get('finishing'):
        _state['pending_signal'] = signum  # let the profile be completed first
        return
    _finish()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _strip_traceback(tb, hidden):
    while tb is not None and id(tb.tb_frame.f_code) in hidden:
        tb = tb.tb_next
    return tb


def main(argv):
    opts, target = _parse(argv)
    status = _Status(opts.status_fd)
    prepared = _prepare(target, status)
    code, globals_ = prepared

    engine = opts.engine
    if engine == 'auto':
        engine = 'vmprof' if _IS_PYPY and _has_vmprof() else 'sampler'
    if engine == 'vmprof' and not _has_vmprof():
        _fail(status, "this interpreter has no built-in _vmprof module")
    try:
        fd = _high_fd(os.open(opts.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    except OSError as e:
        _fail(status, 'cannot write %s: %s' % (opts.out, e.strerror))
    _protected_fds.add(fd)

    hidden = {id(_run_user_code.__code__), id(main.__code__)}
    stop_ids = set(hidden) | _agent_code_ids()
    if code is None:
        # only a directory or zip is run through runpy: other programs do not pay for importing it
        import runpy
        for name in ('_run_code', '_run_module_code', 'run_path', 'run_module', '_run_module_as_main'):
            fn = getattr(runpy, name, None)
            if fn is not None:
                hidden.add(id(fn.__code__))
    if engine == 'vmprof':
        profiler = PyPyVMProf(fd, opts.rate, opts.wall, opts.memory, opts.jitlog, opts.out, opts.native, opts.lines,
                              opts.flush_names)
    else:
        profiler = Sampler(fd, opts.rate, opts.wall, opts.lines, opts.memory, stop_ids, opts.native, opts.out)
    _state['profiler'] = profiler

    # atexit registered before the user's handlers: ours runs after theirs and after threads end
    _install_exit_hooks()
    if opts.subprocess_dir:
        flags = (('w' if opts.wall else '') + ('l' if opts.lines else '') + ('m' if opts.memory else '')
                 + ('' if opts.native else 'N'))
        os.environ[SUBPROCESS_ENV] = '%s;%s;%s;%s' % (opts.subprocess_dir, opts.rate, flags, engine)
        site_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'subprocess')
        old = os.environ.get('PYTHONPATH')
        os.environ['PYTHONPATH'] = site_dir + (os.pathsep + old if old else '')
    status.send('started %s %d.%d.%d %d %s' % (sys.implementation.name, sys.version_info[0],
                                               sys.version_info[1], sys.version_info[2], os.getpid(), engine))
    status.close()
    _state['guards'] = True
    _install_guards()
    profiler.start()
    try:
        if code is None:
            runpy.run_path(target[0], run_name='__main__')
        elif isinstance(code, BaseException):
            raise code
        else:
            _run_user_code(code, globals_)
    except SystemExit:
        raise
    except KeyboardInterrupt as e:
        _state['interrupted'] = True
        tb = _strip_traceback(e.__traceback__, hidden)
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        sys.exit(1)  # replaced by death by SIGINT in _at_exit, as CPython does
    except BaseException as e:
        tb = _strip_traceback(e.__traceback__, hidden)
        if e is code:
            tb = None  # a syntax error in the user's file: python shows no traceback lines
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        sys.exit(1)


def _agent_code_ids():
    """Every code object of this module: a stack walk stops at the first one, so the sampler
    never shows itself (e.g. a signal landing while atexit runs our own clean-up)."""
    import types
    ids = set()
    todo = []
    for value in list(globals().values()):
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            todo.append(value.__code__)
        elif isinstance(value, type) and value.__module__ == __name__:
            for member in vars(value).values():
                if isinstance(member, types.FunctionType):
                    todo.append(member.__code__)
    while todo:
        code = todo.pop()
        ids.add(id(code))
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return ids


def _has_vmprof():
    try:
        import _vmprof  # noqa: F401
        return True
    except ImportError:
        return False
