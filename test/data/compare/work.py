"""Two phases of pure-Python work; the first argument multiplies compute()'s share (2 = twice as slow)."""
import sys


def steady(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def compute(n):
    total = 0
    for i in range(n):
        total += (i * i) % 11
    return total


def main():
    factor = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    for _ in range(rounds):
        steady(400000)
        compute(400000 * factor)


main()
