"""pyrometer's allocation sampler (`record --alloc`): standard library only, Python 3.8+, CPython and PyPy.

It takes the Python stack of the allocating thread at allocation-driven moments and writes each
as one sample weighted by what it stands for (docs/design.md, "Allocation sampling"):

- CPython: a ``gc.callbacks`` callback at each automatic collection. CPython starts one when the
  young generation's count (container objects allocated minus those freed since the last one)
  passes ``gc.get_threshold()[0]``: every ~700 (3.13: 2000) surviving container allocations the
  allocating thread stops in our callback. The sample weighs that count (objects); its bytes are
  the count times the size of the newest young object, whose type it also names.
- PyPy: ``gc.hooks.on_gc_minor``: a minor collection happens every time the nursery is full, so
  each one stands for nursery-size bytes allocated (stats.count collections since the last call).
  PyPy calls the hook at the next safe point after the collection, in the allocating thread. The
  object count and type are not known there (0 and '').

Side file (UTF-8 text, one record a line, fields split by tabs; \\, tab and newline escaped):
  ``pyrometer-alloc 1``                                 first line
  ``M key value``                                       a fact (source, unit, python, ...)
  ``C id name file firstline``                          a code object, before its first sample
  ``S time_ms objects bytes type thread frames``        one sample; time_ms = Unix time in ms;
       frames = ``id:line`` innermost first, split by spaces
"""
import _thread
import gc
import os
import sys
import time

_IS_PYPY = sys.implementation.name == 'pypy'
MAX_DEPTH = 1000
FLUSH_EVERY = 512  # samples


def _escape(s):
    return s.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n').replace('\r', '\\r')


def _thread_name():
    # threading's name when the program uses threading (we do not import it: PyPy start-up time)
    threading = sys.modules.get('threading')
    if threading is not None:
        current = threading._active.get(_thread.get_ident())
        if current is not None:
            return current.name
        if _thread.get_ident() == threading.main_thread().ident:
            return 'MainThread'
        return 'thread %d' % _thread.get_ident()
    return 'MainThread' if _thread.get_ident() == _MAIN_IDENT else 'thread %d' % _thread.get_ident()


_MAIN_IDENT = _thread.get_ident()


class _Writer:
    def __init__(self, path, skip_prefix):
        self.file = open(path, 'w', encoding='utf-8', errors='surrogateescape')
        self.lock = _thread.allocate_lock()
        self.codes = {}
        self.lines = ['pyrometer-alloc 1\n']
        self.skip_prefix = skip_prefix
        self.samples = 0
        self.closed = False

    def meta(self, key, value):
        self.lines.append('M\t%s\t%s\n' % (_escape(key), _escape(str(value))))

    def sample(self, frame, objects, nbytes, type_name):
        parts = []
        codes = self.codes
        skip = self.skip_prefix
        lines = self.lines
        depth = 0
        while frame is not None and depth < MAX_DEPTH:
            code = frame.f_code
            if skip and code.co_filename.startswith(skip):
                frame = frame.f_back  # pyrometer's own agent below the program
                continue
            cid = codes.get(code)
            if cid is None:
                cid = codes[code] = len(codes) + 1
                lines.append('C\t%d\t%s\t%s\t%d\n' % (cid, _escape(code.co_name), _escape(code.co_filename), code.co_firstlineno))
            parts.append('%d:%d' % (cid, frame.f_lineno or 0))
            frame = frame.f_back
            depth += 1
        lines.append('S\t%.3f\t%d\t%d\t%s\t%s\t%s\n' % (
            time.time() * 1000.0, objects, nbytes, _escape(type_name), _escape(_thread_name()),
            ' '.join(parts)))
        self.samples += 1
        if len(lines) >= FLUSH_EVERY:
            self.flush()

    def flush(self):
        if self.closed:
            return
        data = ''.join(self.lines)
        del self.lines[:]
        self.file.write(data)
        self.file.flush()

    def close(self):
        if self.closed:
            return
        self.meta('samples', self.samples)
        self.flush()
        self.closed = True
        self.file.close()


def _caller(getframe):
    """The frame that was running when the hook was called, or None when none was (the hook
    can be called with no Python frame at all: at start-up, at exit, from C)."""
    try:
        return getframe(2)
    except ValueError:
        return None


