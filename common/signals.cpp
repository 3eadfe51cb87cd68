#include "common/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

namespace zfan {
namespace {
std::atomic<int> g_stop_signals{0};
std::atomic<int> g_reload_signals{0};
// The self-pipe: the handler writes a byte (async-signal-safe), the loop polls the read end. Both
// ends are non-blocking, so a full pipe only drops a wake-up that is already pending.
int g_stop_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int) {
  g_stop_signals.fetch_add(1);
  int saved = errno;
  if (g_stop_pipe[1] >= 0) (void)!::write(g_stop_pipe[1], "s", 1);
  errno = saved;
}
extern "C" void OnReloadSignal(int) { g_reload_signals.fetch_add(1); }
}  // namespace

void InstallStopSignalHandlers() {
  if (g_stop_pipe[0] < 0 && ::pipe2(g_stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_stop_pipe[0] = g_stop_pipe[1] = -1;  // no wake-up: the loops still see the counter
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int StopSignalsReceived() { return g_stop_signals.load(); }

int StopSignalFd() { return g_stop_pipe[0]; }

void DrainStopSignalFd() {
  char buf[64];
  while (g_stop_pipe[0] >= 0 && ::read(g_stop_pipe[0], buf, sizeof buf) > 0) {
  }
}

void InstallReloadSignalHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnReloadSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
}

int ReloadSignalsReceived() { return g_reload_signals.load(); }

}  // namespace zfan
