# Two named worker threads burning CPU in different functions while the main thread waits.
import threading


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
    threading.Thread(target=crunch_in_alpha, args=(3_000_000,), name='alpha-worker'),
    threading.Thread(target=crunch_in_beta, args=(3_000_000,), name='beta-worker'),
]
for w in workers:
    w.start()
for w in workers:
    w.join()
print('workers done')
