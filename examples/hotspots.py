"""A small CPU-bound program with a few clearly different hot spots, for `npm run demo`.

It plans delivery routes for a made-up bakery: parse orders, score every pair of stops,
improve a route by 2-opt swaps, and checksum the result. About two seconds on CPython.
Run it yourself: python3 examples/hotspots.py
"""
import hashlib
import random


def make_orders(count, seed=2024):
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        x, y = rng.uniform(0, 100), rng.uniform(0, 100)
        loaves = rng.randint(1, 12)
        lines.append('order-%05d;%.3f;%.3f;%d' % (i, x, y, loaves))
    return lines


def parse_orders(lines):
    stops = []
    for line in lines:
        name, x, y, loaves = line.split(';')
        stops.append((name, float(x), float(y), int(loaves)))
    return stops


def distance_table(stops):
    """The hottest part: every pair of stops, in plain Python."""
    table = []
    for _, x1, y1, _ in stops:
        row = []
        for _, x2, y2, _ in stops:
            row.append(((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5)
        table.append(row)
    return table


def route_length(route, table):
    return sum(table[a][b] for a, b in zip(route, route[1:]))


def improve_route(route, table, rounds):
    """2-opt: reverse a stretch of the route whenever that makes it shorter."""
    best = route_length(route, table)
    n = len(route)
    rng = random.Random(7)
    for _ in range(rounds):
        i = rng.randrange(1, n - 2)
        j = rng.randrange(i + 1, n - 1)
        a, b, c, d = route[i - 1], route[i], route[j], route[j + 1]
        delta = table[a][c] + table[b][d] - table[a][b] - table[c][d]
        if delta < -1e-9:
            route[i:j + 1] = reversed(route[i:j + 1])
            best += delta
    return route, best


def checksum(route, rounds):
    """C code doing the work (hashlib): shows up as a native frame under this line."""
    data = (','.join(map(str, route)) * 8000).encode()
    digest = b''
    for _ in range(rounds):
        digest = hashlib.sha256(data + digest).digest()
    return digest.hex()[:16]


def main():
    stops = parse_orders(make_orders(700))
    table = distance_table(stops)
    route, length = improve_route(list(range(len(stops))), table, 250_000)
    print('stops: %d, route length: %.1f km, checksum %s' % (len(stops), length, checksum(route, 6)))


if __name__ == '__main__':
    main()
