# GC-heavy: allocates a large live graph (incremental major collections), spins, then calls
# gc.collect() at a moment it prints on the Unix clock, spins again while allocating short-lived
# objects (minor collections).
import gc, time


def spin(seconds, allocate):
    end = time.time() + seconds
    garbage = None
    while time.time() < end:
        if allocate:
            garbage = [(i, str(i)) for i in range(200)]
    return garbage


live = [[i] * 4 for i in range(300000)]
spin(0.4, allocate=True)
print('collect %.6f' % time.time(), flush=True)
gc.collect()
print('collected %.6f' % time.time(), flush=True)
spin(0.3, allocate=True)
