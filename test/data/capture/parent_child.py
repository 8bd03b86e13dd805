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
    print(work_in_parent(3_000_000))
