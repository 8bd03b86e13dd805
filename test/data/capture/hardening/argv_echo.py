# Prints its argv as bytes (non-UTF-8 names survive as surrogate escapes) and its own name.
import os
import sys

print([os.fsencode(a) for a in sys.argv])
print(os.fsencode(os.path.basename(__file__)))
