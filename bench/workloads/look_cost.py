# What one look of the CPU-mode sampler costs, warm and cold: `npm run bench:look`.
#
# A look runs every 10 ms (100 Hz) or every kernel tick, after the program has had the caches and
# TLB to itself, so its cost is mostly misses. "cold" pulls 32 MB through the caches before each
# look (this machine's L2 is a few MB; the TLB then holds none of the look's pages), "warm" runs
# looks back to back. Both call the SIGPROF handler exactly as the signal would, with a three-deep
# stack, with the timer itself disarmed so that no real signal interferes.
#   python3 look_cost.py AGENT_DIR [ROUNDS]
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
import _pyrometer_agent as agent  # noqa: E402

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
LOOKS = 200
junk = bytearray(64 << 20)


def make_sampler():
    sampler = agent.Sampler(os.open(os.devnull, os.O_WRONLY), 100, False, False, False, [])
    sampler.start()
    agent.signal.setitimer(agent.signal.ITIMER_PROF, 0, 0)
    return sampler


def measure(sampler, frame, quick):
    cold = 0
    warm = float('inf')
    for _ in range(ROUNDS):
        for _ in range(LOOKS):
            # the helper sets helper_alone while the main thread runs alone: quick looks
            sampler.helper_alone = quick
            x = bytes(memoryview(junk)[:32 << 20])
            del x
            t = time.perf_counter_ns()
            sampler._on_sigprof(27, frame)
            cold += time.perf_counter_ns() - t
        t = time.perf_counter_ns()
        for _ in range(LOOKS):
            sampler.helper_alone = quick
            sampler._on_sigprof(27, frame)
        warm = min(warm, (time.perf_counter_ns() - t) / LOOKS)
    return cold / ROUNDS / LOOKS / 1000, warm / 1000


def program_level_3():
    return program_level_2()


def program_level_2():
    return program_level_1()


def program_level_1():
    frame = sys._getframe()
    for label, quick in (('quick looks (alone; 1 in 16 full)', True), ('full looks (threads around)', False)):
        sampler = make_sampler()
        cold, warm = measure(sampler, frame, quick)
        sampler.stop()
        print('%-32s cold %6.1f us   warm %5.1f us   (%d samples, %d errors)'
              % (label, cold, warm, sampler.samples, sampler.errors))


print('CPython %s, %d rounds of %d looks' % (sys.version.split()[0], ROUNDS, LOOKS))
program_level_3()
