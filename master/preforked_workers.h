// Local worker processes forked at the very start of the master, while it has a single thread,
// each blocked on a pipe until the master (now bound, with ZeroMQ's threads running) hands it its
// `zfan worker` arguments. They skip exec and the dynamic loader (see ChildProcess::Fork) without
// the hazard of forking a multi-threaded process.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/unique_fd.h"

namespace zfan::master {

class PreforkedWorkers {
 public:
  using Entry = std::function<int(const std::vector<std::string>& args)>;

  PreforkedWorkers() = default;
  // Forks `count` children that will run `entry` (nothing if it is empty). A child whose fork
  // fails is left out: the master then execs that worker instead.
  PreforkedWorkers(uint32_t count, const Entry& entry);

  // Hands the next waiting child its arguments and gives it away; nullopt if none is waiting.
  // REQUIRES: SIGPIPE ignored (InstallStopSignalHandlers), so a child that died meanwhile costs
  // an EPIPE and the next child is tried, not the master.
  std::optional<ChildProcess> Launch(const std::vector<std::string>& args);

 private:
  struct Waiting {
    ChildProcess child;
    UniqueFd args_pipe;  // write end; the child reads its arguments until EOF
  };
  std::vector<Waiting> waiting_;
};

}  // namespace zfan::master
