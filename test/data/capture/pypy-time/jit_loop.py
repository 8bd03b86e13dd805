# JIT-heavy: a numeric loop the JIT compiles early and then runs as machine code.
def mix(n):
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 1000003
    return acc


total = 0
for round in range(60):
    total += mix(1000000)
print(total)
