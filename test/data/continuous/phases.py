"""A program with known phases for the continuous-profiling end-to-end test:
phase_a is hot for PHASE seconds, then phase_b for PHASE seconds. Prints the
wall-clock time (ms) at which each phase starts and ends."""
import sys
import time


def phase_a(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += sum(i * i for i in range(300))
    return n


def phase_b(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += len(sorted(str(i) for i in range(300)))
    return n


def main():
    seconds = float(sys.argv[1])
    for name, phase in (('a', phase_a), ('b', phase_b)):
        print('phase %s start %d' % (name, time.time() * 1000), flush=True)
        phase(seconds)
        print('phase %s end %d' % (name, time.time() * 1000), flush=True)


main()
