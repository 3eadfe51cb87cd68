// ChildProcess: a process zfan started, owned by this object. The destructor stops it (SIGTERM,
// then SIGKILL after a grace period) and reaps it, so zfan never leaves orphans behind. Children
// also get PR_SET_PDEATHSIG so they die if their parent is killed with -9.
//
// Spawn() execs a program. Fork() runs a function of this program in the child instead, without
// the exec: the child starts with every library already loaded and relocated, which saves the
// ~9 ms zfan spends before main() (47 shared libraries, mostly libcurl's). Fork only while the
// process has a single thread (a lock another thread held at the fork, e.g. the allocator's under
// ASan, would stay locked in the child forever) and is still small (the child keeps a
// copy-on-write view of the parent's memory for its lifetime).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace zfan {

struct SpawnOptions {
  std::string stdout_path;  // empty: inherit
  std::string stderr_path;  // empty: inherit
  std::string name;         // Fork(): the child's thread name (ps -o comm, top); empty: keep
  int keep_fd = -1;         // Fork(): a descriptor above 2 the child keeps open
  // What the child gets when its parent dies. SIGKILL for a helper that is useless without its
  // parent and must not linger (a local worker draining for seconds would join the next master
  // under the same id as that master's own local worker).
  int parent_death_signal = SIGTERM;
};

class ChildProcess {
 public:
  static Result<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                    const SpawnOptions& options = {});
  // The child runs `body` and exits with what it returns. It inherits no file descriptor but
  // 0-2 and options.keep_fd.
  static Result<ChildProcess> Fork(const std::function<int()>& body,
                                   const SpawnOptions& options = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Exit status if it has exited (non-blocking); 128+signal for a killed process.
  std::optional<int> Poll();
  // Waits up to `timeout` for it to exit.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // Its peak resident memory (and that of the children it waited for), once it has exited.
  std::optional<long> peak_rss_kib() const { return peak_rss_kib_; }
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::optional<long> peak_rss_kib_;
};

}  // namespace zfan
