"""For `pyrometer top`: one thread computing in spin_here, one napping, the main thread blocked
reading stdin; prints "ready" once both threads run, and ends when stdin closes."""
import sys
import threading
import time

done = threading.Event()
running = threading.Barrier(3)


def spin_here():
    running.wait()
    while not done.is_set():
        for _ in range(10000):
            pass


def nap():
    running.wait()
    while not done.is_set():
        time.sleep(0.01)


spinner = threading.Thread(target=spin_here, name="spinner")
napper = threading.Thread(target=nap, name="napper")
spinner.start()
napper.start()
running.wait()
print("ready", flush=True)
sys.stdin.read()
done.set()
spinner.join()
napper.join()
