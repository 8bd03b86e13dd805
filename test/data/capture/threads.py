# Two named worker threads burning CPU in different functions while the main thread waits.
# Usage: threads.py [N]   (iterations per worker; PyPy needs many more than CPython)
import sys
import threading

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000


def crunch_in_alpha(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def crunch_in_beta(n):
    total = 0
    for i in range(n):
        total += i % 11
    return total


workers = [
    threading.Thread(target=crunch_in_alpha, args=(N,), name='alpha-worker'),
    threading.Thread(target=crunch_in_beta, args=(N,), name='beta-worker'),
]
for w in workers:
    w.start()
for w in workers:
    w.join()
print('workers done')
