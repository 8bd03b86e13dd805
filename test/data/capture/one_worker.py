# The main thread computes alone for a while (the sampler's helper goes to sleep), then starts one
# worker and joins it at once: no Python code of the main thread runs while the worker computes,
# so only the helper can see the worker at all, and only if it wakes as the worker starts.
import sys
import threading

N = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000_000


def crunch_alone(n):
    total = 0
    for i in range(n):
        total += i % 13
    return total


def main_alone(n):
    total = 0
    for i in range(n):
        total += i % 5
    return total


main_alone(N // 4)
worker = threading.Thread(target=crunch_alone, args=(N,), name='lone-worker')
worker.start()
worker.join()
