# pyrometer's launcher: `python3 [python options] pyrometer_agent.py AGENT-OPTIONS -- TARGET`.
# TARGET is what followed the interpreter on the user's command line: `script args`,
# `-m module args`, `-c command args` or `- args`. All the work is in _pyrometer_agent.py; this
# file only makes that module importable (also under -I, where the script's directory is not on
# sys.path) and leaves as little as possible behind in the user's process.
import os
import _signal  # noqa: F401  the agent's stdlib imports, loaded before the cache switch below
import struct  # noqa: F401
import sys
import threading  # noqa: F401
import time  # noqa: F401

_here = os.path.dirname(os.path.abspath(__file__))
_saved = (sys.dont_write_bytecode, getattr(sys, 'pycache_prefix', None))
try:
    # compiled once into pyrometer's own cache (never a __pycache__ in the install directory,
    # whatever PYTHONDONTWRITEBYTECODE says for the user's code): compiling it every run costs
    # about as much CPU as a second of sampling
    _cache = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache'),
                          'pyrometer', 'pycache')
    os.makedirs(_cache, exist_ok=True)
    sys.pycache_prefix = _cache
    sys.dont_write_bytecode = False
except (OSError, AttributeError):
    sys.dont_write_bytecode = True
sys.path.insert(0, _here)
try:
    import _pyrometer_agent
finally:
    del sys.path[0]
    sys.dont_write_bytecode, sys.pycache_prefix = _saved
del _here, _saved
_pyrometer_agent.main(sys.argv[1:])
