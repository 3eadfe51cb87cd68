#!/usr/bin/env python3
"""Seed: Thread + Queue chunked sum (lecture 000, "Thread version"), kept faithful: ten daemon
threads add into a global without a lock, so the total can be wrong (the seed printed
484944095455). The chunk lists are built before the clock starts, as in the seed.
usage: sum_threads_queue.py [N=1e6] [CHUNK=100] [THREADS=10]"""
import sys
from queue import Queue
from threading import Thread
from time import time

n = int(float(sys.argv[1])) if len(sys.argv) > 1 else int(1e6)
chunk = int(float(sys.argv[2])) if len(sys.argv) > 2 else 100
num_threads = int(sys.argv[3]) if len(sys.argv) > 3 else 10
x = 0


def sum_chunk(q):
    while True:
        global x
        m = q.get()
        for i in m:
            #            with Lock():  # force synchronization
            x = x + i
        q.task_done()


chunks = [list(range(i, min(i + chunk, n))) for i in range(0, n, chunk)]
ts = time()

q = Queue()
for i in range(num_threads):
    worker = Thread(target=sum_chunk, args=(q,))
    worker.daemon = True  # the seed's setDaemon(True), deprecated since 3.10
    worker.start()

for i in chunks:
    q.put(i)

q.join()
elapsed = time() - ts
expected = n * (n - 1) // 2
print(x, '-->', elapsed, 's', '' if x == expected else f'(WRONG: expected {expected}; unlocked race)')
