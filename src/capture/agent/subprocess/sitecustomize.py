# pyrometer record --subprocesses puts this directory on the PYTHONPATH of the programs it runs,
# so that every Python child process starts sampling itself before its own code runs.
# Then it hands over to the sitecustomize this one hides (Debian and others ship one).
import os
import sys


def _pyrometer_start():
    here = os.path.dirname(os.path.abspath(__file__))
    agent_dir = os.path.dirname(here)
    no_pyc = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, agent_dir)
    try:
        import _pyrometer_agent
    finally:
        del sys.path[0]
        sys.dont_write_bytecode = no_pyc
    _pyrometer_agent.start_child_profiler()

    # the next sitecustomize on sys.path, if any
    import importlib.machinery
    import importlib.util
    rest = [p for p in sys.path if os.path.abspath(p or '.') != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules['sitecustomize'] = module
        spec.loader.exec_module(module)


try:
    _pyrometer_start()
except Exception as e:  # never stop the child from running
    sys.stderr.write('pyrometer: could not profile this subprocess: %s\n' % e)
del _pyrometer_start
