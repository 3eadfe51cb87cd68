"""The seed's download helpers (lecture 000/001: download_link, setup_download_dir), with the
Imgur API call replaced by a links file (one URL per line) so the benchmarks can run against the
local test server (tests/fixtures/zfan-test-httpd --write-links)."""
import os
import sys
from pathlib import Path
from urllib.request import urlopen


def get_links(links_file):
    with open(links_file) as f:
        return [line.strip() for line in f if line.strip()]


def download_link(directory, link):
    '''downloads the image given by the URL _link_ into _directory_'''
    download_path = directory / os.path.basename(link)
    with urlopen(link) as image, download_path.open('wb') as f:
        f.write(image.read())


def setup_download_dir(path):
    download_dir = Path(path)
    if not download_dir.exists():
        download_dir.mkdir(parents=True)
    return download_dir


def parse_args(argv, default_workers):
    if len(argv) < 3:
        sys.exit(f'usage: {os.path.basename(argv[0])} LINKS_FILE OUT_DIR [WORKERS={default_workers}]')
    workers = int(argv[3]) if len(argv) > 3 else default_workers
    return argv[1], argv[2], workers
