# Computes, then replaces itself with another Python program (os.execv), which prints and exits 3.
import os
import sys


def compute(n):
    return sum(i * i % 11 for i in range(n))


print('before exec', compute(300_000), flush=True)
os.execv(sys.executable, [sys.executable, '-c', 'import sys; print("after exec"); sys.exit(3)'])
