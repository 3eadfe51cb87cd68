// SIGINT/SIGTERM (and SIGHUP) as counters the event loops read between polls (no work in the
// handlers).
#pragma once

namespace zfan {

void InstallStopSignalHandlers();
// How many SIGINT/SIGTERM arrived so far.
int StopSignalsReceived();

// SIGHUP: "reload your configuration" (the master's --authorized-workers).
void InstallReloadSignalHandler();
int ReloadSignalsReceived();

}  // namespace zfan
