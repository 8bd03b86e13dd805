"""A thread that runs Python code before threading knows its name, then only waits.

threading.Thread._bootstrap_inner registers a new thread in threading._active (where the
outside sampler reads names) only after _set_ident() and more have run in the new thread.
Here _set_ident burns 0.4 s of CPU (sampled, in every mode, while the thread has no name);
once registered the thread only sleeps, so in CPU mode no later look takes a sample of it:
its name must be found on looks that take no sample.
"""
import threading
import time


class LateThread(threading.Thread):
    def _set_ident(self):
        super()._set_ident()
        cpu_end = time.process_time() + 0.4
        while time.process_time() < cpu_end:
            pass


def wait():
    time.sleep(1.0)


t = LateThread(target=wait, name="late-registered")
t.start()
t.join()
print("done")
