# A process for attach and dump: prints its pid, then either serves (sleeps in accept, one
# thread blocked on a lock) or spins in `busy_loop`, until killed.
import os
import socket
import sys
import threading

lock = threading.Lock()
lock.acquire()


def wait_for_lock():
    lock.acquire()


def busy_loop():
    x = 0
    while True:
        x = (x + 1) % 1000003


threading.Thread(target=wait_for_lock, name='waiter', daemon=True).start()
if sys.argv[1] == 'busy':
    print(os.getpid(), flush=True)
    busy_loop()
else:
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen()
    print(os.getpid(), flush=True)
    s.accept()
