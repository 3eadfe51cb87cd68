#!/usr/bin/env python3
"""Seed: sequential Imgur downloader (a for loop over download_link).
usage: download_sequential.py LINKS_FILE OUT_DIR"""
import sys
from time import time

from download_common import download_link, get_links, parse_args, setup_download_dir

if __name__ == '__main__':
    links_file, out, _ = parse_args(sys.argv, 1)
    ts = time()
    download_dir = setup_download_dir(out)
    links = [l for l in get_links(links_file)]
    for link in links:
        download_link(download_dir, link)
    print('Took {}s'.format(time() - ts))
