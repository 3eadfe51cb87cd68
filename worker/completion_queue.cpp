#include "worker/completion_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

namespace zfan::worker {

CompletionQueue::CompletionQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

CompletionQueue::~CompletionQueue() { close(fd_); }

void CompletionQueue::Push(Completion c) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = items_.empty();
    items_.push_back(std::move(c));
  }
  if (was_empty) {
    uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);
  }
}

std::vector<Completion> CompletionQueue::TakeAll() {
  uint64_t count;
  (void)!read(fd_, &count, sizeof count);
  std::lock_guard lock(mu_);
  std::vector<Completion> out;
  out.swap(items_);
  return out;
}

}  // namespace zfan::worker
