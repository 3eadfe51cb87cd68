// CURVE between master and workers on loopback: keygen, the allowlist (fail closed, SIGHUP),
// workers refusing a master with another key, plaintext refused, IPv6 and host-name binds.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <string>

#include "tests/integration/harness.h"

using namespace zfan::testing;

namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("keygen writes a public and a 0600 secret certificate and never overwrites", "[curve]") {
  TempDir dir;
  std::string pub = Keygen(dir, "w1");
  CHECK(ModeOf(dir / "w1.key") == 0644);
  CHECK(ModeOf(dir / "w1.key_secret") == 0600);
  CHECK(ReadFile(dir / "w1.key").find("public-key = \"" + pub + "\"") != std::string::npos);
  CHECK(ReadFile(dir / "w1.key").find("secret-key") == std::string::npos);
  CHECK(ReadFile(dir / "w1.key_secret").find("secret-key = \"") != std::string::npos);
  std::string before = ReadFile(dir / "w1.key_secret");
  auto again = RunZfan({"keygen", "--out", dir / "w1"});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("never replaces") != std::string::npos);
  CHECK(ReadFile(dir / "w1.key_secret") == before);
}

TEST_CASE("a listed worker gets tasks; unlisted, plaintext and misled workers get none",
          "[curve]") {
  TempDir dir;
  Keygen(dir, "master");
  std::string good = Keygen(dir, "good");
  Keygen(dir, "unlisted");
  Keygen(dir, "other-master");
  WriteText(dir / "allowed", "# lab workers\n" + good + " good-host\n\n");
  int port = FreePortTriple();
  auto listed = KeyedWorker(dir, Endpoint(port), "good", "good");
  auto unlisted = KeyedWorker(dir, Endpoint(port), "unlisted", "unlisted");
  auto misled = KeyedWorker(dir, Endpoint(port), "good", "misled", "other-master");
  ZfanProcess plain({"worker", Endpoint(port), "--slots", "1", "--id", "plain"});
  auto r = RunZfan(KeyedMaster(
      dir, port,
      {"sum", "--n", "1000000", "--chunk", "1000", "--delay-ms", "1", "--expect-workers", "1"}));
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(j["result"]["sum"] == "499999500000");
  CHECK(j["security"]["curve"] == true);
  CHECK(TasksOf(j, "good") == 1000);
  CHECK(j["workers"].size() == 1);  // nobody else ever said HELLO
  CHECK(j["security"]["refused"].get<uint64_t>() >= 1);
  // Each refused key is logged once, with its fingerprint, however often it retries.
  CHECK(CountLines(r.err, "refused a worker") == 1);
  CHECK(unlisted.err().find("refused the connection") != std::string::npos);
  CHECK(misled.err().find("does not hold the key") != std::string::npos);
  CHECK(plain.err().find("requires CURVE keys") != std::string::npos);
  for (auto* w : {&unlisted, &misled, &plain}) CHECK(w->err().find("job sum") == std::string::npos);
  StopWorkers({&listed, &unlisted, &misled, &plain});
}

TEST_CASE("the master fails closed on a bad allowlist or an unprotected bind", "[curve]") {
  TempDir dir;
  Keygen(dir, "master");
  std::string good = Keygen(dir, "good");
  const std::vector<std::string> job{"sum", "--n", "1000", "--local-workers", "1"};
  auto expect_refusal = [&](const std::string& allowlist_text, const std::string& why,
                            int exit_code = 2) {
    if (!allowlist_text.empty()) WriteText(dir / "allowed", allowlist_text);
    auto r = RunZfan(KeyedMaster(dir, FreePortTriple(), job));
    CHECK(r.exit_code == exit_code);
    CHECK(CountLines(r.err, "zfan: ") == 1);
    CHECK(r.err.find(why) != std::string::npos);
    CHECK(r.out.empty());
  };
  expect_refusal("", "cannot read --authorized-workers", 3);  // missing: an I/O error
  expect_refusal("# nobody yet\n\n", "lists no key");
  expect_refusal(good + "\nnot-a-key\n", "line 2");
  auto no_list = RunZfan({"master", "sum", "--n", "1000", "--curve-secret",
                          dir / "master.key_secret", "--port", std::to_string(FreePortTriple())});
  CHECK(no_list.exit_code == 2);
  CHECK(no_list.err.find("--authorized-workers") != std::string::npos);
  auto public_as_secret = RunZfan({"master", "sum", "--n", "1000", "--curve-secret",
                                   dir / "master.key", "--authorized-workers", dir / "allowed",
                                   "--port", std::to_string(FreePortTriple())});
  CHECK(public_as_secret.exit_code == 2);
  CHECK(public_as_secret.err.find("no secret-key") != std::string::npos);
  auto open_bind = RunZfan({"master", "sum", "--n", "1000", "--bind", "0.0.0.0", "--port",
                            std::to_string(FreePortTriple())});
  CHECK(open_bind.exit_code == 2);
  CHECK(open_bind.err.find("--insecure") != std::string::npos);
}

