"""Grows a list at one known line (GROW_LINE) between two stretches of work that do not grow:
pyrometer's memory-growth tests (record --mem --lines, show --memory)."""
import time

GROW_LINE = 10


def grow(data):
    for i in range(150000):
        data.append([i] * 100)  # GROW_LINE: the only line that keeps what it allocates


def spin():
    t = time.process_time()
    while time.process_time() - t < 0.3:
        x = [0] * 100


data = []
spin()
grow(data)
spin()
print('kept', len(data))
