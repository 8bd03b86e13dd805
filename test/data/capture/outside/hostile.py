# Things programs do that an in-process sampler suffers from, chosen by argv[1]; each prints
# what it did and exits with a code of its own, so a recorded run can be compared to a plain one.
import os
import signal
import sys
import threading
import time


def burn(seconds):
    # CPU seconds: on a loaded machine the program still does the same work
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


mode = sys.argv[1]
if mode == 'exec':
    burn(0.3)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, __file__, 'after-exec'])
elif mode == 'after-exec':
    burn(0.3)
    print('after exec')
    sys.exit(5)
elif mode == 'closerange':
    os.closerange(3, 65536)
    burn(0.4)
    print('closed')
    sys.exit(6)
elif mode == 'sigprof':
    hits = []
    signal.signal(signal.SIGPROF, lambda s, f: hits.append(1))
    signal.setitimer(signal.ITIMER_PROF, 0.01, 0.01)
    burn(0.5)
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    print('own handler ran', 'yes' if hits else 'no')
    sys.exit(7)
elif mode == 'fork':
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        burn(0.3)
        os._exit(0)
    burn(0.3)
    _, status = os.waitpid(pid, 0)
    print('child status', status)
    sys.exit(8)
elif mode == 'threads':
    done = []
    def short():
        burn(0.002)
        done.append(1)
    for _ in range(200):
        t = threading.Thread(target=short)
        t.start()
        t.join()
    print('threads done', len(done))
    sys.exit(9)
