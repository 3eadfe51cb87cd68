// Stop signals (common/signals.h): counted, and they make the wake-up descriptor readable, so an
// event loop blocked in poll while another thread took the signal still wakes.
#include "common/signals.h"

#include <poll.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

}  // namespace

TEST_CASE("a stop signal is counted and wakes the descriptor until it is drained", "[signals]") {
  zfan::InstallStopSignalHandlers();
  const int fd = zfan::StopSignalFd();
  REQUIRE(fd >= 0);
  zfan::DrainStopSignalFd();
  CHECK_FALSE(Readable(fd));
  const int before = zfan::StopSignalsReceived();

  std::raise(SIGTERM);
  CHECK(zfan::StopSignalsReceived() == before + 1);
  CHECK(Readable(fd));
  zfan::DrainStopSignalFd();
  CHECK_FALSE(Readable(fd));

  // Taken by another thread (as a job's runner thread may): the descriptor still says so.
  std::thread([] { std::raise(SIGINT); }).join();
  CHECK(zfan::StopSignalsReceived() == before + 2);
  CHECK(Readable(fd));
  zfan::DrainStopSignalFd();
}

TEST_CASE("installing the handlers twice keeps one descriptor", "[signals]") {
  zfan::InstallStopSignalHandlers();
  const int fd = zfan::StopSignalFd();
  zfan::InstallStopSignalHandlers();
  CHECK(zfan::StopSignalFd() == fd);
}
