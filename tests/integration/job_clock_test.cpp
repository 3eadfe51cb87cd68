// The job's clock and the start of dispatch: no task leaves before the expected workers have all
// joined, and elapsed_s runs from the first dispatch to the last result.
#include <catch2/catch.hpp>
#include <csignal>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

constexpr int kWorkers = 4;
constexpr int kTasks = 40;
constexpr int kTaskMs = 50;

std::string WorkerId(int i) {
  std::string id = "w";
  id += std::to_string(i);
  return id;
}

// A worker logs "job ... started" when its first batch of tasks arrives.
bool AnyWorkerGotTasks(const std::deque<ZfanProcess>& workers) {
  for (const auto& w : workers) {
    if (w.err().find("started") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("workers joining one by one get no task before the last one joins", "[clock]") {
  int port = FreePortTriple();
  ZfanProcess master({"master", "sleep", "--tasks", std::to_string(kTasks), "--ms",
                      std::to_string(kTaskMs), "--port", std::to_string(port), "--expect-workers",
                      std::to_string(kWorkers), "--wait-timeout", "60", "--json", "-q",
                      "--shutdown-workers"});
  std::deque<ZfanProcess> workers;
  for (int i = 1; i <= kWorkers; ++i) {
    workers.emplace_back(
        std::vector<std::string>{"worker", Endpoint(port), "--slots", "1", "--id", WorkerId(i)});
    std::ostringstream joined_line;  // (not operator+ on to_string: gcc 12's bogus -Wrestrict)
    joined_line << i << " of " << kWorkers << " joined";
    const std::string joined = joined_line.str();
    if (i < kWorkers) {
      REQUIRE(WaitUntil([&] { return master.err().find(joined) != std::string::npos; },
                        std::chrono::milliseconds(20000)));
      // The joined workers sit idle: the master waits for the rest before the first dispatch.
      CHECK_FALSE(AnyWorkerGotTasks(workers));
    }
  }
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["completed"] == kTasks);
  // The work alone takes kTasks x kTaskMs / kWorkers on kWorkers single-slot workers.
  const double ideal_s = kTasks * kTaskMs / 1000.0 / kWorkers;
  CHECK(j["elapsed_s"].get<double>() >= ideal_s);
  CHECK(j["timing"]["consistent"] == true);
  CHECK(j["timing"]["busy_s"].get<double>() <= j["timing"]["capacity_s"].get<double>() * 1.01);
  uint64_t sum = 0;
  for (const auto& w : j["workers"]) {
    uint64_t tasks = w["tasks"].get<uint64_t>();
    sum += tasks;
    // Evenly spread: every worker was there from the first dispatch (10 each would be even).
    CHECK(tasks >= kTasks / kWorkers / 2);
    CHECK(tasks <= kTasks / kWorkers * 2);
    CHECK(w["utilisation"].get<double>() <= 1.01);
  }
  CHECK(sum == kTasks);
  for (auto& w : workers) CHECK(w.Wait(std::chrono::milliseconds(15000)) == 0);
}

TEST_CASE("local workers: elapsed_s is the job, not the start-up", "[clock]") {
  int port = FreePortTriple();
  auto r = RunZfan({"master", "sleep", "--tasks", "8", "--ms", "100", "--port",
                    std::to_string(port), "--local-workers", "2", "--json", "-q"});
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(j["elapsed_s"].get<double>() >= 8 * 0.1 / 2);
  CHECK(j["timing"]["consistent"] == true);
  for (const auto& w : j["workers"]) CHECK(w["tasks"].get<uint64_t>() > 0);
}

TEST_CASE("--trace writes one complete trace event per task attempt", "[clock][trace]") {
  TempDir dir;
  auto r = RunZfan({"master", "sleep", "--tasks", "30", "--ms", "10", "--local-workers", "2",
                    "--port", std::to_string(FreePortTriple()), "--no-speculate", "--trace",
                    dir / "trace.json", "--json", "-q"});
  REQUIRE(r.exit_code == 0);
  auto trace = nlohmann::json::parse(ReadFile(dir / "trace.json"));  // throws if not JSON
  REQUIRE(trace["traceEvents"].is_array());
  std::map<uint64_t, int> attempts_ok;
  std::set<std::string> tracks;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M") tracks.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] != "X" || e["cat"] != "task") continue;
    CHECK(e["dur"].get<int64_t>() >= 0);
    const auto& a = e["args"];
    CHECK(a["sent_us"] <= a["taken_us"]);
    CHECK(a["taken_us"] <= a["received_us"]);
    CHECK(a["started_us"] <= a["ended_us"]);
    if (a["outcome"] == "OK") ++attempts_ok[a["task"].get<uint64_t>()];
  }
  CHECK(attempts_ok.size() == 30);
  for (const auto& [task, n] : attempts_ok) CHECK(n == 1);
  CHECK(tracks == std::set<std::string>{"local-1", "local-2", "master"});
}
