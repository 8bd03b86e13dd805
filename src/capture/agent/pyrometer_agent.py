# pyrometer's launcher: `python3 [python options] pyrometer_agent.py AGENT-OPTIONS -- TARGET`.
# TARGET is what followed the interpreter on the user's command line: `script args`,
# `-m module args`, `-c command args` or `- args`. All the work is in _pyrometer_agent.py; this
# file only makes that module importable (also under -I, where the script's directory is not on
# sys.path) and leaves as little as possible behind in the user's process.
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_no_pyc = sys.dont_write_bytecode
sys.dont_write_bytecode = True  # no __pycache__ in pyrometer's install directory
sys.path.insert(0, _here)
try:
    import _pyrometer_agent
finally:
    del sys.path[0]
    sys.dont_write_bytecode = _no_pyc
del _here, _no_pyc
_pyrometer_agent.main(sys.argv[1:])
