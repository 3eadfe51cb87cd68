// The exec job end to end: real masters and workers on loopback running real commands, checked
// byte for byte (against GNU parallel where it has an equivalent).
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/fixtures/imgur_server.h"
#include "tests/fixtures/process_state.h"
#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

const char* kPython = "/usr/bin/python3";

std::string SourceDir() {
  const char* dir = std::getenv("ZFAN_SOURCE_DIR");
  REQUIRE(dir != nullptr);
  return dir;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// `zfan master exec ARGS... -- COMMAND...` with a free port.
RunResult Exec(std::vector<std::string> args, const std::vector<std::string>& command) {
  args.insert(args.begin(), {"master", "exec", "--port", std::to_string(FreePortTriple())});
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return RunZfan(args);
}

// Runs a program to completion with its stdout in a file; returns {exit status, stdout}.
std::pair<int, std::string> RunProgram(const std::vector<std::string>& argv, const TempDir& dir) {
  auto child = zfan::ChildProcess::Spawn(argv, {dir / "program.out", dir / "program.err"});
  REQUIRE(child.ok());
  auto status = child->WaitFor(std::chrono::milliseconds(120000));
  REQUIRE(status.has_value());
  return {*status, ReadFile(dir / "program.out")};
}

// The 20 ranges [10, 125000), [125000, 250000), ... [2375000, 2500000) as FROM:TO lines.
std::string PrimeRanges() {
  std::string lines;
  for (int i = 0; i < 20; ++i) {
    lines +=
        std::to_string(i == 0 ? 10 : i * 125000) + ":" + std::to_string((i + 1) * 125000) + "\n";
  }
  return lines;
}

std::map<uint64_t, std::vector<std::string>> JoblogBySeq(const std::string& text) {
  std::map<uint64_t, std::vector<std::string>> rows;
  for (const auto& line : Lines(text)) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, '\t');) fields.push_back(f);
    if (fields.size() < 9 || fields[0] == "Seq") continue;
    rows[std::stoull(fields[0])] = fields;
  }
  return rows;
}

}  // namespace

