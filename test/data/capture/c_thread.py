# A worker started with _thread directly, as C code or a low-level library would: threading's
# start function (which the sampler wraps to notice new threads) never sees it. The main thread
# computes alone first (the sampler settles into its one-thread looks), then both compute at once
# and the main thread waits for the worker on a lock.
import _thread
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 6_000_000


def main_alone(n):
    total = 0
    for i in range(n):
        total += i % 5
    return total


def main_beside(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def crunch_behind_threading(n, done):
    total = 0
    for i in range(n):
        total += i % 13
    done.release()
    return total


main_alone(N // 2)
done = _thread.allocate_lock()
done.acquire()
_thread.start_new_thread(crunch_behind_threading, (N, done))
main_beside(N // 3)
done.acquire()
