// Fault tests: workers killed, frozen or replaced, the master killed and resumed, a poison task.
// Every one asserts the exact result: nothing lost, nothing counted twice.
#include <catch2/catch.hpp>
#include <csignal>

#include "tests/integration/harness.h"

using namespace zfan::testing;
using std::chrono::milliseconds;

namespace {

// sum of range(10^7) in 1000 chunks, 5 ms each: about 2 s on 3 one-slot workers.
const std::vector<std::string> kSlowSum = {"sum",   "--n",        "10000000", "--chunk",
                                           "10000", "--delay-ms", "5"};
const char* kSlowSumResult = "49999995000000";

ZfanProcess StartWorker(int port, const std::string& id) {
  return ZfanProcess(
      {"worker", Endpoint(port), "--slots", "1", "--id", id, "--heartbeat-ms", "200", "-q"});
}

std::vector<std::string> MasterArgs(int port, const std::string& joblog,
                                    std::vector<std::string> extra) {
  std::vector<std::string> args{"master"};
  args.insert(args.end(), kSlowSum.begin(), kSlowSum.end());
  std::vector<std::string> common{"--port", std::to_string(port), "--joblog", joblog, "--json",
                                  "-q"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

size_t DoneLines(const std::string& joblog) { return CountLines(ReadFile(joblog), "\tOK\t"); }

void WaitForProgress(const std::string& joblog, size_t lines) {
  REQUIRE(WaitUntil([&] { return DoneLines(joblog) >= lines; }, milliseconds(60000)));
}

}  // namespace

TEST_CASE("kill -9 of one of 3 workers at 30% and at 90% loses nothing", "[chaos]") {
  for (size_t at : {300, 900}) {
    DYNAMIC_SECTION("kill at " << at / 10 << "%") {
      int port = FreePortTriple();
      TempDir dir;
      auto w1 = StartWorker(port, "victim");
      auto w2 = StartWorker(port, "w2");
      auto w3 = StartWorker(port, "w3");
      ZfanProcess master(
          MasterArgs(port, dir / "log.tsv", {"--expect-workers", "3", "--shutdown-workers"}));
      WaitForProgress(dir / "log.tsv", at);
      w1.Signal(SIGKILL);
      REQUIRE(master.Wait() == 0);
      auto j = master.json();
      CHECK(j["result"]["sum"] == kSlowSumResult);
      CHECK(j["result"]["verified"] == true);
      CHECK(j["tasks"]["done"] == 1000);
      CHECK(j["dead_workers"] == nlohmann::json::array({"victim"}));
      CHECK(j["tasks"]["requeued"].get<int>() >= 1);
    }
  }
}

TEST_CASE("a worker frozen past the dead timeout is requeued; its late results are duplicates",
          "[chaos]") {
  int port = FreePortTriple();
  TempDir dir;
  auto frozen = StartWorker(port, "frozen");
  auto w2 = StartWorker(port, "w2");
  ZfanProcess master(
      MasterArgs(port, dir / "log.tsv", {"--expect-workers", "2", "--shutdown-workers", "-v"}));
  WaitForProgress(dir / "log.tsv", 150);
  frozen.Signal(SIGSTOP);
  REQUIRE(WaitUntil([&] { return master.err().find("declared dead") != std::string::npos; },
                    milliseconds(20000)));
  // Let the others redo the frozen worker's tasks first, so its late results are duplicates.
  WaitForProgress(dir / "log.tsv", DoneLines(dir / "log.tsv") + 30);
  frozen.Signal(SIGCONT);
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["sum"] == kSlowSumResult);
  CHECK(j["tasks"]["done"] == 1000);
  CHECK(j["tasks"]["duplicates"].get<int>() >= 1);
  CHECK(j["tasks"]["requeued"].get<int>() >= 1);
}

TEST_CASE("all workers killed and new ones started: the job still finishes exactly", "[chaos]") {
  int port = FreePortTriple();
  TempDir dir;
  auto a = StartWorker(port, "first-a");
  auto b = StartWorker(port, "first-b");
  ZfanProcess master(
      MasterArgs(port, dir / "log.tsv", {"--expect-workers", "2", "--shutdown-workers"}));
  WaitForProgress(dir / "log.tsv", 300);
  a.Signal(SIGKILL);
  b.Signal(SIGKILL);
  auto c = StartWorker(port, "second-c");
  auto d = StartWorker(port, "second-d");
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["sum"] == kSlowSumResult);
  CHECK(j["tasks"]["done"] == 1000);
}

