# Runs a command and prints its wall time and CPU time (user + sys, the command and its
# children) as JSON: the numbers bench/overhead.ts compares. Its own start-up is not counted.
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, 'user': usage.ru_utime, 'sys': usage.ru_stime,
                  'minflt': usage.ru_minflt, 'code': done.returncode}))
