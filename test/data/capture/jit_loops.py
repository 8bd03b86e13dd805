# A JIT-heavy program for the trace viewer tests: a hot loop (count_words) that calls a small
# function (normalize, inlined into the loop's trace) and C helpers of the interpreter (string
# and dict operations: PyPy's _vmprof sees their callers as JIT code, so samples carry the
# trace's machine-code address), and takes a branch on rare words (a guard that gets a bridge).
# Line numbers are asserted by the tests. Usage: jit_loops.py ROUNDS
import sys

WORDS = ('alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ' * 50).split()


def normalize(word):
    return word.upper().lower()


def count_words(words, counts):
    for word in words:
        key = normalize(word)
        counts[key] = counts.get(key, 0) + 1
        if len(key) > 6:
            counts['long'] = counts.get('long', 0) + 1


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    counts = {}
    for _ in range(rounds):
        count_words(WORDS, counts)
    print(len(counts), counts['long'])


main()
