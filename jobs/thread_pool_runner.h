// ThreadPoolRunner: how CPU jobs run on a worker — `slots` threads take tasks from one queue and
// run a plain TaskFunction, timing each run.
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "jobs/job.h"

namespace zfan::jobs {

class ThreadPoolRunner final : public TaskRunner {
 public:
  ThreadPoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink);
  ~ThreadPoolRunner() override;  // finishes running tasks, drops queued ones

  void submit(TaskSpec task) override;
  std::vector<TaskId> drain_queued() override;

 private:
  void RunLoop();

  TaskFunction fn_;
  CompletionSink sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TaskSpec> queue_;  // REQUIRES: mu_ held
  bool stopping_ = false;       // REQUIRES: mu_ held
  std::vector<std::thread> threads_;
};

// Wraps a TaskFunction into the registry's make_runner shape.
std::unique_ptr<TaskRunner> MakePoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink);

}  // namespace zfan::jobs
