#include "common/signals.h"

#include <atomic>
#include <csignal>

namespace zfan {
namespace {
std::atomic<int> g_stop_signals{0};
extern "C" void OnStopSignal(int) { g_stop_signals.fetch_add(1); }
}  // namespace

void InstallStopSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int StopSignalsReceived() { return g_stop_signals.load(); }

}  // namespace zfan
