def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

class Worker:
    def run(self):
        total = 0
        for i in range(22):
            total += fib(i)
        return total

def main():
    w = Worker()
    for _ in range(3):
        w.run()
    sorted(range(200000), key=lambda x: -x)

main()
