"""The seed's prime helpers (lecture 004, "Bonus: Multiprocesses in python"), unchanged.
check_prime calls 2 composite and 1 prime, so the benchmarks only use ranges starting at >= 10,
as the seed does (range(10, 2500000) -> 183068 primes)."""
import math
import sys


def check_prime(n):
    if n % 2 == 0:
        return False
    for i in range(3, int(math.sqrt(n)) + 1, 2):
        if n % i == 0:
            return False
    return True


def head_tail(primes):
    print(len(primes), primes[:10], primes[-10:])


def parse_range(argv):
    """argv: [FROM=10] [TO=2500000]; 1e6 style allowed."""
    lo = int(float(argv[1])) if len(argv) > 1 else 10
    hi = int(float(argv[2])) if len(argv) > 2 else 2500000
    if lo < 10:
        sys.exit('FROM must be >= 10: the seed\'s check_prime is wrong for 1 and 2')
    return range(lo, hi)