TEST_CASE("local workers run CURVE with the master's own key", "[curve]") {
  TempDir dir;
  Keygen(dir, "master");
  WriteText(dir / "allowed", Keygen(dir, "someone") + "\n");
  auto r = RunZfan(
      KeyedMaster(dir, FreePortTriple(), {"primes", "--to", "1e6", "--local-workers", "2"}));
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(j["result"]["count"] == 78498);
  CHECK(j["security"]["refused"] == 0);
}

TEST_CASE("SIGHUP removing a key mid-job ends exactly, without that worker", "[curve]") {
  TempDir dir;
  Keygen(dir, "master");
  std::string stay = Keygen(dir, "stay");
  std::string go = Keygen(dir, "go");
  WriteText(dir / "allowed", stay + " stay\n" + go + " go\n");
  int port = FreePortTriple();
  auto stayer = KeyedWorker(dir, Endpoint(port), "stay", "stay");
  auto goner = KeyedWorker(dir, Endpoint(port), "go", "go");
  auto args = KeyedMaster(dir, port,
                          {"sleep", "--tasks", "120", "--ms", "20", "--expect-workers", "2",
                           "--joblog", dir / "log.tsv"});
  args.erase(std::find(args.begin(), args.end(), "-q"));  // the SIGHUP lines are checked below
  ZfanProcess master(args);
  REQUIRE(WaitUntil([&] { return CountLines(ReadFile(dir / "log.tsv"), "\tgo\t") >= 5; },
                    std::chrono::milliseconds(30000)));
  WriteText(dir / "allowed", "# go was removed\n" + stay + " stay\n");
  master.Signal(SIGHUP);
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["completed"] == 120);
  CHECK(j["tasks"]["done"] == 120);
  CHECK(master.err().find("its key was removed") != std::string::npos);
  CHECK(TasksOf(j, "stay") > 0);
  // After the reload the removed worker is refused: it finished no task after it.
  auto log = ReadFile(dir / "log.tsv");
  auto last_go = log.rfind("\tgo\t");
  CHECK(CountLines(log.substr(last_go == std::string::npos ? 0 : last_go), "\tstay\t") > 0);
  CHECK(TasksOf(j, "stay") + TasksOf(j, "go") == 120);
  // Its connection was dropped, and the handshake it retries is refused.
  CHECK(WaitUntil([&] { return goner.err().find("refused the connection") != std::string::npos; },
                  std::chrono::milliseconds(10000)));
  StopWorkers({&stayer, &goner});
}

TEST_CASE("CURVE over IPv6 loopback, and --bind localhost", "[curve]") {
  TempDir dir;
  Keygen(dir, "master");
  std::string w = Keygen(dir, "w");
  WriteText(dir / "allowed", w + "\n");
  int port = FreePortTriple();
  auto worker = KeyedWorker(dir, "tcp://[::1]:" + std::to_string(port), "w", "v6");
  auto args = KeyedMaster(
      dir, port,
      {"sum", "--n", "100000", "--chunk", "1000", "--expect-workers", "1", "--bind", "::1"});
  auto r = RunZfan(args);
  REQUIRE(r.exit_code == 0);
  CHECK(r.json()["result"]["sum"] == "4999950000");
  CHECK(TasksOf(r.json(), "v6") == 100);
  StopWorkers({&worker});

  auto local =
      RunZfan({"master", "sum", "--n", "100000", "--chunk", "1000", "--bind", "localhost", "--port",
               std::to_string(FreePortTriple()), "--local-workers", "1", "--json", "-q"});
  REQUIRE(local.exit_code == 0);
  CHECK(local.json()["result"]["sum"] == "4999950000");
}
