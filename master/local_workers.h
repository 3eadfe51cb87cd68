// The worker processes a master starts on its own machine (--local-workers): started with the
// job, replaced when one dies mid-job (within a budget), stopped with the job.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/clock.h"
#include "common/status.h"
#include "master/preforked_workers.h"

namespace zfan::master {

class LocalWorkers {
 public:
  // `args` are the `zfan worker` arguments after the endpoint, except --id (added per worker).
  LocalWorkers(std::string self_exe, PreforkedWorkers preforked)
      : self_exe_(std::move(self_exe)), preforked_(std::move(preforked)) {}

  Status Start(uint32_t count, const std::string& endpoint, std::vector<std::string> args);
  // Reaps workers that exited; starts as many replacements (if `replace`, within the budget).
  void Supervise(bool replace);
  // SIGTERM to each, a bounded wait, then SIGKILL for any still running.
  void Stop();
  size_t size() const { return children_.size(); }

 private:
  Status SpawnOne();

  std::string self_exe_;
  PreforkedWorkers preforked_;
  std::string endpoint_;
  std::vector<std::string> args_;
  uint32_t wanted_ = 0;
  uint32_t spawned_ = 0;
  std::vector<ChildProcess> children_;
};

}  // namespace zfan::master
