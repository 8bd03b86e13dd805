# Overhead workload: allocation-heavy (dicts, tuples, lists, strings created and dropped).
# Usage: alloc.py SCALE   (1 ~ one second of CPU on CPython)
import sys


def make_records(n):
    return [{'id': i, 'name': 'item-%d' % i, 'tags': (i % 3, i % 5), 'score': i * 0.5} for i in range(n)]


def reshape(records):
    by_tag = {}
    for r in records:
        by_tag.setdefault(r['tags'], []).append((r['id'], r['name'].upper()))
    return by_tag


def main(scale):
    total = 0
    for _ in range(25 * scale):
        groups = reshape(make_records(20_000))
        total += sum(len(v) for v in groups.values())
    print(total)


main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
