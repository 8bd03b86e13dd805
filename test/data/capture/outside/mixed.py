# The outside sampler's "must show" program (every CPython 3.7+), ~1.5 s of wall time:
# - the main thread: 2 ms of pure Python `work`, then one os.stat('/'), over and over;
# - four named threads: `sleeper` (time.sleep), `selector` (select.select on a pipe),
#   `locked` (blocked in lock.acquire) and `async-worker` (an asyncio loop that mostly awaits:
#   busy threads would keep the main thread waiting for the GIL after its os.stat calls).
import asyncio
import os
import select
import sys
import threading
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
stop = threading.Event()
held = threading.Lock()
held.acquire()


def work():
    end = time.perf_counter() + 0.002
    x = 0
    while time.perf_counter() < end:
        x += 1
    return x


def sleeper():
    while not stop.is_set():
        time.sleep(0.05)


def selector():
    r, w = os.pipe()
    while not stop.is_set():
        select.select([r], [], [], 0.05)


def locked():
    held.acquire(timeout=DURATION + 5)


async def tick():
    while not stop.is_set():
        await asyncio.sleep(0.05)


def async_worker():
    asyncio.run(tick())


threads = [threading.Thread(target=f, name=n, daemon=True) for f, n in
           [(sleeper, 'sleeper'), (selector, 'selector'), (locked, 'locked'), (async_worker, 'async-worker')]]
for t in threads:
    t.start()
print('ready', flush=True)
end = time.time() + DURATION
in_work = 0.0
loop_start = time.perf_counter()
cpu_end = time.process_time() + 0.5  # and half a second of CPU, however loaded the machine
while time.time() < end or time.process_time() < cpu_end:
    t0 = time.perf_counter()
    work()
    in_work += time.perf_counter() - t0
    os.stat('/')
loop_time = time.perf_counter() - loop_start
stop.set()
held.release()
for t in threads:
    t.join()
# the wall-clock truth on this machine (a loaded one makes every system call slower)
print('done, %.4f of the loop in work' % (in_work / loop_time))
