# A 50-deep Python stack that spins at the bottom for argv[1] seconds of CPU (bench:outside).
import sys
import time


def down(n, seconds):
    if n == 0:
        end = time.process_time() + seconds
        x = 0
        while time.process_time() < end:
            x += 1
        return x
    return down(n - 1, seconds)


down(47, float(sys.argv[1]))  # + <module>, and down's own bottom frame: 49 Python frames
