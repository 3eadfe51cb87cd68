#!/usr/bin/env python3
"""Seed: sequential sum of range(n) (lecture 000, "Sequencial version").
usage: sum_sequential.py [N=1e6]"""
import sys
from time import time

n = int(float(sys.argv[1])) if len(sys.argv) > 1 else int(1e6)

ts = time()
s = 0
for i in range(n):
    s = s + i
print(s, '-->', time() - ts, 's')
