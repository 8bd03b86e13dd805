"""pyrometer `record --alloc`: starts allocation sampling at interpreter start-up.

`record --alloc` puts this directory first on PYTHONPATH and names the side file in
PYROMETER_ALLOC_OUT, so the hook runs in the program's process whichever sampler takes the
time profile (the outside sampler cannot see allocations: they need code in the process).
The variable is removed at once, so child processes do not write into the same file.
Another sitecustomize further down sys.path (a virtualenv's, a distribution's) still runs.
"""
import os
import sys


def _start_alloc_sampling():
    out = os.environ.pop('PYROMETER_ALLOC_OUT', None)
    if not out:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    try:
        import _pyrometer_alloc
    finally:
        sys.path.remove(here)
    _pyrometer_alloc.start(out, os.environ.pop('PYROMETER_ALLOC_SKIP', ''))


def _chain_next_sitecustomize():
    # we shadowed any other sitecustomize on the path: find the next one and run it as Python would
    here = os.path.dirname(os.path.abspath(__file__))
    # importlib costs ~25 ms of PyPy's start-up: only when there is another one to run
    if not any(
        os.path.exists(os.path.join(p or '.', name))
        for p in sys.path
        if os.path.abspath(p or '.') != here
        for name in ('sitecustomize.py', 'sitecustomize')
    ):
        return
    import importlib.machinery
    import importlib.util
    path = [p for p in sys.path if os.path.abspath(p or '.') != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules['sitecustomize'] = module
    spec.loader.exec_module(module)


_start_alloc_sampling()
_chain_next_sitecustomize()
