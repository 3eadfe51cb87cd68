#!/usr/bin/env python3
"""The seed's check_prime trial division over one range, printing how many primes it holds: the
program `zfan master exec` (and GNU parallel) runs once per range.
usage: primes_count.py FROM:TO   (or FROM TO; 1e6 style allowed)  ->  prints "FROM TO COUNT"
"""
import sys

from primes_common import check_prime, parse_range

if __name__ == '__main__':
    args = sys.argv[:1] + sys.argv[1].split(':') if len(sys.argv) == 2 else sys.argv
    numbers = parse_range(args)
    print(numbers.start, numbers.stop, sum(1 for n in numbers if check_prime(n)))
