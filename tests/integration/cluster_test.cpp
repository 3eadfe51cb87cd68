// Workers as separate processes: expected workers, joining and leaving mid-job.
#include <catch2/catch.hpp>
#include <csignal>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

ZfanProcess StartWorker(int port, const std::string& id) {
  return ZfanProcess({"worker", Endpoint(port), "--slots", "1", "--id", id, "--heartbeat-ms", "200"});
}

uint64_t TasksOf(const nlohmann::json& summary, const std::string& id) {
  for (const auto& w : summary["workers"]) {
    if (w["id"] == id) return w["tasks"].get<uint64_t>();
  }
  return 0;
}

}  // namespace

TEST_CASE("two separately started workers both get tasks and the sum is exact", "[cluster]") {
  int port = FreePortTriple();
  auto a = StartWorker(port, "wa");  // workers first: they wait for the master
  auto b = StartWorker(port, "wb");
  ZfanProcess master({"master", "sum", "--n", "2000000", "--chunk", "1000", "--delay-ms", "1",
                      "--port",
                      std::to_string(port), "--expect-workers", "2", "--wait-timeout", "30",
                      "--json", "-q", "--shutdown-workers"});
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["sum"] == "1999999000000");
  CHECK(TasksOf(j, "wa") > 0);
  CHECK(TasksOf(j, "wb") > 0);
  CHECK(TasksOf(j, "wa") + TasksOf(j, "wb") == 2000);
  // --shutdown-workers: both exit by themselves.
  CHECK(a.Wait(std::chrono::milliseconds(15000)) == 0);
  CHECK(b.Wait(std::chrono::milliseconds(15000)) == 0);
}

TEST_CASE("a worker that joins mid-job gets tasks", "[cluster]") {
  int port = FreePortTriple();
  TempDir dir;
  ZfanProcess master({"master", "sleep", "--tasks", "60", "--ms", "50", "--port",
                      std::to_string(port), "--local-workers", "1", "--joblog", dir / "log.tsv",
                      "--json", "-q"});
  REQUIRE(WaitUntil([&] { return CountLines(ReadFile(dir / "log.tsv"), "\tOK\t") >= 5; },
                    std::chrono::milliseconds(20000)));
  auto late = StartWorker(port, "late");
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["completed"] == 60);
  CHECK(TasksOf(j, "late") > 0);
  late.Signal(SIGTERM);
  CHECK(late.Wait(std::chrono::milliseconds(15000)) == 0);
}

TEST_CASE("a worker that leaves cleanly mid-job loses nothing", "[cluster]") {
  int port = FreePortTriple();
  TempDir dir;
  auto a = StartWorker(port, "leaver");
  auto b = StartWorker(port, "stayer");
  ZfanProcess master({"master", "sleep", "--tasks", "40", "--ms", "50", "--port",
                      std::to_string(port), "--expect-workers", "2", "--joblog",
                      dir / "log.tsv", "--json", "-q"});
  REQUIRE(WaitUntil([&] { return CountLines(ReadFile(dir / "log.tsv"), "\tOK\t") >= 12; },
                    std::chrono::milliseconds(20000)));
  a.Signal(SIGTERM);
  CHECK(a.Wait(std::chrono::milliseconds(15000)) == 0);
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["completed"] == 40);
  CHECK(j["tasks"]["done"] == 40);
  CHECK(j["tasks"]["failed"] == 0);
  CHECK(TasksOf(j, "leaver") + TasksOf(j, "stayer") == 40);
  b.Signal(SIGTERM);
  CHECK(b.Wait(std::chrono::milliseconds(15000)) == 0);
}

TEST_CASE("workers stay connected after a job and serve the next master's job", "[cluster]") {
  int port = FreePortTriple();
  auto w = StartWorker(port, "steady");
  for (int round = 0; round < 2; ++round) {
    RunResult r = RunZfan({"master", "sum", "--n", "100000", "--chunk", "1000", "--port",
                           std::to_string(port), "--expect-workers", "1", "--json", "-q"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.json()["result"]["sum"] == "4999950000");
    CHECK(TasksOf(r.json(), "steady") == 100);
  }
  CHECK(!w.Poll().has_value());  // still running
  w.Signal(SIGTERM);
  CHECK(w.Wait(std::chrono::milliseconds(15000)) == 0);
}
