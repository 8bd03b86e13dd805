# One program, many endings, chosen by argv[1]:
#   exit3      burn a little CPU, then sys.exit(3)
#   raise      burn a little CPU, then raise an exception nobody catches
#   loop       print "ready" and burn CPU until interrupted (Ctrl-C / SIGTERM)
#   echo-env   print argv, cwd, __name__, sys.path[0], __file__ and an environment variable
import os
import sys


def burn(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def spin_forever():
    while True:
        burn(10_000)


def deep_failure(depth):
    if depth == 0:
        raise ValueError('raised on purpose')
    deep_failure(depth - 1)


mode = sys.argv[1]
if mode == 'exit3':
    burn(300_000)
    sys.exit(3)
elif mode == 'raise':
    burn(300_000)
    deep_failure(3)
elif mode == 'loop':
    print('ready', flush=True)
    try:
        spin_forever()
    finally:
        print('finally ran', flush=True)
elif mode == 'echo-env':
    print(repr(sys.argv))
    print(os.getcwd())
    print(__name__)
    print(sys.path[0])
    print(__file__)
    print(os.environ.get('PYROMETER_TEST_VALUE'))
    print(sorted(t.name for t in __import__('threading').enumerate()))
