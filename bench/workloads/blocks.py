# Interleaved-overhead workload (bench/outside.ts): runs equal blocks of call-heavy work for
# SECONDS and prints one line per block: "start_ns end_ns cpu_ns" on CLOCK_MONOTONIC (the clock
# Node's process.hrtime reads), so the bench can tell which blocks ran while it sampled.
# Usage: blocks.py SECONDS
import sys
import time


def tree_sum(n):
    if n < 2:
        return n
    return tree_sum(n - 1) + tree_sum(n - 2)


def main(seconds):
    out = sys.stdout
    stop = time.monotonic_ns() + int(seconds * 1e9)
    lines = []
    while True:
        start = time.monotonic_ns()
        if start >= stop:
            break
        cpu0 = time.thread_time_ns()
        tree_sum(24)  # ~10 ms of CPU: many blocks per sampling window
        cpu = time.thread_time_ns() - cpu0
        lines.append('%d %d %d\n' % (start, time.monotonic_ns(), cpu))
    out.write(''.join(lines))


main(float(sys.argv[1]) if len(sys.argv) > 1 else 30)
