# JIT-heavy: a traced loop calling a numeric function many times, so the function runs as
# machine code entered from the trace (PyPy's _vmprof shows such a frame as JIT code; a few
# long calls entered from the interpreter show as interpreted frames).
def mix(n):
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 1000003
    return acc


def main(rounds, n):
    total = 0
    for _ in range(rounds):
        total += mix(n)
    return total


print(main(6000, 20000))
