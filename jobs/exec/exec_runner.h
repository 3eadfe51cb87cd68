// The exec job on a worker: one thread runs up to `slots` commands at once, all in one poll()
// loop over their pipes and pidfds (no thread per command), enforces --timeout on each command's
// process group, caps what it keeps of each output, and re-runs failed commands (--retries).
#pragma once
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/unique_fd.h"
#include "jobs/exec/exec_messages.h"
#include "jobs/exec/spawn.h"
#include "jobs/job.h"

namespace zfan::jobs {

class ExecRunner final : public TaskRunner {
 public:
  ExecRunner(uint32_t slots, ExecSettings settings, CompletionSink sink);
  // Stops the loop; commands still running are killed with their process groups.
  ~ExecRunner() override;

  void submit(TaskSpec task) override;
  std::vector<TaskId> drain_queued() override;

 private:
  struct Capture {
    std::string bytes;   // at most max_output of them
    uint64_t total = 0;  // everything the command wrote
  };
  struct Running;

  void Loop();
  void StartQueued();
  void Start(TaskSpec task, uint32_t slot, uint32_t tries);
  int PollTimeoutMs(TimePoint now) const;
  void PollOnce();
  void Read(UniqueFd& fd, Capture& capture);
  void EnforceTimeout(Running& r, TimePoint now);
  void Finish(Running& r, int wait_status);

  const uint32_t slots_;
  const ExecSettings settings_;
  CompletionSink sink_;
  Spawner spawner_;                                // used by the loop thread only
  std::vector<std::unique_ptr<Running>> running_;  // loop thread only
  std::vector<bool> slot_busy_;                    // loop thread only; index = slot - 1
  UniqueFd wake_;                                  // eventfd: new tasks, or stop
  std::mutex mu_;
  std::deque<TaskSpec> queue_;  // REQUIRES: mu_ held
  bool stop_ = false;           // REQUIRES: mu_ held
  std::thread thread_;          // last: runs on the members above
};

}  // namespace zfan::jobs
