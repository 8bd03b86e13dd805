# A 15,000-deep recursion that then works at the bottom for three seconds (in a thread with
# a big stack: before 3.11 every Python call also nests the C eval loop).
import sys
import threading
import time

DEPTH = 15000


def leaf():
    # three seconds, and at least half a second of CPU (a loaded machine gives it less)
    end = time.perf_counter() + 3.0
    cpu_end = time.process_time() + 0.5
    x = 0
    while time.perf_counter() < end or time.process_time() < cpu_end:
        x += 1
    return x


def down(n):
    if n == 0:
        return leaf()
    return down(n - 1)


sys.setrecursionlimit(DEPTH + 1000)
threading.stack_size(512 * 1024 * 1024)
t = threading.Thread(target=down, args=(DEPTH,), name='deep')
t.start()
t.join()
print('done')
