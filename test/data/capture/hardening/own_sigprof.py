# Installs its own SIGPROF handler and ITIMER_PROF timer, and needs them to work.
import signal

ticks = []


def compute(n):
    return sum(i * i % 11 for i in range(n))


print('first', compute(300_000), flush=True)
signal.signal(signal.SIGPROF, lambda signum, frame: ticks.append(signum))
signal.setitimer(signal.ITIMER_PROF, 0.005, 0.005)
total = 0
while len(ticks) < 20:
    total += compute(10_000)
signal.setitimer(signal.ITIMER_PROF, 0, 0)
print('own timer ticked', len(ticks) >= 20, flush=True)
