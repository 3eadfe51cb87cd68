// --use-workers: of the connected workers only N take part, the rest stand by (they leave the
// tasks socket) and come back for the next job — a scaling study over lab machines untouched.
#include <catch2/catch.hpp>
#include <csignal>
#include <deque>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

struct Counts {
  size_t with_tasks = 0;
  size_t on_standby = 0;
  uint64_t tasks = 0;
};

Counts CountWorkers(const nlohmann::json& summary) {
  Counts c;
  for (const auto& w : summary["workers"]) {
    uint64_t tasks = w["tasks"].get<uint64_t>();
    c.tasks += tasks;
    if (tasks > 0) ++c.with_tasks;
    if (w["standby"].get<bool>()) {
      ++c.on_standby;
      CHECK(tasks == 0);  // PUSH never handed a standby worker a batch
    }
  }
  return c;
}

}  // namespace

TEST_CASE("only N of the connected workers get tasks at each step of a study", "[standby]") {
  int port = FreePortTriple();
  std::deque<ZfanProcess> workers;
  for (int i = 1; i <= 4; ++i) {
    workers.emplace_back(std::vector<std::string>{"worker", Endpoint(port), "--slots", "1", "--id",
                                                  "lab" + std::to_string(i), "--heartbeat-ms",
                                                  "200"});
  }
  for (int use : {1, 2, 4}) {
    auto r = RunZfan({"master", "sleep", "--tasks", "24", "--ms", "20", "--port",
                      std::to_string(port), "--expect-workers", "4", "--use-workers",
                      std::to_string(use), "--wait-timeout", "30", "--json", "-q"});
    REQUIRE(r.exit_code == 0);
    auto j = r.json();
    CHECK(j["result"]["completed"] == 24);
    Counts c = CountWorkers(j);
    CHECK(c.tasks == 24);
    CHECK(c.with_tasks == static_cast<size_t>(use));
    CHECK(c.on_standby == static_cast<size_t>(4 - use));
    CHECK(j["timing"]["consistent"] == true);
  }
  for (auto& w : workers) {
    w.Signal(SIGTERM);
    CHECK(w.Wait(std::chrono::milliseconds(15000)) == 0);
  }
}

TEST_CASE("--use-workers beyond the workers waited for is a usage error", "[standby]") {
  auto r = RunZfan({"master", "sleep", "--tasks", "4", "--use-workers", "3", "--expect-workers",
                    "2", "--port", std::to_string(FreePortTriple())});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--use-workers") != std::string::npos);
}
