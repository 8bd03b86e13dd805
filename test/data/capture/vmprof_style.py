# A program written for vmprof: it profiles only the part it cares about, into its own file.
# Usage: vmprof_style.py OUT.prof [--lines] [--real-time]
import sys

import vmprof


def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def main():
    out = sys.argv[1]
    print('warm-up', work(1000))
    with open(out, 'w+b') as f:
        vmprof.enable(f.fileno(), 0.001, memory=True, lines='--lines' in sys.argv,
                      real_time='--real-time' in sys.argv)
        assert vmprof.is_enabled()
        result = work(4_000_000 if sys.implementation.name == 'cpython' else 60_000_000)
        vmprof.disable()
        assert not vmprof.is_enabled()
    stats = vmprof.read_profile(out)
    tree = stats.get_tree()
    names = [name.split(':')[1] for name, _ in stats.top_profile()]
    print('result', result, 'looks', len(stats.profiles), 'has work', 'work' in names,
          'root', tree.name.split(':')[1], 'lines', stats.profile_lines)


main()
