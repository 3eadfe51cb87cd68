#include "common/signals.h"

#include <atomic>
#include <csignal>

namespace zfan {
namespace {
std::atomic<int> g_stop_signals{0};
std::atomic<int> g_reload_signals{0};
extern "C" void OnStopSignal(int) { g_stop_signals.fetch_add(1); }
extern "C" void OnReloadSignal(int) { g_reload_signals.fetch_add(1); }
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

void InstallReloadSignalHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnReloadSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
}

int ReloadSignalsReceived() { return g_reload_signals.load(); }

}  // namespace zfan
