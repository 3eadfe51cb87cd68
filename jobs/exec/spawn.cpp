// The clone(CLONE_VM | CLONE_VFORK) child of Spawner::Start and the process-group bookkeeping.
// The child shares our memory and runs until execve: it may only make system calls, write to
// its own ChildArgs, and _exit; it never returns into our code.
#include "jobs/exec/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace zfan::jobs {
namespace {

constexpr size_t kChildStackBytes = 64 * 1024;

struct ChildArgs {
  const char* argv[4];
  char* const* envp;
  const char* workdir;  // null: keep ours
  int in_fd, out_fd, err_fd;
  pid_t parent;
  int error = 0;  // set by the child when a step before execve failed
  const char* step = nullptr;
};

// Handlers are ours, not the command's, and would run on shared memory; ignored signals
// (SIGPIPE) would stay ignored across execve. Everything starts at its default.
__attribute__((no_sanitize("address", "undefined"))) void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction now {};
    if (sigaction(sig, nullptr, &now) == 0 && now.sa_handler != SIG_DFL) {
      sigaction(sig, &dfl, nullptr);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

__attribute__((no_sanitize("address", "undefined"))) int ChildMain(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  auto fail = [a](const char* step) {
    a->error = errno;
    a->step = step;
    _exit(127);
  };
  // If the worker dies (even by kill -9), so does the command.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != a->parent) _exit(127);
  if (setsid() < 0) fail("setsid");
  ResetSignals();
  if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0 || dup2(a->err_fd, 2) < 0) fail("dup2");
  close_range(3, ~0U, 0);
  if (a->workdir && chdir(a->workdir) != 0) fail("chdir");
  execve(a->argv[0], const_cast<char* const*>(a->argv), a->envp);
  fail("execve /bin/sh");
  return 127;
}

// A pipe whose ends are above 2 (the child's dup2 onto 0-2 must not clobber one of them) and
// close on exec; the read end does not block.
Status MakePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return IoError(std::string("pipe: ") + std::strerror(errno));
  for (int& fd : fds) {
    if (fd < 3) {
      int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      close(fd);
      fd = moved;
    }
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  if (!read_end.valid() || !write_end.valid()) return IoError("pipe: cannot move above fd 2");
  fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  return Status::Ok();
}

// clone() with the pidfd when the kernel has CLONE_PIDFD (5.2+). Every signal is blocked around
// it, so no handler of ours runs in the child before ResetSignals().
pid_t CloneChild(ChildArgs& args, char* stack_top, int& pidfd) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  pidfd = -1;
  pid_t pid = clone(ChildMain, stack_top, flags | CLONE_PIDFD, &args, &pidfd);
  if (pid < 0 && errno == EINVAL) pid = clone(ChildMain, stack_top, flags, &args);
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}

}  // namespace

ShellCommand::ShellCommand(ShellCommand&& other) noexcept
    : pid_(other.pid_),
      pidfd_(std::move(other.pidfd_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {
  other.pid_ = -1;
}

ShellCommand::~ShellCommand() {
  if (pid_ <= 0) return;
  SignalGroup(SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ShellCommand::SignalGroup(int sig) const {
  if (pid_ > 0) kill(-pid_, sig);
}

std::optional<int> ShellCommand::TryReap() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = -1;
  pidfd_.reset();
  return status;
}

Spawner::Spawner(const std::map<std::string, std::string>& env_overrides, std::string workdir)
    : workdir_(std::move(workdir)),
      dev_null_(open("/dev/null", O_RDONLY | O_CLOEXEC)),
      stack_(new char[kChildStackBytes]) {
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!env_overrides.count(name)) env_.push_back(std::move(entry));
  }
  for (const auto& [name, value] : env_overrides) env_.push_back(name + "=" + value);
  for (auto& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

Result<ShellCommand> Spawner::Start(const std::string& command) {
  if (!dev_null_.valid()) return IoError("cannot open /dev/null");
  UniqueFd out_r, out_w, err_r, err_w;
  if (Status s = MakePipe(out_r, out_w); !s.ok()) return s;
  if (Status s = MakePipe(err_r, err_w); !s.ok()) return s;
  ChildArgs args{.argv = {"/bin/sh", "-c", command.c_str(), nullptr},
                 .envp = envp_.data(),
                 .workdir = workdir_.empty() ? nullptr : workdir_.c_str(),
                 .in_fd = dev_null_.get(),
                 .out_fd = out_w.get(),
                 .err_fd = err_w.get(),
                 .parent = getpid()};
  // The stack grows down; keep the top 16-byte aligned.
  char* top = stack_.get() + kChildStackBytes - 64;
  int pidfd = -1;
  pid_t pid = CloneChild(args, top, pidfd);
  if (pid < 0) return IoError(std::string("clone: ") + std::strerror(errno));
  ShellCommand started(pid, UniqueFd(pidfd), std::move(out_r), std::move(err_r));
  if (args.error != 0) {  // the child has exited already; `started` reaps it
    std::string where = args.step;
    if (where == "chdir") where += " " + workdir_;
    return IoError(where + ": " + std::strerror(args.error));
  }
  return started;
}

}  // namespace zfan::jobs
