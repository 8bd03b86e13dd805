# Run as `python3 -m pkg.tool`: __name__, __spec__ and sys.argv[0] as python sets them for -m.
import sys


def busy(n):
    return sum(i % 3 for i in range(n))


busy(200_000)
print(__name__, __spec__.name, sys.argv[0].endswith('tool.py'), sys.argv[1:])
