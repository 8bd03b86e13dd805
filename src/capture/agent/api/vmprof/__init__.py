"""vmprof's Python API, shipped with pyrometer (standard library only; CPython and PyPy).

A program written for vmprof runs unchanged: ``import vmprof; vmprof.enable(fd, 0.001);
...; vmprof.disable()`` writes a VMProf file that pyrometer and vmprof's own tools read.
``pyrometer agent-path`` prints the directory to put on PYTHONPATH; ``pyrometer record`` puts it
there. On PyPy it forwards to the built-in ``_vmprof``; on CPython it runs pyrometer's own
sampler (src/capture/agent/_pyrometer_agent.py) into the given file descriptor, which it leaves
open, as vmprof does. ``read_profile`` reads any VMProf file into a ``Stats`` object with the
attributes programs use (``profiles``, ``adr_dict``, ``get_tree()``, ``top_profile()``,
``profile_lines``, ``meta``...), counting each record by its weight (see docs/formats.md).
"""
import os
import sys

__all__ = ['enable', 'disable', 'is_enabled', 'get_profile_path', 'read_profile', 'Profiler',
           'insert_real_time_thread', 'remove_real_time_thread', 'DEFAULT_PERIOD', 'VMProfError']

# vmprof's default: close to, but not exactly, 1000 Hz (periodic work is not over-sampled)
DEFAULT_PERIOD = 0.00099
IS_PYPY = sys.implementation.name == 'pypy'


class VMProfError(Exception):
    pass


def _agent():
    """pyrometer's agent module: the one `pyrometer record` already runs, else loaded from beside us."""
    agent = sys.modules.get('_pyrometer_agent')
    if agent is None:
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        sys.path.insert(0, here)
        try:
            import _pyrometer_agent as agent
        finally:
            sys.path.remove(here)
    return agent


def _builtin_vmprof():
    try:
        import _vmprof
        return _vmprof
    except ImportError:
        return None


_state = {'sampler': None, 'path': None, 'builtin': False}


def enable(fileno, period=DEFAULT_PERIOD, memory=False, lines=False, native=None, real_time=False, warn=True):
    """Starts writing a VMProf profile to the open file descriptor `fileno` (left open)."""
    if not isinstance(period, float):
        raise ValueError('period must be a float, not %s' % type(period))
    if not 0 < period < 1.0:
        raise ValueError('period must be between 0 and 1 second, not %r' % period)
    if is_enabled():
        raise VMProfError('vmprof is already enabled')
    path = _fd_path(fileno)
    builtin = _builtin_vmprof() if IS_PYPY else None
    if builtin is not None:
        try:
            # lines: recorded where this PyPy's _vmprof can (it takes the flag on 7.3)
            builtin.enable(fileno, period, int(bool(memory)), int(bool(lines)),
                           int(native is not False), int(bool(real_time)))
            _state.update(sampler=None, path=path, builtin=True)
            return
        except builtin.VMProfError:
            if not builtin.is_enabled():
                raise
            # `pyrometer record` runs _vmprof for this process already: our sampler writes this
            # file, in wall-clock mode (a helper thread, no second SIGPROF timer)
            real_time = True
    agent = _agent()
    # ours to close at disable(); the program's descriptor stays open, as with vmprof
    fd = agent._high_fd(os.dup(fileno))
    agent._protected_fds.add(fd)
    sampler = agent.Sampler(fd, 1.0 / period, bool(real_time), bool(lines), bool(memory),
                            agent._agent_code_ids() | _own_code_ids(), native is not False, path)
    sampler.start()
    _state.update(sampler=sampler, path=path, builtin=False)


def disable():
    """Stops profiling and completes the file (the descriptor stays the program's to close)."""
    sampler = _state['sampler']
    if _state['builtin']:
        _state['builtin'] = False
        builtin = _builtin_vmprof()
        fd = builtin.stop_sampling() if hasattr(builtin, 'stop_sampling') else -1
        if fd >= 0 and _state['path']:
            try:
                _agent()._write_native_symbols(_state['path'], fd)
            except Exception:
                pass  # unnamed native frames: still a valid profile
        builtin.disable()
    elif sampler is not None:
        _state['sampler'] = None
        sampler.stop()
    _state['path'] = None


def is_enabled():
    return _state['builtin'] or _state['sampler'] is not None


def get_profile_path():
    return _state['path'] if is_enabled() else None


def insert_real_time_thread(thread_id=0):
    """vmprof's real-time mode samples registered threads; ours samples every thread: nothing to do."""
    return 0


def remove_real_time_thread(thread_id=0):
    return 0


def _fd_path(fileno):
    try:
        return os.readlink('/proc/self/fd/%d' % fileno)
    except OSError:
        return None


def _own_code_ids():
    import types
    ids = set()
    todo = [v.__code__ for v in globals().values() if isinstance(v, types.FunctionType)]
    while todo:
        code = todo.pop()
        ids.add(id(code))
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return ids


from vmprof.stats import Stats, read_profile  # noqa: E402
from vmprof.profiler import Profiler  # noqa: E402
