"""`python -m vmprof …` with pyrometer's vmprof module: pyrometer records without it."""
import sys

args = ' '.join(sys.argv[1:]) or 'app.py'
sys.stderr.write('pyrometer: this vmprof is pyrometer\'s API module; to profile a program run '
                 '`pyrometer record -- %s %s` (vmprof\'s options work there too)\n'
                 % ('pypy3' if sys.implementation.name == 'pypy' else 'python3', args))
sys.exit(2)
