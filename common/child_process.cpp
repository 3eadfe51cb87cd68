#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/unique_fd.h"

namespace zfan {

namespace {

// In the child: point `fd` at `path` (created/truncated). Only async-signal-safe calls.
void RedirectTo(const std::string& path, int fd) {
  if (path.empty()) return;
  int out = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) _exit(126);
  dup2(out, fd);
}

// In the child, right after fork(): tie its life to the parent's, clear the inherited signal
// mask, redirect its output. Only async-signal-safe calls. False if the parent is already gone.
bool PrepareChild(pid_t parent, const SpawnOptions& options) {
  prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
  if (getppid() != parent) return false;  // parent died between fork and prctl
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  RedirectTo(options.stdout_path, STDOUT_FILENO);
  RedirectTo(options.stderr_path, STDERR_FILENO);
  return true;
}

void CloseAllAbove2Except(int keep) {
  if (keep < 3) {
    ::close_range(3, ~0U, 0);
    return;
  }
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
}

}  // namespace

Result<ChildProcess> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                         const SpawnOptions& options) {
  if (argv.empty()) return UsageError("empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return IoError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    if (!PrepareChild(parent, options)) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  return ChildProcess(pid);
}

Result<ChildProcess> ChildProcess::Fork(const std::function<int()>& body,
                                        const SpawnOptions& options) {
  // Buffered output would otherwise be written twice, once by each process.
  std::fflush(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return IoError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    if (!PrepareChild(parent, options)) _exit(127);
    // The parent's sockets, pipes and files are not ours: a copy of a listening socket here
    // would keep its port open after the parent is gone.
    CloseAllAbove2Except(options.keep_fd);
    if (!options.name.empty()) prctl(PR_SET_NAME, options.name.c_str());
    int code = 70;  // EX_SOFTWARE, if body throws
    try {
      code = body();
    } catch (...) {
    }
    std::fflush(nullptr);
    _exit(code);  // not exit(): the parent's static objects are not the child's to destroy
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), status_(other.status_), peak_rss_kib_(other.peak_rss_kib_) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) Stop();
    pid_ = other.pid_;
    status_ = other.status_;
    peak_rss_kib_ = other.peak_rss_kib_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) Stop();
}

void ChildProcess::Signal(int sig) const {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

std::optional<int> ChildProcess::Poll() {
  if (status_ || pid_ <= 0) return status_;
  int raw = 0;
  rusage usage{};
  pid_t r = wait4(pid_, &raw, WNOHANG, &usage);
  if (r == pid_) {
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    peak_rss_kib_ = usage.ru_maxrss;  // KiB on Linux
  }
  return status_;
}

std::optional<int> ChildProcess::WaitFor(std::chrono::milliseconds timeout) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // A pidfd becomes readable the moment the child exits, so the wait ends then, not at the next
  // look of a sleep loop (which cost up to 10 ms on every job's exit). Without one (a kernel older
  // than 5.3, or a seccomp filter), look every millisecond.
  UniqueFd exited(Poll() ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  while (!Poll()) {
    auto left = duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (exited.valid()) {
      pollfd fd{.fd = exited.get(), .events = POLLIN, .revents = 0};
      ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::min(left, milliseconds(1)));
    }
  }
  return status_;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (!Poll()) {
    Signal(SIGTERM);
    if (!WaitFor(grace)) {
      Signal(SIGKILL);
      WaitFor(std::chrono::milliseconds(5000));
    }
  }
  return status_.value_or(-1);
}

}  // namespace zfan
