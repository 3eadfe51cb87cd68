#!/bin/sh
# Clears the way for the next timed download run: usage clear_outputs.sh DIR TRASH
# Every DIR/out-* goes. On tmpfs it is deleted. On a disk file system it is renamed into TRASH
# (deleted when the benchmark ends) and its pages are dropped from the page cache, because both
# alternatives load the next run with the benchmark's own housekeeping:
#  - deleting 1,000 files just before a run made ext4 (this kernel, no journal) skip every recently
#    freed inode while allocating the next run's files: ~10 % of all CPU samples, and zfan's
#    128-connection run took 0.73-0.85 s instead of 0.60-0.65 s;
#  - keeping the files cached made every run write into never-touched memory (the VM backs guest
#    memory lazily), which made the page-cache copy 28 % of all CPU samples after a few runs.
# `sync` first: the previous run's write-back must not land in the next timed run.
set -eu
dir=$1 trash=$2
on_tmpfs=false
[ "$(stat -f -c %T "$dir")" = tmpfs ] && on_tmpfs=true
if $on_tmpfs; then
  rm -rf "$dir"/out-*
else
  moved="$trash/$(date +%s%N)"
  mkdir -p "$moved"
  for d in "$dir"/out-*; do
    [ -e "$d" ] && mv "$d" "$moved/"
  done
fi
sync
$on_tmpfs && exit 0
# Only clean pages can be dropped: hence after the sync.
python3 - "$moved" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        fd = os.open(os.path.join(root, name), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
