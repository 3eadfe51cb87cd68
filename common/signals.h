// SIGINT/SIGTERM as a counter the event loops read between polls (no work in the handler).
#pragma once

namespace zfan {

void InstallStopSignalHandlers();
// How many SIGINT/SIGTERM arrived so far.
int StopSignalsReceived();

}  // namespace zfan
