// ExecRunner's loop. A command is done when its shell (the group leader) has exited: what it
// wrote is then all in the pipes, which are drained once more without blocking. (A background
// process it left behind may keep writing; that is not waited for, as GNU parallel does not.)
#include "jobs/exec/exec_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>

#include "jobs/exec/command_line.h"

namespace zfan::jobs {
namespace {

// A command that ignores SIGTERM gets this long before its group is sent SIGKILL.
constexpr Millis kKillGrace{200};
// Where the kernel has no pidfds, exits are noticed by looking this often.
constexpr int kExitPollMs = 5;
// Reads per stream per turn, so one chatty command does not starve the others.
constexpr int kMaxReadsPerTurn = 16;


}  // namespace

struct ExecRunner::Running {
  TaskSpec task;
  ShellCommand command;
  uint32_t slot;
  uint32_t tries;
  TimePoint started;
  double start_epoch_s;
  Capture out, err;
  bool timed_out = false;
  std::optional<TimePoint> kill_at;  // SIGTERM sent; SIGKILL the group then, and only then reap
};

ExecRunner::ExecRunner(uint32_t slots, ExecSettings settings, CompletionSink sink)
    : slots_(std::max(1u, slots)),
      settings_(std::move(settings)),
      sink_(std::move(sink)),
      spawner_(settings_.env, settings_.workdir),
      slot_busy_(slots_, false),
      wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      thread_([this] { Loop(); }) {}

ExecRunner::~ExecRunner() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void ExecRunner::submit(TaskSpec task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

std::vector<TaskId> ExecRunner::drain_queued() {
  std::lock_guard lock(mu_);
  std::vector<TaskId> ids;
  for (const auto& t : queue_) ids.push_back(t.id);
  queue_.clear();
  return ids;
}

void ExecRunner::Loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    StartQueued();
    PollOnce();
  }
  running_.clear();  // kills and reaps what still runs
}

void ExecRunner::StartQueued() {
  while (running_.size() < slots_) {
    TaskSpec task;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    uint32_t slot = 1;
    while (slot_busy_[slot - 1]) ++slot;
    Start(std::move(task), slot, 1);
  }
}

void ExecRunner::Start(TaskSpec task, uint32_t slot, uint32_t tries) {
  const std::string line = BuildCommandLine(settings_.command, task.payload, task.id + 1, slot);
  TimePoint started = Clock::now();
  double start_epoch_s = EpochSecondsNow();
  auto command = spawner_.Start(line);
  if (!command.ok()) {
    TaskOutcome o{.id = task.id, .error = "SPAWN_FAILED", .detail = command.status().message()};
    o.result =
        ExecRun{.start_epoch_s = start_epoch_s, .exit_code = -1, .slot = slot}.ToJson().dump();
    return sink_(std::move(o));
  }
  slot_busy_[slot - 1] = true;
  running_.push_back(std::make_unique<Running>(Running{.task = std::move(task),
                                                       .command = std::move(command).value(),
                                                       .slot = slot,
                                                       .tries = tries,
                                                       .started = started,
                                                       .start_epoch_s = start_epoch_s}));
}

int ExecRunner::PollTimeoutMs(TimePoint now) const {
  int64_t timeout_ms = -1;
  auto sooner = [&](int64_t ms) {
    ms = std::max<int64_t>(ms, 0);
    timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
  };
  for (const auto& r : running_) {
    if (r->command.pidfd() < 0) sooner(kExitPollMs);
    if (r->kill_at) {
      sooner(std::chrono::ceil<Millis>(*r->kill_at - now).count());
    } else if (settings_.timeout_s > 0 && !r->timed_out) {
      auto deadline = r->started + Millis(static_cast<int64_t>(settings_.timeout_s * 1000));
      sooner(std::chrono::ceil<Millis>(deadline - now).count());
    }
  }
  return static_cast<int>(std::min<int64_t>(timeout_ms, 60000));
}

