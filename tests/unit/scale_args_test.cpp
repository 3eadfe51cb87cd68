// zfan scale's command-line pieces: --workers lists, the job's arguments (checked, and grown for
// --weak), and the master's --json summary as scale reads it.
#include <catch2/catch.hpp>

#include "scale/job_args.h"
#include "scale/scale.h"
#include "scale/scale_runner.h"

using namespace zfan::scale;

TEST_CASE("--workers takes distinct positive counts and sorts them", "[scale]") {
  CHECK(*ParseWorkerCounts("1,2,4,8") == std::vector<uint32_t>{1, 2, 4, 8});
  CHECK(*ParseWorkerCounts("4,1") == std::vector<uint32_t>{1, 4});
  for (const char* bad : {"", "0", "a,b", "1,,2", "2,2", "1.5", "-1", "1,", " 1", "100001"}) {
    INFO(bad);
    auto counts = ParseWorkerCounts(bad);
    REQUIRE_FALSE(counts.ok());
    CHECK(counts.status().code() == zfan::ErrorCode::kUsage);
  }
}

TEST_CASE("the job's arguments are checked with the job's own options", "[scale]") {
  CHECK(CheckJobArgs("sleep", {"--tasks", "64", "--ms", "50"}).ok());
  CHECK(CheckJobArgs("sum", {"--n", "1e6", "--port", "6000"}).ok());  // master options pass
  auto unknown = CheckJobArgs("frobnicate", {});
  CHECK(unknown.code() == zfan::ErrorCode::kUsage);
  CHECK(unknown.message().find("primes") != std::string::npos);  // lists the jobs
  CHECK(CheckJobArgs("sum", {"--n", "ten"}).code() == zfan::ErrorCode::kUsage);
  CHECK(CheckJobArgs("sleep", {"--local-workers", "2"}).code() == zfan::ErrorCode::kUsage);
  CHECK(CheckJobArgs("sleep", {"--json"}).code() == zfan::ErrorCode::kUsage);
}

TEST_CASE("--weak multiplies the job's size option", "[scale]") {
  auto primes = ScaleJobArgs("primes", {"--from", "100", "--to", "1100", "--chunk", "50"}, 2);
  REQUIRE(primes.ok());
  CHECK(primes->args == std::vector<std::string>{"--from", "100", "--chunk", "50", "--to", "2100"});
  CHECK(primes->work == 2);
  auto sum = ScaleJobArgs("sum", {"--n=1e3", "--ranges"}, 3);
  REQUIRE(sum.ok());
  CHECK(sum->args == std::vector<std::string>{"--ranges", "--n", "3000"});
  auto sleep = ScaleJobArgs("sleep", {"--ms", "5"}, 1.5);  // the default 1000 tasks
  REQUIRE(sleep.ok());
  CHECK(sleep->args == std::vector<std::string>{"--ms", "5", "--tasks", "1500"});
  auto rounded = ScaleJobArgs("spin", {"--tasks", "3"}, 1.5);  // 4.5 tasks → 5 (llround)
  REQUIRE(rounded.ok());
  CHECK(rounded->work == Approx(5.0 / 3));
  CHECK_FALSE(CanScaleWeakly("echo"));
  CHECK_FALSE(CanScaleWeakly("download"));
}

TEST_CASE("a master summary counts only when the job finished and verified", "[scale]") {
  nlohmann::json ok = {{"elapsed_s", 1.5},
                       {"interrupted", false},
                       {"tasks", {{"total", 64}, {"done", 64}, {"failed", 0}, {"resumed", 0}}},
                       {"result", {{"verified", true}}}};
  auto run = ReadMasterSummary(ok);
  REQUIRE(run.ok());
  CHECK(run->elapsed_s == 1.5);
  CHECK(run->tasks == 64);
  auto unchecked = ok;
  unchecked["result"]["verified"] = nullptr;  // primes beyond its table: not checkable, fine
  CHECK(ReadMasterSummary(unchecked).ok());
  auto wrong = ok;
  wrong["result"]["verified"] = false;
  CHECK_FALSE(ReadMasterSummary(wrong).ok());
  auto failed = ok;
  failed["tasks"]["failed"] = 1;
  CHECK_FALSE(ReadMasterSummary(failed).ok());
  CHECK_FALSE(ReadMasterSummary(nlohmann::json::parse("[1]")).ok());
}
