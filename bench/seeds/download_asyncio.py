#!/usr/bin/env python3
"""Seed: asyncio downloader. With aiohttp (the seed's choice): one ClientSession, one coroutine per
link, gather(), body streamed with iter_chunked(1024) as in the seed; aiohttp's connector caps
concurrent connections (default 100, the seed's setting). Without aiohttp: asyncio.to_thread over
the blocking download_link, bounded by a semaphore of the same size.
usage: download_asyncio.py LINKS_FILE OUT_DIR [CONNECTIONS=100]"""
import asyncio
import os
import sys
import timeit

from download_common import download_link, get_links, parse_args, setup_download_dir

try:
    import aiohttp
except ImportError:
    aiohttp = None


async def download_image(link, session, directory):
    async with session.get(link) as response:
        response.raise_for_status()
        with open(directory / os.path.basename(link), 'wb') as fd:
            async for data in response.content.iter_chunked(1024):
                fd.write(data)


async def main_aiohttp(links, directory, connections):
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [download_image(link, session, directory) for link in links]
        return await asyncio.gather(*tasks)


async def main_to_thread(links, directory, connections):
    sem = asyncio.Semaphore(connections)

    async def one(link):
        async with sem:
            await asyncio.to_thread(download_link, directory, link)

    return await asyncio.gather(*(one(l) for l in links))


if __name__ == '__main__':
    links_file, out, connections = parse_args(sys.argv, 100)
    start_time = timeit.default_timer()
    directory = setup_download_dir(out)
    links = get_links(links_file)
    if aiohttp is not None:
        how = f'aiohttp {aiohttp.__version__}'
        asyncio.run(main_aiohttp(links, directory, connections))
    else:
        how = 'asyncio.to_thread (aiohttp not installed)'
        asyncio.run(main_to_thread(links, directory, connections))
    time_taken = timeit.default_timer() - start_time
    print('Time taken to download images using AsyncIO ({}): {}'.format(how, time_taken))
