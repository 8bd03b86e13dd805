# Program behind profile-module-recursion.pstats, made with the pure-Python profiler:
#   python3 -m profile -o profile-module-recursion.pstats profile-module-recursion.py
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def even(n):
    return True if n == 0 else odd(n - 1)


def odd(n):
    return False if n == 0 else even(n - 1)


def main():
    total = 0
    for i in range(30):
        total += fib(12) + (1 if even(i) else 0)
    return total


main()
