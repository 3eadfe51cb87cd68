// ChildProcess: exec'd and forked children, their exit statuses, and what a forked child inherits.
#include "common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace {

using std::chrono::milliseconds;
using zfan::ChildProcess;

constexpr milliseconds kPatience{10000};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("an exec'd child's exit status is reported") {
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "exit 3"});
  REQUIRE(child.ok());
  CHECK(child->WaitFor(kPatience) == 3);
  CHECK(child->Poll() == 3);
}

TEST_CASE("a forked child runs the function and exits with what it returns") {
  auto child = ChildProcess::Fork([] { return 7; });
  REQUIRE(child.ok());
  CHECK(child->pid() != getpid());
  CHECK(child->WaitFor(kPatience) == 7);
}

TEST_CASE("a forked child that throws exits with 70") {
  auto child = ChildProcess::Fork([]() -> int { throw std::runtime_error("boom"); });
  REQUIRE(child.ok());
  CHECK(child->WaitFor(kPatience) == 70);
}

TEST_CASE("a forked child does not keep the parent's descriptors open") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);  // no O_CLOEXEC: an exec'd child would not keep them either way
  const int write_end = fds[1];
  auto child = ChildProcess::Fork([write_end] {
    std::this_thread::sleep_for(milliseconds(200));  // outlive the parent's close below
    return ::fcntl(write_end, F_GETFD) == -1 && errno == EBADF ? 0 : 1;
  });
  REQUIRE(child.ok());
  ::close(fds[1]);
  char byte;
  CHECK(::read(fds[0], &byte, 1) == 0);  // EOF while the child still runs: no copy in it
  ::close(fds[0]);
  CHECK(child->WaitFor(kPatience) == 0);
}

TEST_CASE("a forked child gets the name it is given") {
  auto child = ChildProcess::Fork(
      [] {
        char name[16] = {};
        ::prctl(PR_GET_NAME, name);
        return std::string(name) == "zfan worker" ? 0 : 1;
      },
      {.name = "zfan worker"});
  REQUIRE(child.ok());
  CHECK(child->WaitFor(kPatience) == 0);
}

TEST_CASE("output buffered before a fork is written once") {
  auto path = std::filesystem::temp_directory_path() /
              ("zfan-child-process-test-" + std::to_string(getpid()));
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(file >= 0);
  std::fflush(stdout);
  const int saved_stdout = ::dup(STDOUT_FILENO);
  ::dup2(file, STDOUT_FILENO);
  std::fputs("once\n", stdout);  // still in stdio's buffer when the child is forked
  auto child = ChildProcess::Fork([] {
    std::fputs("child\n", stdout);
    return 0;
  });
  std::fflush(stdout);
  ::dup2(saved_stdout, STDOUT_FILENO);
  ::close(saved_stdout);
  ::close(file);
  REQUIRE(child.ok());
  CHECK(child->WaitFor(kPatience) == 0);
  CHECK(ReadFile(path) == "once\nchild\n");
  std::filesystem::remove(path);
}

TEST_CASE("Stop() ends a forked child that waits forever") {
  auto child = ChildProcess::Fork([] {
    for (;;) ::pause();
    return 0;
  });
  REQUIRE(child.ok());
  CHECK(child->Stop(kPatience) == 128 + SIGTERM);
}