def _cpython_sampler(writer):
    threshold = gc.get_threshold()[0] or 700
    half = threshold // 2
    get_count = gc.get_count
    get_objects = gc.get_objects
    getframe = sys._getframe
    getsizeof = sys.getsizeof
    frame_type = type(getframe())
    function_type = type(_cpython_sampler)

    def on_gc(phase, info):
        if phase != 'start':
            return
        count = get_count()[0]
        # a gc.collect() the program asked for soon after the last collection is not
        # allocation-driven: sampling it would charge its caller for other code's allocations
        if count < half:
            return
        try:
            young = get_objects(0)  # the newest tracked container is the last one
        except Exception:
            young = ()
        newest = None
        i = len(young) - 1
        while i >= 0:
            o = young[i]
            t = type(o)
            # skip what the collection and this call made: the info dict, its argument tuple, frames
            if o is info or t is frame_type or (t is tuple and len(o) == 2 and o[1] is info):
                i -= 1
                continue
            newest = o
            break
        del young
        type_name = ''
        size = 0
        if newest is not None:
            t = type(newest)
            type_name = getattr(t, '__name__', '?')
            # a class's own __sizeof__ is Python code we must not run here
            if not isinstance(getattr(t, '__sizeof__', None), function_type):
                try:
                    size = getsizeof(newest)
                except Exception:
                    size = 0
        try:
            with writer.lock:
                writer.sample(_caller(getframe), count, count * size, type_name)
        except Exception:
            pass  # an allocation sample lost, never the program's run

    gc.callbacks.append(on_gc)
    writer.meta('source', 'gc.callbacks')
    writer.meta('unit', 'objects')
    writer.meta('threshold', threshold)
    return lambda: gc.callbacks.remove(on_gc) if on_gc in gc.callbacks else None


def _nursery_bytes():
    try:
        return int(gc.get_stats()._s.nursery_size)
    except Exception:
        return 0


def _pypy_has_vmprof_allocation_sampling():
    try:
        import _vmprof
    except ImportError:
        return False
    doc = getattr(_vmprof.enable, '__doc__', '') or ''
    return 'sample_n_bytes' in doc or any('alloc' in name for name in dir(_vmprof))


def _pypy_sampler(writer):
    nursery = _nursery_bytes()
    getframe = sys._getframe

    def on_minor(stats):
        # PyPy raises a hook's exception in the program: nothing of ours may escape
        try:
            with writer.lock:
                writer.sample(_caller(getframe), 0, stats.count * nursery, '')
        except Exception:
            pass

    previous = gc.hooks.on_gc_minor
    gc.hooks.on_gc_minor = on_minor
    writer.meta('source', 'gc.hooks.on_gc_minor')
    writer.meta('unit', 'bytes')
    writer.meta('nursery_bytes', nursery)
    writer.meta('vmprof_allocation_sampling', 'yes' if _pypy_has_vmprof_allocation_sampling() else 'no')

    def stop():
        if gc.hooks.on_gc_minor is on_minor:
            gc.hooks.on_gc_minor = previous
    return stop


_state = {}


def start(path, skip_prefix=''):
    """Starts sampling into `path` (written as the program runs; closed at exit)."""
    if _state:
        return
    writer = _Writer(path, skip_prefix)
    writer.meta('python', sys.version.split()[0])
    writer.meta('implementation', sys.implementation.name)
    writer.meta('pid', os.getpid())
    writer.meta('start_ms', '%.3f' % (time.time() * 1000.0))
    stop = _pypy_sampler(writer) if _IS_PYPY else _cpython_sampler(writer)
    _state['writer'] = writer
    _state['stop'] = stop
    import atexit  # a built-in module: no start-up cost
    atexit.register(finish)


def finish():
    """Stops sampling and closes the file (atexit; the agent calls it before writing its own end)."""
    if not _state or _state.get('done'):
        return
    _state['done'] = True
    try:
        _state['stop']()
    finally:
        with _state['writer'].lock:
            _state['writer'].meta('end_ms', '%.3f' % (time.time() * 1000.0))
            _state['writer'].close()
