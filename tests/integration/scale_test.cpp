// `zfan scale` end to end: real masters and local workers on loopback. Structure and consistency
// of the reports only, never speed (the machine is shared and noisy).
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

constexpr int kUsage = 2;

void CheckNumber(const nlohmann::json& j, const char* key) {
  INFO(key << " in " << j.dump());
  REQUIRE(j.contains(key));
  CHECK(j[key].is_number());
}

// Every field of one result, and the identities between them.
void CheckResult(const nlohmann::json& r, size_t runs) {
  for (const char* key :
       {"workers", "median_s", "min_s", "max_s", "tasks_per_s", "speedup", "efficiency"}) {
    CheckNumber(r, key);
  }
  REQUIRE(r["runs_s"].is_array());
  CHECK(r["runs_s"].size() == runs);
  REQUIRE(r.contains("karp_flatt"));
  CHECK((r["karp_flatt"].is_number() || r["karp_flatt"].is_null()));
  CHECK(r["karp_flatt"].is_null() == (r["workers"] == 1));
  CHECK(r["noisy"].is_boolean());
  double median = r["median_s"], lo = r["min_s"], hi = r["max_s"];
  CHECK(lo <= median);
  CHECK(median <= hi);
  for (double run : r["runs_s"]) CHECK((lo <= run && run <= hi));
  double speedup = r["speedup"], workers = r["workers"];
  CHECK(std::abs(double(r["efficiency"]) - speedup / workers) < 1e-9);
  CHECK(r["noisy"] == ((hi - lo) / median > 0.10));
  if (r["karp_flatt"].is_number()) {
    double expected = (1 / speedup - 1 / workers) / (1 - 1 / workers);
    CHECK(std::abs(double(r["karp_flatt"]) - expected) < 1e-9);
  }
}

