"""Writes an .lprof with the structure line_profiler's dump_stats writes, using only the stdlib.

line_profiler pickles a ``line_profiler.line_profiler.LineStats`` instance with
``pickle.HIGHEST_PROTOCOL``; its state is ``{"timings": {(filename, first_lineno,
function_name): [(lineno, nhits, total_time), ...]}, "unit": seconds_per_unit}``.
This script times the lines of ``work()`` with ``sys.settrace`` (hits and
nanoseconds per line, as line_profiler counts them) and pickles them in a class
of the same module and name, so the bytes have line_profiler's layout.

Usage: python3 make_lprof.py OUT.lprof [PROTOCOL]
"""
import pickle
import sys
import time
import types

module = types.ModuleType("line_profiler.line_profiler")
package = types.ModuleType("line_profiler")
package.line_profiler = module
sys.modules["line_profiler"] = package
sys.modules["line_profiler.line_profiler"] = module


class LineStats(object):
    def __init__(self, timings, unit):
        self.timings = timings
        self.unit = unit


LineStats.__module__ = "line_profiler.line_profiler"
module.LineStats = LineStats


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def work():
    total = 0
    for i in range(18):
        total += fib(i)
    squares = [k * k for k in range(20000)]
    return total + len(squares)


def main():
    profiled = {work.__code__, fib.__code__}
    timings = {}
    last = {}

    def tracer(frame, event, arg):
        code = frame.f_code
        if code not in profiled:
            return None
        now = time.perf_counter_ns()
        key = (code.co_filename, code.co_firstlineno, code.co_name)
        lines = timings.setdefault(key, {})
        previous = last.get(id(frame))
        if previous is not None:
            lineno, started = previous
            hits, total = lines.get(lineno, (0, 0))
            lines[lineno] = (hits, total + now - started)
        if event == "line":
            hits, total = lines.get(frame.f_lineno, (0, 0))
            lines[frame.f_lineno] = (hits + 1, total)
            last[id(frame)] = (frame.f_lineno, now)
        elif event == "return":
            last.pop(id(frame), None)
        return tracer

    sys.settrace(tracer)
    work()
    sys.settrace(None)
    stats = LineStats(
        {key: sorted((line, hits, total) for line, (hits, total) in lines.items()) for key, lines in timings.items()},
        1e-9,
    )
    protocol = int(sys.argv[2]) if len(sys.argv) > 2 else pickle.HIGHEST_PROTOCOL
    with open(sys.argv[1], "wb") as f:
        pickle.dump(stats, f, protocol)


if __name__ == "__main__":
    main()
