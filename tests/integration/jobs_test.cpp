// The CPU jobs end to end: a real master with real local workers over loopback, exact results.
#include <catch2/catch.hpp>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

nlohmann::json RunJob(std::vector<std::string> args) {
  args.insert(args.begin(), "master");
  std::vector<std::string> extra{"--port", std::to_string(FreePortTriple()), "--json", "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunZfan(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.json();
}

}  // namespace

TEST_CASE("the chunked sum of range(10^6) over 2 local workers equals n(n-1)/2", "[jobs]") {
  auto j = RunJob({"sum", "--n", "1000000", "--chunk", "100", "--local-workers", "2"});
  CHECK(j["result"]["sum"] == "499999500000");
  CHECK(j["result"]["verified"] == true);
  CHECK(j["tasks"]["total"] == 10000);
  CHECK(j["tasks"]["done"] == 10000);
  CHECK(j["tasks"]["failed"] == 0);
  CHECK(j["workers"].size() == 2);
  uint64_t per_worker_total = 0;
  for (const auto& w : j["workers"]) per_worker_total += w["tasks"].get<uint64_t>();
  CHECK(per_worker_total == 10000);
  // Tiny tasks go out in deep batches to the very end: the last window must not fall back to one
  // task per slot, which sent the last ~4,100 tasks one batch each (and took 3x as long).
  CHECK(j["batches"].get<uint64_t>() < 1000);
}

TEST_CASE("the sum in --ranges mode is exact beyond 64 bits", "[jobs]") {
  // n(n-1)/2 for n = 10^10 is about 5e19, above 2^64: checks the 128-bit accumulation.
  auto j = RunJob({"sum", "--n", "1e10", "--chunk", "1e8", "--ranges", "--local-workers", "2"});
  CHECK(j["result"]["sum"] == "49999999995000000000");
  CHECK(j["result"]["verified"] == true);
}

TEST_CASE("primes in [10, 2.5e6) number 183068 with the sieve and with trial division", "[jobs]") {
  for (std::string method : {"sieve", "trial"}) {
    auto j = RunJob(
        {"primes", "--from", "10", "--to", "2500000", "--method", method, "--local-workers", "2"});
    INFO("method " << method);
    CHECK(j["result"]["count"] == 183068);
    CHECK(j["result"]["first"] == nlohmann::json({11, 13, 17, 19, 23, 29, 31, 37, 41, 43}));
    CHECK(j["result"]["last"].back() == 2499997);
  }
}

TEST_CASE("primes below 10^8 number 5761455 and the job verifies it", "[jobs]") {
  auto j = RunJob({"primes", "--from", "0", "--to", "100000000", "--local-workers", "2"});
  CHECK(j["result"]["count"] == 5761455);
  CHECK(j["result"]["verified"] == true);
  CHECK(j["result"]["first"][0] == 2);
  CHECK(j["result"]["last"].back() == 99999989);
}

TEST_CASE("primes on one slot sieve in one chunk; on two, in guided chunks", "[jobs]") {
  auto one = RunJob({"primes", "--to", "1e9", "--local-workers", "1"});
  CHECK(one["result"]["count"] == 50847534);
  CHECK(one["result"]["verified"] == true);
  CHECK(one["result"]["chunks"] == 1);
  CHECK(one["tasks"]["total"] == 1);
  auto two = RunJob({"primes", "--to", "1e9", "--local-workers", "2"});
  CHECK(two["result"]["count"] == 50847534);
  CHECK(two["result"]["verified"] == true);
  CHECK(two["result"]["chunk"] == "guided");
  CHECK(two["result"]["chunks"].get<uint64_t>() >= 6);
  // --plan-workers overrides the count the plan is made for, either way.
  auto one_on_two = RunJob({"primes", "--to", "1e9", "--local-workers", "2", "--plan-workers", "1"});
  CHECK(one_on_two["result"]["chunks"] == 1);
  CHECK(one_on_two["result"]["verified"] == true);
  auto two_on_one = RunJob({"primes", "--to", "1e9", "--local-workers", "1", "--plan-workers", "2"});
  CHECK(two_on_one["result"]["chunks"] == two["result"]["chunks"]);
  CHECK(two_on_one["result"]["verified"] == true);
}

TEST_CASE("--resume keeps the chunks its journal was planned for, with any worker count",
          "[jobs]") {
  TempDir dir;
  struct Step {
    std::string first_workers, then_workers;
    uint64_t chunks;
  };
  for (const Step& step : {Step{"1", "2", 1}, Step{"2", "1", 8}}) {
    std::string journal = dir / ("planned-on-" + step.first_workers);
    auto first = RunJob({"primes", "--to", "1e9", "--local-workers", step.first_workers,
                         "--journal", journal});
    INFO("planned on " << step.first_workers << ", resumed on " << step.then_workers);
    CHECK(first["tasks"]["total"] == step.chunks);
    std::string text = ReadFile(journal);
    auto header = nlohmann::json::parse(text.substr(0, text.find('\n')));
    CHECK(header["plan_slots"] == std::stoi(step.first_workers));
    auto resumed = RunJob({"primes", "--to", "1e9", "--local-workers", step.then_workers,
                           "--journal", journal, "--resume"});
    CHECK(resumed["tasks"]["total"] == step.chunks);
    CHECK(resumed["tasks"]["resumed"] == step.chunks);
    CHECK(resumed["result"]["count"] == 50847534);
    CHECK(resumed["result"]["verified"] == true);
  }
}

TEST_CASE("primes --list writes every prime in order", "[jobs]") {
  TempDir dir;
  auto j = RunJob({"primes", "--from", "0", "--to", "100000", "--chunk", "777", "--list",
                   dir / "primes.txt", "--local-workers", "2"});
  CHECK(j["result"]["count"] == 9592);
  std::string text = ReadFile(dir / "primes.txt");
  std::vector<uint64_t> listed;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    listed.push_back(std::stoull(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  REQUIRE(listed.size() == 9592);
  CHECK(std::is_sorted(listed.begin(), listed.end()));
  CHECK(listed.front() == 2);
  CHECK(listed.back() == 99991);
}

TEST_CASE("synthetic jobs complete every task; echo returns the exact bytes", "[jobs]") {
  auto echo = RunJob({"echo", "--tasks", "20000", "--bytes", "64", "--local-workers", "2"});
  CHECK(echo["result"]["completed"] == 20000);
  CHECK(echo["result"]["verified"] == true);
  auto sleep = RunJob({"sleep", "--tasks", "20", "--ms", "10", "--local-workers", "2"});
  CHECK(sleep["result"]["completed"] == 20);
  auto spin = RunJob({"spin", "--tasks", "8", "--iterations", "1000000", "--local-workers", "2"});
  CHECK(spin["result"]["completed"] == 8);
}

TEST_CASE("the human-readable output has a per-worker table and the verified result", "[jobs]") {
  int port = FreePortTriple();
  RunResult r = RunZfan(
      {"master", "sum", "--n", "100000", "--local-workers", "2", "--port", std::to_string(port)});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("worker") != std::string::npos);
  CHECK(CountLines(r.out, "local-") == 2);
  CHECK(r.out.find("sum of range(100000) = 4999950000") != std::string::npos);
  CHECK(r.out.find("verified") != std::string::npos);
  CHECK(r.err.find("zfan worker " + Endpoint(port)) != std::string::npos);
}
