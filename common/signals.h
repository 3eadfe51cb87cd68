// SIGINT/SIGTERM (and SIGHUP) as counters the event loops read between polls (no work in the
// handlers), and a descriptor that becomes readable when a stop signal arrives, so that a loop
// blocked in poll wakes at once: the kernel may deliver the signal to any thread that does not
// block it (a job's runner threads do not), which leaves the polling thread asleep until its
// timeout.
#pragma once

namespace zfan {

void InstallStopSignalHandlers();
// How many SIGINT/SIGTERM arrived so far.
int StopSignalsReceived();
// Readable after a stop signal until DrainStopSignalFd(); -1 before InstallStopSignalHandlers.
int StopSignalFd();
void DrainStopSignalFd();

// SIGHUP: "reload your configuration" (the master's --authorized-workers).
void InstallReloadSignalHandler();
int ReloadSignalsReceived();

}  // namespace zfan
