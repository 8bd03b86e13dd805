# Overhead workload: deep, call-heavy recursion (every sample walks a tall stack).
# Usage: recursive.py SCALE   (1 ~ one second of CPU on CPython)
import sys


def ackermann_like(depth, width):
    if depth == 0:
        return width
    total = 0
    for i in range(width):
        total += ackermann_like(depth - 1, (width + i) % 3 + 1)
    return total


def tree_sum(n):
    if n < 2:
        return n
    return tree_sum(n - 1) + tree_sum(n - 2)


def main(scale):
    result = 0
    for _ in range(scale):
        result += tree_sum(31) + ackermann_like(15, 3)
    print(result)


main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
