# Reads text from stdin and prints the three most common words: `prog < big.txt` must work.
import collections
import sys


def count_words(stream):
    counts = collections.Counter()
    for line in stream:
        counts.update(line.split())
    return counts


for word, n in count_words(sys.stdin).most_common(3):
    print(word, n)
