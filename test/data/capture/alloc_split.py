"""Allocates 80% of its objects in big() and 20% in small(): pyrometer's --alloc tests.

argv: [rounds-of-big [list-width]]; every object is a list of `width` ints, kept alive.
"""
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
WIDTH = int(sys.argv[2]) if len(sys.argv) > 2 else 64
keep = []


def big(n):
    for i in range(n):
        keep.append([i] * WIDTH)


def small(n):
    for i in range(n):
        keep.append([i] * WIDTH)


big(N)
small(N // 4)
print('allocated', len(keep))
