#!/usr/bin/env python3
"""Turns bench/results/*.json from run_cpu.sh into markdown tables (stdout) and scaling.dat
(for plot.gnuplot). usage: report_cpu.py RESULTS_DIR"""
import glob
import json
import math
import os
import re
import statistics
import sys

R = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'results')


def hf(name):
    """hyperfine export -> {command name: dict(mean, sd, cpu, cpu_sd, n)}; cpu = user + system."""
    with open(os.path.join(R, name)) as f:
        out = {}
        for r in json.load(f)['results']:
            times = r['times']
            cpu = [u + s for u, s in zip(r.get('user_times') or [], r.get('system_times') or [])]
            out[r['command']] = dict(
                mean=r['mean'], sd=r['stddev'] or 0.0, n=len(times), min=min(times),
                cpu=statistics.mean(cpu) if cpu else r['user'] + r['system'],
                cpu_sd=statistics.stdev(cpu) if len(cpu) > 1 else None)  # hyperfine < 1.16: no per-run CPU
        return out


def zjson(pattern):
    runs = []
    for p in sorted(glob.glob(os.path.join(R, pattern))):
        with open(p) as f:
            runs.append(json.load(f))
    return runs


def ms(values):
    m = statistics.mean(values)
    return m, (statistics.stdev(values) if len(values) > 1 else 0.0)


def pm(m, sd, fmt='{:.3f}'):
    return (fmt + ' ± ' + fmt).format(m, sd)


def ratio(a, b):
    """a/b with the propagated relative error."""
    r = a['mean'] / b['mean']
    return r, r * math.hypot(a['sd'] / a['mean'], b['sd'] / b['mean'])


def cpu_text(r):
    return f'{r["cpu"]:.3f}' if r['cpu_sd'] is None else pm(r['cpu'], r['cpu_sd'])


def met(ok):
    return '**met**' if ok else '**missed**'


def section_primes():
    t = hf('primes_sieve.json')
    p1, p2 = t['primesieve-t1'], t['primesieve-t2']
    print('### a. Primes below 1e10, segmented sieve: zfan vs primesieve\n')
    print('| command | wall s (mean ± sd) | CPU s (user+sys) | vs primesieve, same threads (wall) | vs primesieve (CPU) |')
    print('|---|---|---|---|---|')
    for name, r in t.items():
        ref = p2 if ('2w' in name or name.endswith('t2')) else p1
        rr, rsd = ratio(r, ref)
        print(f'| `{name}` | {pm(r["mean"], r["sd"])} | {cpu_text(r)} | '
              f'{rr:.2f} ± {rsd:.2f} | {r["cpu"] / ref["cpu"]:.2f} |')
    print()
    chunks = ['auto', '1e8', '1e9']
    best = min(chunks, key=lambda c: t[f'zfan-1w-chunk-{c}']['mean'] + t[f'zfan-2w-chunk-{c}']['mean'])
    print('| figure | measured | target | |')
    print('|---|---|---|---|')
    for c in chunks:
        r, sd = ratio(t[f'zfan-1w-chunk-{c}'], p1)
        print(f'| zfan 1 worker / primesieve -t1, chunk {c} | {r:.2f} ± {sd:.2f} ({(r - 1) * 100:+.0f} %) | ≤ 1.10 | {met(r <= 1.10)} |')
    for c in chunks:
        r, sd = ratio(t[f'zfan-1w-chunk-{c}'], t[f'zfan-2w-chunk-{c}'])
        print(f'| zfan speedup 2 workers vs 1, chunk {c} | {r:.2f} ± {sd:.2f}× | ≥ 1.8× | {met(r >= 1.8)} |')
    r, sd = ratio(p1, p2)
    print(f'| (reference) primesieve -t2 vs -t1 speedup | {r:.2f} ± {sd:.2f}× | | |')
    print(f'\nBest chunk (lowest 1w + 2w wall time): **{best}** (auto = range/1000 = 1e7).\n')


def section_echo():
    print('### b. Per-task overhead: `echo --tasks 2000000 --local-workers 2`\n')
    print('| payload | runs | tasks/s (mean ± sd) | min | max | target | |')
    print('|---|---|---|---|---|---|---|')
    for b in (0, 64):
        runs = zjson(f'echo_b{b}_*.json')
        if not runs:
            continue
        v = [r['tasks_per_s'] for r in runs]
        assert all(r['result']['verified'] for r in runs), 'an echo run did not verify'
        m, sd = ms(v)
        print(f'| {b} B | {len(v)} | {m:,.0f} ± {sd:,.0f} | {min(v):,.0f} | {max(v):,.0f} | ≥ 200,000 | {met(m >= 200000)} |')
    print()


