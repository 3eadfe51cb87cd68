#!/usr/bin/env python3
"""Seed: ThreadPoolExecutor downloader (executor.map(download_link, links)), 8 threads.
usage: download_threads.py LINKS_FILE OUT_DIR [THREADS=8]"""
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from time import time

from download_common import download_link, get_links, parse_args, setup_download_dir

if __name__ == '__main__':
    links_file, out, workers = parse_args(sys.argv, 8)
    ts = time()
    download_dir = setup_download_dir(out)
    links = [l for l in get_links(links_file)]
    fn = partial(download_link, download_dir)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        list(executor.map(fn, links, timeout=30))  # list(): re-raise any download error
    print('Took {}s'.format(time() - ts))
