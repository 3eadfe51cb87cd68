#include "common/allocator.h"

#include <malloc.h>

namespace zfan {

void KeepLargeBuffersInHeap() {
  // 32 MiB is the largest threshold glibc accepts on 64-bit; bigger buffers stay mmap'ed.
  constexpr int kMmapThreshold = 32 << 20;
  // Free heap memory is returned to the kernel only beyond this, so the steady state of a
  // download (a few hundred bodies in flight) does not fault its pages in again and again.
  constexpr int kTrimThreshold = 256 << 20;
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace zfan
