// PreforkedWorkers: children forked up front that run the entry with the arguments they are given.
#include "master/preforked_workers.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using std::chrono::milliseconds;
using zfan::master::PreforkedWorkers;

constexpr milliseconds kPatience{10000};

// Exit code = 10 × number of arguments + 1 if they are exactly {"worker", "tcp://x:1"}.
int CheckArgs(const std::vector<std::string>& args) {
  bool expected = args == std::vector<std::string>{"worker", "tcp://x:1"};
  return 10 * static_cast<int>(args.size()) + (expected ? 1 : 0);
}

// This process's children, from /proc (every thread's list).
size_t ChildCount() {
  std::ifstream in("/proc/self/task/" + std::to_string(getpid()) + "/children");
  std::string pid;
  size_t n = 0;
  while (in >> pid) ++n;
  return n;
}

}  // namespace

TEST_CASE("a preforked worker runs the entry with the arguments it is handed") {
  PreforkedWorkers preforked(2, CheckArgs);
  auto first = preforked.Launch({"worker", "tcp://x:1"});
  REQUIRE(first.has_value());
  CHECK(first->WaitFor(kPatience) == 21);
  auto second = preforked.Launch({"a", "b", "c"});
  REQUIRE(second.has_value());
  CHECK(second->WaitFor(kPatience) == 30);
  CHECK_FALSE(preforked.Launch({"worker"}).has_value());  // only two were forked
}

TEST_CASE("arguments with spaces and empty ones arrive intact") {
  PreforkedWorkers preforked(1, [](const std::vector<std::string>& args) {
    return args == std::vector<std::string>{"a b", "", "c"} ? 0 : 1;
  });
  auto child = preforked.Launch({"a b", "", "c"});
  REQUIRE(child.has_value());
  CHECK(child->WaitFor(kPatience) == 0);
}

TEST_CASE("preforked workers never launched are gone with the object") {
  const size_t before = ChildCount();
  {
    PreforkedWorkers preforked(3, CheckArgs);
    CHECK(ChildCount() == before + 3);
  }
  CHECK(ChildCount() == before);  // reaped, not left as zombies or orphans
}

TEST_CASE("without an entry nothing is forked and workers are left to exec") {
  const size_t before = ChildCount();
  PreforkedWorkers preforked(2, nullptr);
  CHECK(ChildCount() == before);
  CHECK_FALSE(preforked.Launch({"worker"}).has_value());
}
