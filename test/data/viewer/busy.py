"""A small program whose profile the viewer tests synthesize (see test/web/synthetic.ts)."""
import math


def parse(line):
    fields = line.split(",")
    return [float(f) for f in fields]


def score(values):
    total = 0.0
    for v in values:
        total += math.sqrt(abs(v))
    return total


def report(results):
    return "\n".join(f"{r:.3f}" for r in results)


def main():
    rows = ["1,2,3", "4,5,6"] * 1000
    results = [score(parse(r)) for r in rows]
    print(report(results))


if __name__ == "__main__":
    main()
