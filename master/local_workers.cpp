#include "master/local_workers.h"

#include <spdlog/spdlog.h>

#include <csignal>

namespace zfan::master {

Status LocalWorkers::Start(uint32_t count, const std::string& endpoint,
                           std::vector<std::string> args) {
  wanted_ = count;
  endpoint_ = endpoint;
  args_ = std::move(args);
  for (uint32_t i = 0; i < count; ++i) {
    if (Status s = SpawnOne(); !s.ok()) return s;
  }
  return Status::Ok();
}

// The workers of the start are the preforked ones (no exec, no dynamic loader); a replacement
// later is exec'd: forking the master now would copy a process with threads and a grown heap.
Status LocalWorkers::SpawnOne() {
  std::vector<std::string> argv{self_exe_, "worker", endpoint_, "--id",
                                "local-" + std::to_string(++spawned_)};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::optional<ChildProcess> child = preforked_.Launch({argv.begin() + 1, argv.end()});
  if (!child) {
    auto spawned = ChildProcess::Spawn(argv, {.parent_death_signal = SIGKILL});
    if (!spawned.ok()) return spawned.status();
    child = std::move(spawned).value();
  }
  children_.push_back(std::move(*child));
  return Status::Ok();
}

// A local worker that dies mid-job (crash, OOM, poison task) is replaced, within a budget.
void LocalWorkers::Supervise(bool replace) {
  size_t exited = 0;
  for (auto& child : children_) {
    if (auto status = child.Poll()) {
      spdlog::warn("local worker pid {} exited with status {}", child.pid(), *status);
      ++exited;
    }
  }
  if (exited == 0) return;
  std::erase_if(children_, [](ChildProcess& c) { return c.Poll().has_value(); });
  if (!replace) return;
  for (size_t i = 0; i < exited && spawned_ < wanted_ * 4 + 4; ++i) {
    if (!SpawnOne().ok()) spdlog::error("could not start a replacement local worker");
  }
}

void LocalWorkers::Stop() {
  for (auto& child : children_) child.Signal(SIGTERM);
  for (auto& child : children_) child.WaitFor(Millis(3000));
  children_.clear();  // stops any still running
}

}  // namespace zfan::master
