# One function, two hot lines: line 9 does about four times the work of line 10.
import sys


def two_lines(n):
    total = 0
    for i in range(n):
        # the heavy line is next
        total += sum(j * j for j in range(8 * (i % 5)))
        total += i % 3
    return total


print(two_lines(int(sys.argv[1]) if len(sys.argv) > 1 else 150_000))