TEST_CASE("a master killed with -9 at ~50% and rerun with --resume gives the exact sum",
          "[chaos]") {
  int port = FreePortTriple();
  TempDir dir;
  auto a = StartWorker(port, "a");
  auto b = StartWorker(port, "b");
  std::vector<std::string> journal{"--journal", dir / "journal", "--expect-workers", "2"};
  {
    ZfanProcess first(MasterArgs(port, dir / "log1.tsv", journal));
    WaitForProgress(dir / "log1.tsv", 500);
    first.Signal(SIGKILL);
    first.Wait();
  }
  journal.push_back("--resume");
  journal.push_back("--shutdown-workers");
  ZfanProcess second(MasterArgs(port, dir / "log2.tsv", journal));
  REQUIRE(second.Wait() == 0);
  auto j = second.json();
  CHECK(j["result"]["sum"] == kSlowSumResult);
  uint64_t resumed = j["tasks"]["resumed"];
  CHECK(resumed >= 400);
  // Nothing the journal had was computed again: the second run's workers did only the rest.
  CHECK(DoneLines(dir / "log2.tsv") == 1000 - resumed);
  CHECK(j["tasks"]["done"] == 1000);
}

TEST_CASE("a master killed with -9 mid-count resumes to the exact prime count", "[chaos]") {
  int port = FreePortTriple();
  TempDir dir;
  auto a = StartWorker(port, "a");
  std::vector<std::string> args{"master",
                                "primes",
                                "--to",
                                "1e9",
                                "--chunk",
                                "1e6",
                                "--method",
                                "sieve",
                                "--port",
                                std::to_string(port),
                                "--journal",
                                dir / "journal",
                                "--joblog",
                                dir / "log1.tsv",
                                "--expect-workers",
                                "1",
                                "--json",
                                "-q"};
  {
    ZfanProcess first(args);
    WaitForProgress(dir / "log1.tsv", 300);
    first.Signal(SIGKILL);
    first.Wait();
  }
  args[13] = dir / "log2.tsv";
  args.push_back("--resume");
  args.push_back("--shutdown-workers");
  ZfanProcess second(args);
  REQUIRE(second.Wait() == 0);
  auto j = second.json();
  CHECK(j["result"]["count"] == 50847534);
  CHECK(j["result"]["verified"] == true);
  CHECK(j["tasks"]["resumed"].get<int>() >= 300);
}

TEST_CASE("a poison task that kills its worker fails after max-attempts; the rest completes",
          "[chaos]") {
  int port = FreePortTriple();
  RunResult r = RunZfan({"master", "echo", "--tasks", "200", "--poison-task", "17", "--port",
                         std::to_string(port), "--local-workers", "2", "--heartbeat-ms", "200",
                         "--max-attempts", "3", "--json", "-q"});
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["result"]["completed"] == 199);
  CHECK(j["tasks"]["failed"] == 1);
  REQUIRE(j["failures"].size() == 1);
  CHECK(j["failures"][0]["task"] == "17");
  CHECK(j["failures"][0]["reason"] == "WORKER_DIED");
}

TEST_CASE("a straggling worker's tasks get speculative copies and the first result wins",
          "[chaos]") {
  int port = FreePortTriple();
  TempDir dir;
  // A long heartbeat: frozen, it must look slow (speculation), not dead (requeue).
  auto slow = ZfanProcess(
      {"worker", Endpoint(port), "--slots", "1", "--id", "slow", "--heartbeat-ms", "5000", "-q"});
  auto fast = ZfanProcess({"worker", Endpoint(port), "--slots", "1", "--id", "fast", "-q"});
  ZfanProcess master({"master", "sleep", "--tasks", "30", "--ms", "100", "--port",
                      std::to_string(port), "--expect-workers", "2", "--joblog", dir / "log.tsv",
                      "--json"});
  WaitForProgress(dir / "log.tsv", 10);
  slow.Signal(SIGSTOP);  // it keeps its tasks; the copies go out once the queue is empty
  REQUIRE(master.Wait() == 0);
  slow.Signal(SIGCONT);
  auto j = master.json();
  CHECK(j["result"]["completed"] == 30);
  CHECK(j["dead_workers"].empty());
  CHECK(j["tasks"]["speculated"].get<int>() >= 1);
  CHECK(j["tasks"]["speculation_won"].get<int>() >= 1);
  for (auto* w : {&slow, &fast}) {
    w->Signal(SIGTERM);
    w->Wait(milliseconds(15000));
  }
}