void ExpectUsage(const std::vector<std::string>& args, const std::string& words) {
  RunResult r = RunZfan(args, std::chrono::milliseconds(30000));
  INFO("args: " << nlohmann::json(args).dump() << "\nstderr: " << r.err);
  CHECK(r.exit_code == kUsage);
  CHECK(r.err.find("zfan: ") != std::string::npos);
  CHECK(r.err.find(words) != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("scale runs sleep at 1, 2 and 4 workers and exports every field", "[scale]") {
  TempDir dir;
  const std::string json = dir / "scale.json", csv = dir / "scale.csv", md = dir / "scale.md",
                    svg = dir / "scale.svg";
  RunResult r = RunZfan({"scale",
                         "sleep",
                         "--tasks",
                         "64",
                         "--ms",
                         "50",
                         "--port",
                         std::to_string(FreePortTriple()),
                         "--workers",
                         "1,2,4",
                         "--runs",
                         "2",
                         "--export-json",
                         json,
                         "--export-csv",
                         csv,
                         "--export-markdown",
                         md,
                         "--plot",
                         svg});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("speedup") != std::string::npos);
  CHECK(r.out.find("predicted speedup at 8 workers") != std::string::npos);

  auto j = nlohmann::json::parse(ReadFile(json));
  CHECK(j["job"] == "sleep");
  CHECK(j["weak"] == false);
  CheckNumber(j["machine"], "cores");
  CHECK(j["machine"]["loadavg"].size() == 3);
  CHECK(j["machine"]["host"].is_string());
  REQUIRE(j["results"].size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(j["results"][i]["workers"] == (1u << i));
    CheckResult(j["results"][i], 2);
  }
  CHECK(j["results"][0]["speedup"] == 1.0);
  CHECK(j["fit"]["amdahl_serial_fraction"].is_number());
  CHECK(j["fit"]["usl"].is_null());  // 3 counts: USL needs more than 3
  CHECK(j["fit"]["predicted"]["workers"] == 8);
  CHECK(j["fit"]["predicted"]["speedup"].is_number());

  std::string csv_text = ReadFile(csv);
  CHECK(csv_text.rfind("workers,runs,median_s,", 0) == 0);
  CHECK(CountLines(csv_text, ",") == 4);  // header + one row per count
  std::string md_text = ReadFile(md);
  CHECK(md_text.rfind("| Command | Workers | Median [s] | Min [s] | Max [s] | Relative |", 0) == 0);
  CHECK(CountLines(md_text, "`zfan master sleep --tasks 64 --ms 50") == 3);
  CHECK(std::filesystem::exists(dir / "scale.gnuplot"));
  if (r.err.find("gnuplot is not on PATH") == std::string::npos) {
    CHECK(ReadFile(svg).find("<svg") != std::string::npos);
  }
}

TEST_CASE("scale --weak grows the sleep job with the workers", "[scale]") {
  TempDir dir;
  RunResult r = RunZfan({"scale", "sleep", "--tasks", "8", "--ms", "20", "--port",
                         std::to_string(FreePortTriple()), "--workers", "1,2", "--runs", "1",
                         "--weak", "--export-json", dir / "weak.json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(ReadFile(dir / "weak.json"));
  CHECK(j["weak"] == true);
  REQUIRE(j["results"].size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CheckResult(j["results"][i], 1);
    const double tasks =
        double(j["results"][i]["tasks_per_s"]) * double(j["results"][i]["median_s"]);
    CHECK(std::abs(tasks - 8.0 * (i + 1)) < 1e-6);  // 8 tasks at 1 worker, 16 at 2
  }
  CHECK(j["fit"]["amdahl_serial_fraction"].is_null());
  CHECK(j["fit"]["gustafson_serial_fraction"].is_number());
}

TEST_CASE("scale runs the same primes tasks at every count, planned for the largest", "[scale]") {
  TempDir dir;
  RunResult r = RunZfan({"scale", "primes", "--to", "1e9", "--port",
                         std::to_string(FreePortTriple()), "--workers", "1,2", "--runs", "1",
                         "--export-json", dir / "primes.json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(ReadFile(dir / "primes.json"));
  REQUIRE(j["results"].size() == 2);
  for (const auto& result : j["results"]) {
    CheckResult(result, 1);
    // One worker alone would sieve 1e9 in one task; planned for two it is 8 guided ones.
    const double tasks = double(result["tasks_per_s"]) * double(result["median_s"]);
    CHECK(std::abs(tasks - 8.0) < 1e-6);
  }
}

TEST_CASE("scale refuses an unknown job, a bad --workers list and --weak for echo", "[scale]") {
  ExpectUsage({"scale", "frobnicate", "--workers", "1,2"}, "frobnicate");
  ExpectUsage({"scale", "sleep", "--workers", "0"}, "--workers");
  ExpectUsage({"scale", "sleep", "--workers", "a,b"}, "--workers");
  ExpectUsage({"scale", "sleep", "--workers", ""}, "--workers");
  ExpectUsage({"scale", "sleep"}, "--workers");
  ExpectUsage({"scale", "echo", "--workers", "1,2", "--weak"}, "--weak");
  ExpectUsage({"scale", "sleep", "--workers", "1", "--local-workers", "3"}, "--local-workers");
  ExpectUsage({"scale", "sum", "--n", "ten", "--workers", "1"}, "--n");
}

TEST_CASE("a failing master run fails the study and names the command", "[scale]") {
  RunResult r = RunZfan({"scale", "sleep", "--tasks", "4", "--ms", "1", "--poison-task", "0",
                         "--max-attempts", "1", "--port", std::to_string(FreePortTriple()),
                         "--workers", "1", "--runs", "1"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("zfan: `zfan master sleep --tasks 4") != std::string::npos);
  CHECK(r.err.find("exited with code 1") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("without gnuplot, --plot says so and the other exports are still written", "[scale]") {
  TempDir dir;
  std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);  // the zfan binary is found by its full path
  RunResult r = RunZfan({"scale", "sleep", "--tasks", "2", "--ms", "1", "--port",
                         std::to_string(FreePortTriple()), "--workers", "1", "--runs", "1",
                         "--export-json", dir / "s.json", "--plot", dir / "s.svg"});
  setenv("PATH", saved_path.c_str(), 1);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("zfan: gnuplot is not on PATH") != std::string::npos);
  CHECK(nlohmann::json::parse(ReadFile(dir / "s.json"))["results"].size() == 1);
  CHECK(std::filesystem::exists(dir / "s.gnuplot"));
  CHECK_FALSE(std::filesystem::exists(dir / "s.svg"));
}

TEST_CASE("scale --external runs the study on connected workers, the rest on standby", "[scale]") {
  const int port = FreePortTriple();
  std::vector<std::unique_ptr<ZfanProcess>> workers;
  for (int i = 1; i <= 4; ++i) {
    workers.push_back(std::make_unique<ZfanProcess>(
        std::vector<std::string>{"worker", Endpoint(port), "--slots", "1", "--id",
                                 "ext-" + std::to_string(i), "--master-timeout", "60"}));
  }
  TempDir dir;
  RunResult r = RunZfan({"scale", "sleep", "--tasks", "8", "--ms", "20", "--port",
                         std::to_string(port), "--workers", "1,2,4", "--runs", "1", "--external",
                         "--export-json", dir / "ext.json", "--export-markdown", dir / "ext.md"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  auto j = nlohmann::json::parse(ReadFile(dir / "ext.json"));
  CHECK(j["external"] == true);
  REQUIRE(j["results"].size() == 3);
  for (const auto& result : j["results"]) {
    CheckResult(result, 1);
    // Only the N workers in use report, each with its own pace (unequal lab machines).
    REQUIRE(result["per_worker"].size() == result["workers"].get<size_t>());
    for (const auto& w : result["per_worker"]) {
      CHECK(w["tasks"].get<uint64_t>() > 0);
      CHECK(w["tasks_per_s"].get<double>() > 0);
    }
  }
  CHECK(r.out.find("per worker (last run at each count):") != std::string::npos);
  std::string md = ReadFile(dir / "ext.md");
  CHECK(CountLines(md, "--expect-workers 4 --use-workers 2`") == 1);
  CHECK(md.find("--local-workers") == std::string::npos);
  for (auto& w : workers) {
    w->Signal(SIGTERM);
    w->Wait(std::chrono::milliseconds(20000));
  }
}
