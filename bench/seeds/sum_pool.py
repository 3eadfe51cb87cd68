#!/usr/bin/env python3
"""Seed: multiprocessing Pool(10).map over chunks of 100 (lecture 000, "multiprocessor version").
The chunk lists are built before the clock starts, as in the seed; Pool start-up is timed.
usage: sum_pool.py [N=1e6] [CHUNK=100] [WORKERS=10]"""
import sys
from multiprocessing.pool import Pool
from time import time


def sum_multi_processes(chunk):
    y = 0
    for i in chunk:
        y = y + i
    return (y)


if __name__ == '__main__':
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else int(1e6)
    chunk = int(float(sys.argv[2])) if len(sys.argv) > 2 else 100
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 10

    chunks = [list(range(i, min(i + chunk, n))) for i in range(0, n, chunk)]

    ts = time()
    with Pool(workers) as p:
        results = p.map(sum_multi_processes, chunks)

    print(sum(results), '-->', time() - ts, 's')
