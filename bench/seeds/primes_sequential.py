#!/usr/bin/env python3
"""Seed: primes_sequential with check_prime trial division over range(10, 2500000).
usage: primes_sequential.py [FROM=10] [TO=2500000]"""
import sys
from timeit import Timer

from primes_common import check_prime, head_tail, parse_range


def primes_sequential(number_range):
    primes = []
    for possible_prime in number_range:
        if check_prime(possible_prime):
            primes.append(possible_prime)
    return primes


if __name__ == '__main__':
    number_range = parse_range(sys.argv)
    t = Timer(lambda: head_tail(primes_sequential(number_range)))
    print('Completed primes_sequential in {} seconds.'.format(t.timeit(1)))
