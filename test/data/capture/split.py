# ~80% of the CPU time in f, ~20% in g: the same loop body, four times as many iterations.
# Usage: split.py ROUNDS N   (the tests pick sizes for ~1 s of CPU on CPython and on PyPy)
import sys


def f(n):
    total = 0
    for i in range(n):
        total += (i * 7) % 13
    return total


def g(n):
    total = 0
    for i in range(n):
        total += (i * 7) % 13
    return total


def main(rounds, n):
    result = 0
    for _ in range(rounds):
        result += f(4 * n)
        result += g(n)
    return result


if __name__ == '__main__':
    print(main(int(sys.argv[1]), int(sys.argv[2])))
