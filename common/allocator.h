// Allocator settings for a process that moves many large buffers (image bodies, chunk data).
#pragma once

namespace zfan {

// glibc serves every allocation above its mmap threshold (128 KiB at start) with a fresh mmap, so
// each received body costs page faults and zeroed pages on the way in and an munmap on the way
// out; measured, that was a third of a download's CPU. This keeps such buffers in the heap for
// reuse. Call once, first thing in main(), before any threads start.
void KeepLargeBuffersInHeap();

}  // namespace zfan
