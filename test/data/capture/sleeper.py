# The main thread computes while another thread only sleeps: CPU sampling never sees the
# sleeper; wall-clock sampling sees it the whole time, marked idle.
import threading
import time

stop = threading.Event()


def nap_in_a_loop():
    while not stop.is_set():
        time.sleep(0.005)


def compute(n):
    total = 0
    for i in range(n):
        total += i * i % 5
    return total


napper = threading.Thread(target=nap_in_a_loop, name='napper')
napper.start()
compute(3_000_000)
stop.set()
napper.join()
