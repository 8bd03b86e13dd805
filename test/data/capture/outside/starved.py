"""Wall mode on a CPU shared with another busy process: the main thread computes in spin() the
whole time (runnable, but on a CPU only about half of it), a napper thread sleeps 0.1 s at a
time. With PIN_CPU set, the process (and its threads) run on that CPU only."""
import os
import sys
import threading
import time

if os.environ.get("PIN_CPU"):
    os.sched_setaffinity(0, {int(os.environ["PIN_CPU"])})
DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
stop = threading.Event()


def napper():
    while not stop.is_set():
        time.sleep(0.1)


def spin():
    x = 0
    end = time.time() + DURATION
    while time.time() < end:
        x += 1
    return x


t = threading.Thread(target=napper, name="napper")
t.start()
spin()
stop.set()
t.join()
print("done")
