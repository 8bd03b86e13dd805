# Time spent inside C functions (sorted, zlib): the sampler only runs between bytecodes,
# so this time must show up as native frames under the calling lines, not on the next line.
import random
import zlib


def prepare():
    rng = random.Random(7)
    return [rng.random() for _ in range(300_000)]


def sort_a_lot(data):
    for _ in range(6):
        ordered = sorted(data)
    return ordered


def python_after():
    total = 0
    for i in range(50_000):
        total += i
    return total


data = prepare()
sort_a_lot(data)
python_after()
blob = zlib.compress(bytes(range(256)) * 40_000, 9)
print(len(blob))
