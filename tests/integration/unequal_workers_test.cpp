// Unequal machines: each worker gets work at the rate it finishes it, so a slow worker (here made
// slow with ZFAN_SLOW_FACTOR) gets clearly fewer tasks than a fast one, and the result is exact.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

std::vector<std::string> WorkerArgs(int port, const std::string& id) {
  return {"worker", Endpoint(port), "--slots", "1", "--id", id};
}

// Sets an environment variable for the processes started while it lives (they inherit it).
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("a worker four times slower gets clearly fewer tasks", "[unequal]") {
  int port = FreePortTriple();
  ZfanProcess fast(WorkerArgs(port, "fast"));
  std::optional<ScopedEnv> slow_env(std::in_place, "ZFAN_SLOW_FACTOR", "4");
  ZfanProcess slow(WorkerArgs(port, "slow"));
  slow_env.reset();
  auto r =
      RunZfan({"master", "sleep", "--tasks", "40", "--ms", "20", "--port", std::to_string(port),
               "--expect-workers", "2", "--no-speculate", "--json", "-q"});
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(j["result"]["completed"] == 40);
  uint64_t f = TasksOf(j, "fast"), s = TasksOf(j, "slow");
  CHECK(f + s == 40);
  // By pace the split is 32 : 8; a round-robin pipe would give 20 : 20.
  CHECK(f >= 2 * s);
  double slow_rate = 0;
  for (const auto& w : j["workers"]) {
    if (w["id"].get<std::string>() == "slow") slow_rate = w["tasks_per_s"].get<double>();
  }
  const double job_rate = j["tasks_per_s"].get<double>();
  CHECK(slow_rate < job_rate);
  for (auto* w : {&fast, &slow}) {
    w->Signal(SIGTERM);
    CHECK(w->Wait(std::chrono::milliseconds(15000)) == 0);
  }
}
