"""A thread that runs Python code before threading knows its name.

threading.Thread._bootstrap_inner registers a new thread in threading._active (where the
outside sampler reads names) only after _set_ident() and more have run in the new thread;
a _set_ident that takes half a second keeps the thread unnamed that long, every version.
"""
import threading
import time


class LateThread(threading.Thread):
    def _set_ident(self):
        super()._set_ident()
        time.sleep(0.5)


def work():
    end = time.time() + 0.3
    while time.time() < end:
        pass


t = LateThread(target=work, name="late-registered")
t.start()
t.join()
print("done")
