#!/usr/bin/env python3
"""Seed: multiprocessing Pool(8).map(partial(download_link, dir), links).
usage: download_pool.py LINKS_FILE OUT_DIR [PROCESSES=8]"""
import sys
from functools import partial
from multiprocessing.pool import Pool
from time import time

from download_common import download_link, get_links, parse_args, setup_download_dir

if __name__ == '__main__':
    links_file, out, workers = parse_args(sys.argv, 8)
    ts = time()
    download_dir = setup_download_dir(out)
    links = [l for l in get_links(links_file)]
    download = partial(download_link, download_dir)
    with Pool(workers) as p:
        p.map(download, links)
    print('Took {}s'.format(time() - ts))
