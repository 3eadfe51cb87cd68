#include "jobs/thread_pool_runner.h"

#include <chrono>

namespace zfan::jobs {

ThreadPoolRunner::ThreadPoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink)
    : fn_(std::move(fn)), sink_(std::move(sink)), pool_(slots, [this](TaskSpec& t) { Run(t); }) {}

std::vector<TaskId> ThreadPoolRunner::drain_queued() {
  std::vector<TaskId> ids;
  for (const auto& t : pool_.Drain()) ids.push_back(t.id);
  return ids;
}

void ThreadPoolRunner::Run(TaskSpec& task) {
  auto start = std::chrono::steady_clock::now();
  TaskOutcome outcome = fn_(task);
  outcome.id = task.id;
  outcome.busy_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  sink_(std::move(outcome));
}

std::unique_ptr<TaskRunner> MakePoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink) {
  return std::make_unique<ThreadPoolRunner>(slots, std::move(fn), std::move(sink));
}

}  // namespace zfan::jobs
