# A parent that starts Python children through subprocess and multiprocessing; with
# --subprocesses every process's samples land in the one profile. Each does ~0.3 s of work:
# a child that lives 0.1 s can end before a loaded machine lets the sampler find it.
import multiprocessing
import subprocess
import sys


def work_in_pool_worker(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def work_in_parent(n):
    total = 0
    for i in range(n):
        total += i % 5
    return total


if __name__ == '__main__':
    with multiprocessing.get_context('spawn').Pool(1) as pool:
        print(pool.map(work_in_pool_worker, [3_000_000]))
    code = 'def work_in_subprocess():\n    return sum(i % 3 for i in range(3_000_000))\nprint(work_in_subprocess())\n'
    subprocess.run([sys.executable, '-c', code], check=True)
    # a child that turns into Python only after a second (a shell that sleeps, then execs it)
    late = code.replace('work_in_subprocess', 'work_in_late_child')
    subprocess.run(['/bin/sh', '-c', 'sleep 1; exec "$0" -c "$1"', sys.executable, late], check=True)
    print(work_in_parent(3_000_000))
