#!/usr/bin/env python3
"""Seed: primes_parallel, multiprocessing.Pool().map(check_prime, range) + itertools.compress.
usage: primes_pool.py [FROM=10] [TO=2500000] [WORKERS=cpu_count]"""
import itertools
import multiprocessing
import sys
from timeit import Timer

from primes_common import check_prime, head_tail, parse_range


def primes_parallel(number_range, workers):
    pool = multiprocessing.Pool(workers)  # the seed: Pool() = cpu_count() processes
    output = pool.map(check_prime, number_range)  # a list of booleans
    primes = [p for p in itertools.compress(number_range, output)]
    pool.close()
    return primes


if __name__ == '__main__':
    number_range = parse_range(sys.argv)
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else None
    t = Timer(lambda: head_tail(primes_parallel(number_range, workers)))
    print('Completed primes_parallel in {} seconds.'.format(t.timeit(1)))
