// CompletionQueue: outcomes from runner threads to the worker's event loop. Producers push under a
// mutex and bump an eventfd; the loop polls the eventfd alongside its ZeroMQ sockets.
#pragma once
#include <mutex>
#include <optional>
#include <vector>

#include "jobs/job.h"

namespace zfan::worker {

// A task's outcome, or (piece set) a piece of its body that goes ahead of it.
struct Completion {
  uint64_t job_id;
  jobs::TaskOutcome outcome;
  std::optional<jobs::BodyPiece> piece;
};

class CompletionQueue {
 public:
  CompletionQueue();
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  void Push(Completion c);            // any thread
  std::vector<Completion> TakeAll();  // loop thread; also clears the eventfd
  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mu_;
  std::vector<Completion> items_;  // REQUIRES: mu_ held
};

}  // namespace zfan::worker
