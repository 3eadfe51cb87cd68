#!/usr/bin/env python3
"""Markdown table (stdout) and download.dat (for plot.gnuplot) from run_download.sh's results.
usage: report_download.py HYPERFINE_JSON N TOTAL_BYTES BW_BYTES_PER_S LATENCY_MS VERIFY_TXT
                          ZFAN_DOWNLOAD_EXISTS(0|1) DAT_OUT"""
import json
import math
import re
import sys

(hf_json, n, total_bytes, bw, latency_ms, verify_txt, zfan_exists, dat_out) = sys.argv[1:9]
n, total_bytes, bw = int(n), int(total_bytes), float(bw)
latency_s = int(latency_ms) / 1000
verified = {}
for line in open(verify_txt):
    m = re.match(r'(.*) (OK|FAIL (\d+))$', line.rstrip('\n'))
    if m:
        verified[m.group(1)] = 'yes' if m.group(2) == 'OK' else f'NO ({m.group(3)} bad)'


def floor_s(conns):
    return math.ceil(n / conns) * latency_s + total_bytes / bw


print(f'{n} images, {total_bytes / 1e6:.1f} MB in total, {latency_ms} ms latency per request; '
      f'loopback body bandwidth {bw / 1e6:,.0f} MB/s.\n'
      f'floor(C) = ceil({n} / C) × {latency_s} s + {total_bytes / 1e6:.1f} MB / {bw / 1e6:,.0f} MB/s.\n')
print('| method [connections] | wall s (mean ± sd) | CPU s | floor s | time / floor | target | verified |')
print('|---|---|---|---|---|---|---|')
rows = []
for r in json.load(open(hf_json))['results']:
    name = r['command']
    conns = int(re.search(r'\[(\d+)\]$', name).group(1))
    fl = floor_s(conns)
    ratio = r['mean'] / fl
    is_zfan = name.startswith('zfan')
    target = ('≤ 1.3: **met**' if ratio <= 1.3 else '≤ 1.3: **missed**') if is_zfan else ''
    sd = r['stddev'] or 0.0
    codes = r.get('exit_codes', [])
    failed_runs = sum(1 for c in codes if c != 0)
    check = verified.get(name, '?')
    if failed_runs:
        check += f' ({failed_runs} of {len(codes)} timed runs failed)'
    print(f'| {name} | {r["mean"]:.3f} ± {sd:.3f} | {r["user"] + r["system"]:.2f} | {fl:.3f} | '
          f'{ratio:.2f} | {target} | {check} |')
    rows.append((name, r['mean'], sd, fl))
if zfan_exists != '1':
    for c in (8, 32, 128):
        print(f'| zfan download, 2 workers × {c // 2} [{c}] | TODO | | {floor_s(c):.3f} | TODO | ≤ 1.3 | |')
with open(dat_out, 'w') as f:
    f.write('# "method" mean_s sd_s floor_s\n')
    for name, m, sd, fl in rows:
        f.write(f'"{name}" {m:.4f} {sd:.4f} {fl:.4f}\n')
