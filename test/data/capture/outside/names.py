"""Functions whose co_name and co_qualname differ (a method, a closure, a generator expression),
each computing for a while (CPU-time budget, so a loaded machine still gives each its share)."""
import time


def spin(seconds, step):
    end = time.process_time() + seconds
    while time.process_time() < end:
        step()


class Shape:
    def area(self):
        return sum(i * i for i in range(2000))


def outer():
    def inner():
        return sorted(range(3000, 0, -1))[0]

    spin(0.25, inner)


spin(0.25, Shape().area)
outer()
print("done")
