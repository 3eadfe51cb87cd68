// ThreadPoolRunner: how CPU jobs run on a worker — `slots` threads take tasks from one queue and
// run a plain TaskFunction, timing each run.
#pragma once
#include "common/work_pool.h"
#include "jobs/job.h"

namespace zfan::jobs {

class ThreadPoolRunner final : public TaskRunner {
 public:
  ThreadPoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink);

  void submit(TaskSpec task) override { pool_.Push(std::move(task)); }
  std::vector<TaskId> drain_queued() override;

 private:
  void Run(TaskSpec& task);

  TaskFunction fn_;
  CompletionSink sink_;
  WorkPool<TaskSpec> pool_;  // last: its threads use the members above
};

// Wraps a TaskFunction into the registry's make_runner shape.
std::unique_ptr<TaskRunner> MakePoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink);

}  // namespace zfan::jobs