void ExecRunner::PollOnce() {
  std::vector<pollfd> fds{{.fd = wake_.get(), .events = POLLIN, .revents = 0}};
  for (const auto& r : running_) {
    for (int fd : {r->command.out().get(), r->command.err().get()}) {
      if (fd >= 0) fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
    }
    // A leader being killed is not reaped before its group got SIGKILL: see kill_at.
    if (r->command.pidfd() >= 0 && !r->kill_at) {
      fds.push_back({.fd = r->command.pidfd(), .events = POLLIN, .revents = 0});
    }
  }
  int n = ::poll(fds.data(), fds.size(), PollTimeoutMs(Clock::now()));
  if (n < 0 && errno != EINTR) return;
  if (fds[0].revents & POLLIN) {
    uint64_t count;
    (void)!read(wake_.get(), &count, sizeof count);
  }
  TimePoint now = Clock::now();
  for (auto& r : running_) {  // output first: a finished command's pipes are drained anyway
    if (r->command.out().valid()) Read(r->command.out(), r->out);
    if (r->command.err().valid()) Read(r->command.err(), r->err);
  }
  for (size_t i = 0; i < running_.size();) {
    Running& r = *running_[i];
    EnforceTimeout(r, now);
    std::optional<int> status = r.kill_at ? std::nullopt : r.command.TryReap();
    if (!status) {
      ++i;
      continue;
    }
    std::unique_ptr<Running> done = std::move(running_[i]);
    running_.erase(running_.begin() + static_cast<ptrdiff_t>(i));
    Finish(*done, *status);
  }
}

void ExecRunner::Read(UniqueFd& fd, Capture& capture) {
  char buf[64 * 1024];
  for (int reads = 0; reads < kMaxReadsPerTurn; ++reads) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      capture.total += static_cast<uint64_t>(n);
      size_t room =
          settings_.max_output - std::min<uint64_t>(capture.bytes.size(), settings_.max_output);
      capture.bytes.append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();  // EOF, or an error that will not go away
    return;
  }
}

// Past --timeout: SIGTERM to the whole group; kKillGrace later SIGKILL to it (whatever ignored
// the TERM, children included), and only then may the leader be reaped.
void ExecRunner::EnforceTimeout(Running& r, TimePoint now) {
  if (r.kill_at) {
    if (now < *r.kill_at) return;
    r.command.SignalGroup(SIGKILL);
    r.kill_at.reset();
    return;
  }
  if (settings_.timeout_s <= 0 || r.timed_out) return;
  if (now - r.started < Millis(static_cast<int64_t>(settings_.timeout_s * 1000))) return;
  r.timed_out = true;
  r.command.SignalGroup(SIGTERM);
  r.kill_at = now + kKillGrace;
}

void ExecRunner::Finish(Running& r, int wait_status) {
  // The leader is gone: what it wrote is in the pipes. Drain them without waiting for writers
  // it may have left behind.
  for (auto [fd, capture] : {std::pair{&r.command.out(), &r.out}, {&r.command.err(), &r.err}}) {
    while (fd->valid()) {
      uint64_t before = capture->total;
      Read(*fd, *capture);
      if (capture->total == before) break;  // EAGAIN (or EOF, which closed it)
    }
  }
  ExecRun run{.start_epoch_s = r.start_epoch_s,
              .runtime_s = SecondsBetween(r.started, Clock::now()),
              .exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 0,
              .signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0,
              .timed_out = r.timed_out,
              .slot = r.slot,
              .tries = r.tries,
              .stdout_bytes = r.out.total,
              .stderr_bytes = r.err.total,
              .stdout_truncated = r.out.total > r.out.bytes.size(),
              .stderr_truncated = r.err.total > r.err.bytes.size()};
  if (run.timed_out) run.exit_code = -1;
  slot_busy_[r.slot - 1] = false;
  // --retries counts runs, as GNU parallel does; only a non-zero exit is run again.
  if (run.exit_code > 0 && !run.timed_out && r.tries < settings_.tries) {
    return Start(std::move(r.task), r.slot, r.tries + 1);
  }
  TaskOutcome o{.id = r.task.id,
                .error = FailureReason(run),
                .result = run.ToJson().dump(),
                .bulk = std::move(r.out.bytes),
                .bulk2 = std::move(r.err.bytes),
                .attempts = r.tries,
                .busy_us = static_cast<uint64_t>(run.runtime_s * 1e6)};
  if (!o.ok()) o.detail = FailureDetail(run, settings_.timeout_s);
  sink_(std::move(o));
}

}  // namespace zfan::jobs
