#include "jobs/thread_pool_runner.h"

#include <chrono>

namespace zfan::jobs {

ThreadPoolRunner::ThreadPoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink)
    : fn_(std::move(fn)), sink_(std::move(sink)) {
  for (uint32_t i = 0; i < std::max<uint32_t>(slots, 1); ++i) {
    threads_.emplace_back([this] { RunLoop(); });
  }
}

ThreadPoolRunner::~ThreadPoolRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPoolRunner::submit(TaskSpec task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

std::vector<TaskId> ThreadPoolRunner::drain_queued() {
  std::lock_guard lock(mu_);
  std::vector<TaskId> ids;
  for (const auto& t : queue_) ids.push_back(t.id);
  queue_.clear();
  return ids;
}

void ThreadPoolRunner::RunLoop() {
  for (;;) {
    TaskSpec task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    auto start = std::chrono::steady_clock::now();
    TaskOutcome outcome = fn_(task);
    outcome.id = task.id;
    outcome.busy_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    sink_(std::move(outcome));
  }
}

std::unique_ptr<TaskRunner> MakePoolRunner(uint32_t slots, TaskFunction fn, CompletionSink sink) {
  return std::make_unique<ThreadPoolRunner>(slots, std::move(fn), std::move(sink));
}

}  // namespace zfan::jobs