def section_sum():
    print('### c. Sum throughput: `sum --n 1e8 --chunk 1e5 --local-workers 2`\n')
    print('| mode | runs | elapsed s (mean ± sd) | GB/s of chunk data (n·8 B / elapsed) | verified |')
    print('|---|---|---|---|---|')
    for mode in ('data', 'ranges'):
        runs = zjson(f'sum_{mode}_*.json')
        if not runs:
            continue
        el = [r['elapsed_s'] for r in runs]
        n = int(runs[0]['result']['n'])
        gbs = [n * 8 / e / 1e9 for e in el]
        m, sd = ms(el)
        g, gsd = ms(gbs)
        ok = all(r['result']['verified'] for r in runs)
        print(f'| {mode} | {len(el)} | {pm(m, sd)} | {pm(g, gsd, "{:.2f}")} | {ok} |')
    print()


def section_seeds():
    print('### d. zfan vs the Python seeds (whole process, wall time incl. interpreter start-up)\n')
    for title, name in (('Sum of range(1e6) in chunks of 100', 'seeds_sum.json'),
                        ('Trial-division primes in [10, 2.5e6) (183068 primes)', 'seeds_primes.json')):
        t = hf(name)
        fastest_py = min((r for k, r in t.items() if k.endswith('.py') or '.py ' in k), key=lambda r: r['mean'])
        print(f'{title}:\n')
        print('| command | wall s (mean ± sd) | CPU s | speedup over the fastest seed |')
        print('|---|---|---|---|')
        for k, r in t.items():
            sp = '(fastest seed)' if r is fastest_py else f'{fastest_py["mean"] / r["mean"]:.2f}×'
            print(f'| `{k}` | {pm(r["mean"], r["sd"])} | {r["cpu"]:.3f} | {sp} |')
        print()
    seeds = []
    for s in ('sum_sequential', 'sum_pool', 'sum_threads_queue', 'primes_sequential'):
        p = os.path.join(R, f'seed_{s}.txt')
        if os.path.exists(p):
            seeds.append(f'`{s}.py`: ' + open(p).read().strip().splitlines()[-1])
    if seeds:
        print('The seeds\' own in-process timers (one run, excluding start-up and chunk building):\n')
        for s in seeds:
            print(f'- {s}')
        print()


def scaling_table(name, title, dat=None):
    t = hf(name)
    base = t['1']
    print(f'### {title}\n')
    print('| local workers | wall s (mean ± sd) | CPU s | speedup | efficiency | Karp–Flatt e |')
    print('|---|---|---|---|---|---|')
    rows = []
    for k, r in sorted(t.items(), key=lambda kv: int(kv[0])):
        p = int(k)
        s, ssd = ratio(base, r)
        eff = s / p
        kf = (1 / s - 1 / p) / (1 - 1 / p) if p > 1 else float('nan')
        rows.append((p, r['mean'], r['sd'], s, eff))
        print(f'| {p} | {pm(r["mean"], r["sd"])} | {r["cpu"]:.3f} | {s:.2f} ± {ssd:.2f} | {eff:.2f} | '
              f'{"—" if p == 1 else f"{kf:.3f}"} |')
    print()
    if dat:
        with open(os.path.join(R, dat), 'w') as f:
            f.write('# workers wall_s wall_sd speedup efficiency\n')
            for row in rows:
                f.write('{} {:.4f} {:.4f} {:.4f} {:.4f}\n'.format(*row))
    return t


def section_spin():
    scaling_table('spin.json', 'e. Scaling: `spin --tasks 16 --iterations 2e8` (the issue\'s job)', 'scaling.dat')
    scaling_table('spin_long.json', 'e2. Scaling: `spin --tasks 16 --iterations 2e9` (tasks 10× longer)', 'scaling_long.dat')
    t = hf('startup.json')
    print('Fixed cost of a job (`spin --tasks 2 --iterations 1`: start the master and its local '
          'workers, HELLO, two tasks, STOP, exit):\n')
    print('| local workers | wall s (mean ± sd) |')
    print('|---|---|')
    for k, r in sorted(t.items()):
        print(f'| {k} | {pm(r["mean"], r["sd"])} |')
    print()


if __name__ == '__main__':
    for section in (section_primes, section_echo, section_sum, section_seeds, section_spin):
        try:
            section()
        except FileNotFoundError as e:
            print(f'_(section {section.__name__[8:]}: no results yet: {os.path.basename(e.filename)})_\n')
