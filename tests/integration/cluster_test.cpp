// Workers as separate processes: expected workers, joining and leaving mid-job.
#include <catch2/catch.hpp>
#include <csignal>
#include <sstream>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

ZfanProcess StartWorker(int port, const std::string& id) {
  return ZfanProcess(
      {"worker", Endpoint(port), "--slots", "1", "--id", id, "--heartbeat-ms", "200"});
}

// Gone or a zombie: an orphan's exit is reaped by init, which may take its time in a container.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("two separately started workers both get tasks and the sum is exact", "[cluster]") {
  int port = FreePortTriple();
  auto a = StartWorker(port, "wa");  // workers first: they wait for the master
  auto b = StartWorker(port, "wb");
  ZfanProcess master({"master", "sum", "--n", "2000000", "--chunk", "1000", "--delay-ms", "1",
                      "--port", std::to_string(port), "--expect-workers", "2", "--wait-timeout",
                      "30", "--json", "-q", "--shutdown-workers"});
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
                      std::to_string(port), "--expect-workers", "2", "--joblog", dir / "log.tsv",
                      "--json", "-q"});
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

TEST_CASE("Ctrl-C on the master drains, prints a partial summary, exits 130, leaves no orphans",
          "[cluster]") {
  TempDir dir;
  ZfanProcess master({"master", "sleep", "--tasks", "200", "--ms", "50", "--port",
                      std::to_string(FreePortTriple()), "--local-workers", "2", "--joblog",
                      dir / "log.tsv", "--drain-timeout", "3", "--json"});
  REQUIRE(WaitUntil([&] { return CountLines(ReadFile(dir / "log.tsv"), "\tOK\t") >= 10; },
                    std::chrono::milliseconds(20000)));
  master.Signal(SIGINT);
  CHECK(master.Wait(std::chrono::milliseconds(20000)) == 130);
  auto j = master.json();
  CHECK(j["interrupted"] == true);
  uint64_t done = j["tasks"]["done"];
  CHECK(done >= 10);
  CHECK(done < 200);
  CHECK(j["result"]["completed"] == done);
  REQUIRE(j["workers"].size() == 2);
  for (const auto& w : j["workers"]) {
    pid_t pid = w["pid"];
    CHECK(ProcessGone(pid));
  }
}

TEST_CASE("local workers die with a master killed by -9 (no orphans)", "[cluster]") {
  ZfanProcess master({"master", "sleep", "--tasks", "1000", "--ms", "50", "--port",
                      std::to_string(FreePortTriple()), "--local-workers", "2"});
  std::vector<pid_t> pids;
  REQUIRE(WaitUntil([&] { return CountLines(master.err(), " joined (") == 2; },
                    std::chrono::milliseconds(20000)));
  std::istringstream log(master.err());
  for (std::string line; std::getline(log, line);) {
    auto at = line.find(" pid ");
    if (line.find(" joined (") != std::string::npos && at != std::string::npos) {
      pids.push_back(std::stoi(line.substr(at + 5)));
    }
  }
  REQUIRE(pids.size() == 2);
  master.Signal(SIGKILL);
  master.Wait();
  for (pid_t pid : pids) {
    INFO("local worker pid " << pid);
    CHECK(WaitUntil([&] { return ProcessGone(pid); }, std::chrono::milliseconds(30000)));
  }
}

// The master must refill a worker's pipe as soon as it has room, not at the next result: with
// 100 slots and 1 s tasks, the worker holds all 100 at once (it held 2 when the master waited).
TEST_CASE("a worker with many slots is kept full of long tasks", "[cluster]") {
  auto r = RunZfan({"master", "sleep", "--tasks", "200", "--ms", "1000", "--local-workers", "1",
                    "--worker-slots", "100", "--port", std::to_string(FreePortTriple()),
                    "--json", "-q"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"]["completed"] == 200);
  REQUIRE(j["workers"].size() == 1);
  CHECK(j["workers"][0]["peak_held"].get<uint64_t>() >= 100);
}
