"""vmprof.Profiler: `with Profiler().measure(): ...`, then get_stats()."""
import tempfile

import vmprof
from vmprof.stats import read_profile


class ProfilerContext(object):
    done = False

    def __init__(self, name, period, memory, native, real_time):
        self.file = tempfile.NamedTemporaryFile('w+b', delete=False) if name is None else open(name, 'w+b')
        self.filename = self.file.name
        self.period, self.memory, self.native, self.real_time = period, memory, native, real_time

    def __enter__(self):
        vmprof.enable(self.file.fileno(), self.period, self.memory, native=self.native, real_time=self.real_time)

    def __exit__(self, kind, value, traceback):
        vmprof.disable()
        self.file.close()
        self.done = True


class Profiler(object):
    ctx = None

    def measure(self, name=None, period=0.001, memory=False, native=False, real_time=False):
        self.ctx = ProfilerContext(name, period, memory, native, real_time)
        return self.ctx

    def get_stats(self):
        if self.ctx is None or not self.ctx.done:
            raise vmprof.VMProfError('no finished measure() to read')
        return read_profile(self.ctx.filename)
