// Bad command lines: one clear error line and a documented exit code, never a crash or a hang.
#include <catch2/catch.hpp>
#include <csignal>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

void ExpectUsageError(const std::vector<std::string>& args, int code, const std::string& words) {
  RunResult r = RunZfan(args, std::chrono::milliseconds(20000));
  INFO("args: " << nlohmann::json(args).dump() << "\nstderr: " << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.err.find("zfan: ") != std::string::npos);
  CHECK(r.err.find(words) != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("an unknown job is a usage error (exit 2)", "[cli]") {
  ExpectUsageError({"master", "frobnicate"}, 2, "frobnicate");
}

TEST_CASE("--chunk 0 is a usage error (exit 2)", "[cli]") {
  ExpectUsageError({"master", "sum", "--chunk", "0"}, 2, "--chunk");
  ExpectUsageError({"master", "primes", "--chunk", "0"}, 2, "--chunk");
}

TEST_CASE("--to below --from is a usage error (exit 2)", "[cli]") {
  ExpectUsageError({"master", "primes", "--from", "100", "--to", "10"}, 2, "--to");
}

TEST_CASE("a malformed number is a usage error naming the flag (exit 2)", "[cli]") {
  ExpectUsageError({"master", "sum", "--n", "ten"}, 2, "--n");
}

TEST_CASE("a port in use is a runtime error (exit 3)", "[cli]") {
  int port = FreePortTriple();
  ZfanProcess holder({"master", "sleep", "--tasks", "1", "--port", std::to_string(port),
                      "--expect-workers", "1", "--wait-timeout", "20", "-q"});
  // The holder prints its worker command once it has bound its ports.
  REQUIRE(WaitUntil([&] { return holder.err().find("zfan worker") != std::string::npos; },
                    std::chrono::milliseconds(10000)));
  ExpectUsageError({"master", "sleep", "--port", std::to_string(port)}, 3, "in use");
  holder.Signal(SIGTERM);
  holder.Wait(std::chrono::milliseconds(10000));
}

TEST_CASE("binding a public address without --insecure is refused (exit 2)", "[cli]") {
  ExpectUsageError({"master", "sleep", "--bind", "0.0.0.0"}, 2, "--insecure");
}

TEST_CASE("a worker whose master never answers gives up after --master-timeout (exit 3)", "[cli]") {
  ExpectUsageError({"worker", Endpoint(FreePortTriple()), "--master-timeout", "1"}, 3, "no master");
}

TEST_CASE("a worker given an unresolvable host fails at once (exit 3)", "[cli]") {
  ExpectUsageError({"worker", "tcp://no-such-host.invalid:5557"}, 3, "resolve");
}

TEST_CASE("a bad endpoint is a usage error (exit 2)", "[cli]") {
  ExpectUsageError({"worker", "udp://127.0.0.1:5557"}, 2, "endpoint");
}

TEST_CASE("--expect-workers that never come times out with exit 4", "[cli]") {
  RunResult r =
      RunZfan({"master", "sleep", "--tasks", "1", "--port", std::to_string(FreePortTriple()),
               "--expect-workers", "1", "--wait-timeout", "1"},
              std::chrono::milliseconds(20000));
  CHECK(r.exit_code == 4);
  CHECK(r.err.find("0 of 1 workers") != std::string::npos);
}
