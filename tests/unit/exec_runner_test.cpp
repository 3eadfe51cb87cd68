// ExecRunner, the exec job's worker side, on its own: typed results, timeouts that kill a whole
// process group, capped output, retries, and commands that cannot start.
#include "jobs/exec/exec_runner.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "tests/fixtures/process_state.h"

using namespace zfan::jobs;

namespace {

// Collects outcomes from the runner's thread.
class Outcomes {
 public:
  CompletionSink sink() {
    return [this](TaskOutcome o) {
      std::lock_guard lock(mu_);
      got_[o.id] = std::move(o);
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `n` outcomes arrived.
  std::map<TaskId, TaskOutcome> Wait(size_t n) {
    std::unique_lock lock(mu_);
    REQUIRE(cv_.wait_for(lock, std::chrono::seconds(30), [&] { return got_.size() >= n; }));
    return std::move(got_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<TaskId, TaskOutcome> got_;
};

std::map<TaskId, TaskOutcome> RunAll(ExecSettings settings, const std::vector<std::string>& inputs,
                                     uint32_t slots = 2) {
  Outcomes outcomes;
  ExecRunner runner(slots, std::move(settings), outcomes.sink());
  for (size_t i = 0; i < inputs.size(); ++i) runner.submit({.id = i, .payload = inputs[i]});
  return outcomes.Wait(inputs.size());
}

}  // namespace

TEST_CASE("exit codes, signals and output come back typed and exact") {
  auto out = RunAll({.command = "sh -c {}"}, {"printf 'a\\0b'; echo err >&2", "exit 3", "true"});
  CHECK(out[0].ok());
  CHECK(out[0].bulk == std::string("a\0b", 3));
  CHECK(out[0].bulk2 == "err\n");
  CHECK(out[1].error == "EXIT_3");
  CHECK(out[2].ok());
  auto crashed = RunAll({.command = "kill -SEGV $$"}, {"x"});
  CHECK(crashed[0].error == "SIGNAL_SEGV");
  auto run = ExecRun::FromJson(nlohmann::json::parse(crashed[0].result));
  CHECK(run.signal == SIGSEGV);
  CHECK(run.exit_code == 0);  // as GNU parallel's joblog has it
}

TEST_CASE("a timeout kills the command's whole process group, TERM-proof children too") {
  char dir[] = "/tmp/zfan-exec-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string pidfile = std::string(dir) + "/pid";
  // The child ignores SIGTERM: only the SIGKILL to the group ends it.
  auto out =
      RunAll({.command = "(trap '' TERM; exec sleep 600) & echo $! > {}; wait", .timeout_s = 0.5},
             {pidfile});
  CHECK(out[0].error == "TIMEOUT");
  pid_t child = 0;
  std::ifstream(pidfile) >> child;
  REQUIRE(child > 0);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {  // it was SIGKILLed; its reaping is not ours
    gone = zfan::testing::ProcessGone(child);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
  std::remove(pidfile.c_str());
  rmdir(dir);
}

TEST_CASE("output beyond --max-output is counted, not kept") {
  auto out = RunAll({.command = "head -c {} /dev/zero", .max_output = 1000}, {"3000000"});
  CHECK(out[0].ok());
  CHECK(out[0].bulk.size() == 1000);
  auto run = ExecRun::FromJson(nlohmann::json::parse(out[0].result));
  CHECK(run.stdout_bytes == 3000000);
  CHECK(run.stdout_truncated);
}

TEST_CASE("--retries runs a failing command at most N times in all") {
  char dir[] = "/tmp/zfan-exec-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string counter = std::string(dir) + "/count";
  auto out = RunAll({.command = "echo run >> {}; exit 4", .tries = 3}, {counter});
  CHECK(out[0].error == "EXIT_4");
  CHECK(out[0].attempts == 3);
  std::ifstream in(counter);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  CHECK(lines == 3);
  std::remove(counter.c_str());
  rmdir(dir);
}

TEST_CASE("slots, sequence numbers, environment and working directory reach the command") {
  setenv("ZFAN_EXEC_TEST", "value 1", 1);
  auto out = RunAll({.command = "echo {#} {%} $ZFAN_EXEC_TEST $PWD",
                     .env = {{"ZFAN_EXEC_EXTRA", "x"}},
                     .workdir = "/"},
                    {"a"}, 1);
  CHECK(out[0].bulk == "1 1 value 1 /\n");  // a replacement string: the input is not appended
}

TEST_CASE("a missing working directory is SPAWN_FAILED, not a crash") {
  auto out = RunAll({.command = "true", .workdir = "/nonexistent/zfan"}, {"a"});
  CHECK(out[0].error == "SPAWN_FAILED");
  CHECK(out[0].detail.find("chdir") != std::string::npos);
}