TEST_CASE("the seeds' prime counter over 20 ranges counts 183068, output identical to parallel -k",
          "[exec]") {
  TempDir dir;
  WriteFile(dir / "ranges", PrimeRanges());
  const std::string script = SourceDir() + "/bench/seeds/primes_count.py";
  RunResult r = Exec({"--inputs", dir / "ranges", "--keep-order", "--local-workers", "2",
                      "--joblog", dir / "joblog"},
                     {kPython, script, "{}"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  uint64_t total = 0;
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 20);
  for (const auto& line : lines) total += std::stoull(line.substr(line.rfind(' ') + 1));
  CHECK(total == 183068);
  // GNU parallel (scripts/install-deps.sh installs it) on the same inputs and command.
  auto [status, expected] = RunProgram(
      {"/usr/bin/env", "parallel", "-k", "-j2", "-a", dir / "ranges", kPython, script, "{}"}, dir);
  REQUIRE(status == 0);
  CHECK(r.out == expected);
  // The joblog is GNU parallel's: its header, one line per Seq, exit 0, the command as run.
  std::string log = ReadFile(dir / "joblog");
  CHECK(log.rfind("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n",
                  0) == 0);
  auto rows = JoblogBySeq(log);
  REQUIRE(rows.size() == 20);
  CHECK(rows[1][8] == std::string(kPython) + " " + script + " '10:125000'");
  CHECK(rows[20][6] == "0");
  CHECK(rows[20][5] == std::to_string(lines[19].size() + 1));  // Receive: its stdout's bytes
}

TEST_CASE("hostile inputs reach the program as exactly one argument each, and nothing else runs",
          "[exec]") {
  TempDir dir;
  std::filesystem::create_directory(dir / "work");
  const std::vector<std::string> hostile = {
      "a b", "it's", "\"quoted\"", "$(touch PWNED)",     "`touch PWNED2`", "a; touch PWNED3",
      "*",   "-n",   "--help",     "\xff\xfe not utf-8", "$HOME",          "a|b&c>PWNED4",
      "'",   "\\",   "",
  };
  std::string file;
  std::string expected;
  for (const auto& h : hostile) {
    file += h + "\n";
    expected += h + std::string(1, '\0');
  }
  WriteFile(dir / "inputs", file);
  // printf prints each argument it gets, NUL-terminated: a split input would print two.
  RunResult r =
      Exec({"--inputs", dir / "inputs", "-k", "--local-workers", "2", "--workdir", dir / "work"},
           {"printf", "'%s\\0'"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == expected);
  // A newline inside an --arg value, and a leading '-', stay in their one argument too.
  RunResult args = Exec({"--arg", "line 1\nline 2", "--arg=-e", "--local-workers", "1", "--workdir",
                         dir / "work", "-k"},
                        {"printf", "'%s\\0'", "{}"});
  REQUIRE(args.exit_code == 0);
  CHECK(args.out == std::string("line 1\nline 2\0-e\0", 17));
  CHECK(std::filesystem::is_empty(dir / "work"));  // no PWNED file, nothing else ran
}

TEST_CASE("a failing, a crashing, a hanging and a 10 MB command each get their typed result",
          "[exec]") {
  TempDir dir;
  const std::string pidfile = dir / "pid";
  // {} is the quoted input: the case word is the input, nothing of it is shell code.
  const std::string command =
      "case {} in fail) echo failing >&2; exit 3;; crash) kill -SEGV $$;; "
      "hang) (trap '' TERM; exec sleep 600) & echo $! > " +
      pidfile +
      "; wait;; "
      "big) head -c 10000000 /dev/zero;; esac";
  RunResult r = Exec({"--arg", "fail", "crash", "hang", "big", "--timeout", "2", "--local-workers",
                      "2", "--json", "--joblog", dir / "joblog"},
                     {command});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["failures_by_reason"]["EXIT_3"] == 1);
  CHECK(j["failures_by_reason"]["SIGNAL_SEGV"] == 1);
  CHECK(j["failures_by_reason"]["TIMEOUT"] == 1);
  CHECK(j["result"]["succeeded"] == 1);
  CHECK(j["result"]["failed"] == 3);
  CHECK(j["result"]["stdout_bytes"] == 10000000);
  CHECK(j["result"]["truncated_outputs"] == 0);
  CHECK(j["result"]["verified"] == false);
  CHECK(r.err.find("failing\n") != std::string::npos);  // a failed task's stderr is shown
  auto rows = JoblogBySeq(ReadFile(dir / "joblog"));
  REQUIRE(rows.size() == 4);
  CHECK((rows[1][6] == "3" && rows[1][7] == "0"));    // Exitval, Signal
  CHECK((rows[2][6] == "0" && rows[2][7] == "11"));   // as parallel: signal, exit 0
  CHECK((rows[3][6] == "-1" && rows[3][7] == "15"));  // as parallel: -1 and TERM
  CHECK((rows[4][6] == "0" && rows[4][5] == "10000000"));
  // The hanging command's child ignored SIGTERM: the group's SIGKILL got it too.
  pid_t child = 0;
  std::ifstream(pidfile) >> child;
  REQUIRE(child > 0);
  CHECK(WaitUntil([&] { return ProcessGone(child); }, std::chrono::milliseconds(10000)));
}

TEST_CASE("output beyond --max-output is cut, and the cut is reported", "[exec]") {
  RunResult r = Exec({"--arg", "x", "--max-output", "1000000", "--local-workers", "1"},
                     {"head -c 10000000 /dev/zero; true"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string(1000000, '\0'));
  CHECK(r.err.find("output truncated (--max-output 1000000): stdout 1000000 of 10000000 bytes") !=
        std::string::npos);
}

TEST_CASE("--resume skips what the joblog has; --resume-failed runs only what failed", "[exec]") {
  TempDir dir;
  const std::vector<std::string> common = {
      "--arg", "1", "2", "3", "4", "--local-workers", "1", "-k", "--joblog", dir / "joblog"};
  const std::vector<std::string> command = {"echo ran {}; [ {} -ne 3 ]"};
  RunResult first = Exec(common, command);
  CHECK(first.exit_code == 1);
  CHECK(first.out == "ran 1\nran 2\nran 3\nran 4\n");
  auto resume = common;
  resume.push_back("--resume");
  RunResult again = Exec(resume, command);
  CHECK(again.exit_code == 0);
  CHECK(again.out == "");
  auto resume_failed = common;
  resume_failed.push_back("--resume-failed");
  RunResult failed_again = Exec(resume_failed, command);
  CHECK(failed_again.exit_code == 1);
  CHECK(failed_again.out == "ran 3\n");
  auto log = Lines(ReadFile(dir / "joblog"));
  CHECK(log.size() == 1 + 4 + 1);  // one header, the first run's 4, the re-run of Seq 3
  CHECK(log.back().rfind("3\t", 0) == 0);
}

TEST_CASE("a worker killed mid-job: every input still has exactly one result", "[exec]") {
  TempDir dir;
  int port = FreePortTriple();
  std::string inputs;
  for (int i = 1; i <= 40; ++i) inputs += std::to_string(i) + "\n";
  WriteFile(dir / "inputs", inputs);
  ZfanProcess master({"master", "exec", "--port", std::to_string(port), "--expect-workers", "2",
                      "--inputs", dir / "inputs", "--joblog", dir / "joblog", "--", "sleep 0.1;",
                      "echo"});
  std::vector<std::string> worker_args = {"worker",       Endpoint(port),   "--slots", "1",
                                          "--allow-exec", "--heartbeat-ms", "200",     "-q"};
  ZfanProcess first(worker_args);
  ZfanProcess second(worker_args);
  REQUIRE(WaitUntil([&] { return JoblogBySeq(ReadFile(dir / "joblog")).size() >= 6; },
                    std::chrono::milliseconds(60000)));
  first.Signal(SIGKILL);
  REQUIRE(master.Wait() == 0);
  second.Signal(SIGTERM);
  second.Wait();
  std::map<std::string, int> seen;
  for (const auto& line : Lines(master.out())) ++seen[line];
  REQUIRE(seen.size() == 40);
  for (const auto& [line, count] : seen) CHECK(count == 1);
  CHECK(JoblogBySeq(ReadFile(dir / "joblog")).size() == 40);
}

TEST_CASE("a worker without --allow-exec runs nothing: every task fails NOT_ALLOWED", "[exec]") {
  TempDir dir;
  int port = FreePortTriple();
  ZfanProcess worker({"worker", Endpoint(port), "--slots", "2", "-q"});
  RunResult r = RunZfan({"master", "exec", "--port", std::to_string(port), "--expect-workers", "1",
                         "--arg", "a", "b", "c", "--json", "--", "touch", dir / "{}"});
  worker.Signal(SIGTERM);
  worker.Wait();
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["failures_by_reason"]["NOT_ALLOWED"] == 3);
  CHECK(j["result"]["succeeded"] == 0);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("zfan scale exec runs the command at each worker count, master options before its --",
          "[exec]") {
  TempDir dir;
  // A word starting with '-' after the `--` belongs to the command, not to scale or the master.
  RunResult r = RunZfan({"scale",
                         "exec",
                         "--workers",
                         "1,2",
                         "--runs",
                         "1",
                         "--warmup",
                         "0",
                         "--export-json",
                         dir / "study.json",
                         "--port",
                         std::to_string(FreePortTriple()),
                         "--arg",
                         "a",
                         "b",
                         "c",
                         "d",
                         "--",
                         "printf",
                         "-- '%s\\n'"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto study = nlohmann::json::parse(ReadFile(dir / "study.json"), nullptr, false);
  REQUIRE(study.is_object());
  CHECK(study.dump().find("\"workers\":2") != std::string::npos);
}

TEST_CASE("a straggling command gets no speculative copy: it runs once", "[exec]") {
  TempDir dir;
  // Input 1 takes 2 s while the other worker idles: any other job would get a copy of it after
  // 1 s (3x the median task time, and 1 s).
  RunResult r = Exec({"--arg", "2", "0", "0", "0", "--local-workers", "2", "--json"},
                     {"echo run >> " + dir.path() + "/{#}; sleep {}"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.json()["tasks"]["speculated"] == 0);
  CHECK(ReadFile(dir / "1") == "run\n");
}

TEST_CASE("the seeds' other exercises are one exec line each: 20 HN items, 13 quote pages",
          "[exec]") {
  ImgurTestServer server;  // also serves /hn/items/ID and /quotes/N (fixtures/seed_routes.cpp)
  REQUIRE(server.start().ok());
  TempDir dir;
  setenv("HN", server.url("/hn").c_str(), 1);  // --env passes them on to the workers
  setenv("QUOTES", server.url("/quotes").c_str(), 1);
  std::string ids;
  for (int i = 1; i <= 20; ++i) ids += std::to_string(i) + "\n";
  WriteFile(dir / "ids", ids);
  RunResult items = Exec({"--inputs", dir / "ids", "-k", "--env", "HN", "--local-workers", "2",
                          "--worker-slots", "5"},
                         {"curl -fsS \"$HN\"/items/{}; echo"});
  INFO("stderr: " << items.err);
  REQUIRE(items.exit_code == 0);
  auto lines = Lines(items.out);
  REQUIRE(lines.size() == 20);
  for (int i = 1; i <= 20; ++i) {  // -k: in input order
    auto item = nlohmann::json::parse(lines[i - 1]);
    CHECK(item["id"] == i);
  }
  std::string pages;
  for (int i = 1; i <= 13; ++i) pages += std::to_string(i) + "\n";
  WriteFile(dir / "pages", pages);
  RunResult quotes = Exec({"--inputs", dir / "pages", "--env", "QUOTES", "--workdir", dir.path(),
                           "--local-workers", "2"},
                          {"curl -fsS -o quotes-{}.html \"$QUOTES\"/{}"});
  unsetenv("HN");
  unsetenv("QUOTES");
  INFO("stderr: " << quotes.err);
  REQUIRE(quotes.exit_code == 0);
  for (int i = 1; i <= 13; ++i) {
    std::string page = ReadFile(dir / ("quotes-" + std::to_string(i) + ".html"));
    CHECK(page.find("page " + std::to_string(i) + "<") != std::string::npos);
    CHECK(CountLines(page, "class=\"quote\"") == 10);
  }
}
